"""Run accounting: whether the endpoint could be tested at all, and whether each exchange completed.

An exchange that never completed (connect failure, timeout, a bound the suite reached) is one ERROR under
`run.exchange-complete`; no other exchange check judges it, and a transcript check that needed it is not
judged (judge.py). So one fault gives one ERROR, and the endpoint is never blamed for a cut the suite made.
"""

from __future__ import annotations

import json

from conformance.exchange import Exchange, Transcript
from conformance.registry import exchange_check, transcript_check
from conformance.verdicts import Level, Outcome, error, ok

EXCHANGE_COMPLETE = "run.exchange-complete"
PREFLIGHT = "run.preflight"


@exchange_check(
    id=EXCHANGE_COMPLETE,
    level=Level.INFO,
    requirement="Every exchange completes within the run's bounds; one that does not is one ERROR, and no other "
                "check judges it.",
    source="docs/run-engine.md#one-fault-one-error",
    area="run",
)
def exchange_complete(ex: Exchange) -> Outcome | None:
    if ex.transport_error:
        return error(f"no complete response: {ex.transport_error}", status=ex.status)
    return ok()


def preflight_problem(t: Transcript) -> str | None:
    """Why the endpoint cannot be tested at all (unreachable, key refused, unknown model, not a Responses API),
    with what to try; None when it can. Any other answer (a timeout, a 5xx) is for the checks to judge: a slow
    or flaky endpoint is still tested, and its faults are reported one ERROR each."""
    for ex in t.exchanges:
        what = f"{ex.method} {ex.request.path}"
        if ex.transport_error and ex.status is None and ex.transport_error.startswith("connect"):
            return f"the endpoint could not be reached ({ex.transport_error}); check --base-url"
        if ex.status in (401, 403):
            return f"{what} answered HTTP {ex.status}: the API key was refused; check --api-key / OPENAI_API_KEY"
        if ex.label == "models" and not t.params.get("model"):
            said = ex.transport_error or f"HTTP {ex.status}{' without a model id' if ex.ok else ''}"
            return f"{what} answered {said}, so no model could be chosen; pass --model"
        if ex.label == "create" and ex.status in (400, 404) and _names_model(ex):
            return (f"{what} refused the model {t.params.get('model')!r} (HTTP {ex.status}); pass a model the "
                    "endpoint serves with --model (GET /models lists them)")
        if ex.label == "create" and ex.status in (404, 405) and not isinstance(ex.response.body, dict):
            return (f"{what} answered HTTP {ex.status} without an error body: no Responses API here; check that "
                    "--base-url ends with the API version (e.g. http://host:8000/v1)")
        if ex.label == "create-minimal" and ex.status is not None and 400 <= ex.status < 500:
            return (f"{what} refused even the smallest create (model and a one-line input) with HTTP {ex.status}: "
                    f"{_said(ex)!r}; check --api-key, --model and the endpoint's own setup")
    return None


def _said(ex: Exchange) -> str:
    """What the endpoint said in an error answer, bounded: error.message, message, detail, or the text."""
    body = ex.response.body
    said: object = None
    if isinstance(body, dict):
        err = body.get("error")
        said = (err.get("message") if isinstance(err, dict) else err) or body.get("message") or body.get("detail")
    if not said:
        said = ex.response.text or (json.dumps(body) if body is not None else "no body")
    text = " ".join(str(said).split())
    return text if len(text) <= 300 else text[:300] + "..."


def _names_model(ex: Exchange) -> bool:
    body = ex.response.body
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return False
    said = " ".join(str(err.get(k) or "") for k in ("code", "param", "message")).lower()
    return "model" in said


@transcript_check(
    id=PREFLIGHT,
    level=Level.INFO,
    requirement="The endpoint can be tested: it is reachable, accepts the key, and serves the model.",
    source="docs/run-engine.md#how-a-run-flows",
    area="run",
    scenarios=("preflight",),
    judges_incomplete=True,
)
def preflight(t: Transcript) -> Outcome | None:
    problem = preflight_problem(t)
    return error(f"could not test the endpoint: {problem}") if problem else ok()


RECORDING_READABLE = "run.recording-readable"


@transcript_check(
    id=RECORDING_READABLE,
    level=Level.INFO,
    requirement="Every file replay is given is a recording in the recordings format; one that is not is one "
                "ERROR naming the file, and the replay goes on with the others.",
    source="docs/recordings.md",
    area="run",
    scenarios=("replay",),  # judged by `replay` on each file it could not read, never on a live scenario
    judges_incomplete=True,
)
def recording_readable(t: Transcript) -> Outcome | None:
    return error(f"not a recording: {t.error}") if t.error else ok()
