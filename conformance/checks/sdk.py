"""SDK-compatibility tier: the pinned openai-python (conformance.schemagen.SDK_VERSION) works against the endpoint. The scenarios store
the SDK's outcome in params["sdk"]; an exception the SDK raised is the FAIL message. The async tier
(checks/async_sdk.py) is judged by these checks too: its create, stream and parse scenarios store the same shape."""

from __future__ import annotations

from typing import Any

from conformance.exchange import Exchange, Transcript
from conformance.checks.common import SDK, cut_by_suite
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, error, ok, skip, violation

# Exceptions that mean the SDK never got an answer: the suite cannot judge (ERROR), not a FAIL.
NO_ANSWER = ("openai.APIConnectionError", "openai.APITimeoutError", "openai._exceptions.APIConnectionError",
             "openai._exceptions.APITimeoutError")
_RATE_LIMITED = ("openai.RateLimitError", "openai._exceptions.RateLimitError")


def failed(facts: Any, call: str, step: str | None, ex: Exchange | None = None) -> Outcome | None:
    """None when the SDK call succeeded (``facts["ok"]``); else its verdict: ERROR when the SDK got no answer (or
    the scenario recorded nothing), SKIP when the SDK raised on a response the suite's own token cap cut (`ex`, the
    step's exchange), a violation for anything else the SDK raised on an answer."""
    if not isinstance(facts, dict):
        return error(f"the scenario recorded no outcome of {call}")
    if facts.get("ok"):
        return None
    exc = str(facts.get("exception"))
    evidence = {"exception": exc, "step": step} if step else {"exception": exc}
    if exc in NO_ANSWER:
        return error(f"{call}: the SDK got no answer ({exc}: {facts.get('message')})", **evidence)
    if exc in _RATE_LIMITED:  # the run's retry budget was spent: not the SDK's problem (docs/rules.md#verdicts)
        return error(f"{call}: rate limited ({facts.get('message')})", **evidence)
    cut = cut_by_suite(ex)
    if cut:
        # The SDK raises on a response that did not finish (the stream helper wants response.completed, parse()
        # wants whole JSON): against OpenAI it would raise the same way, so the SDK's premise is the suite's to keep.
        return skip(f"not applicable: {cut}; {call} raises on an unfinished response even against OpenAI "
                    f"({exc}: {facts.get('message')})", **evidence)
    return violation(f"{call} raised {exc}: {facts.get('message')}", **evidence)


def _outcome(t: Transcript, call: str) -> tuple[dict[str, Any] | None, Outcome | None]:
    sdk = t.params.get("sdk")
    step = t.exchanges[-1].label if t.exchanges else None
    why = failed(sdk, call, step, t.step(step) if step else None)
    return (None, why) if why else (sdk, None)


@transcript_check(
    id="sdk.create-ok",
    level=Level.MUST,
    requirement="openai-python's client.responses.create (OpenAI and AsyncOpenAI) returns a Response without "
                "raising.",
    source=f"{SDK} (pinned, Apache-2.0); docs/rules.md#purpose (an OpenAI client must not break)",
    area="sdk",
    scenarios=("sdk.create", "async_sdk.create"),
)
def create_ok(t: Transcript) -> Outcome | None:
    sdk, why = _outcome(t, "client.responses.create")
    if why:
        return why
    if not sdk.get("id"):
        return violation("the SDK's Response has no id", step="create")
    return ok()


@transcript_check(
    id="sdk.stream-final-response",
    level=Level.MUST,
    requirement="openai-python's client.responses.stream() (OpenAI and AsyncOpenAI) iterates the events and "
                "get_final_response() returns the final Response without raising.",
    source=f"{SDK} ResponseStreamManager (its accumulator raises on a broken stream); docs/rules.md#stream-grammar",
    area="sdk",
    scenarios=("sdk.stream", "async_sdk.stream"),
)
def stream_final_response(t: Transcript) -> Outcome | None:
    sdk, why = _outcome(t, "client.responses.stream")
    if why:
        return why
    if sdk.get("status") not in ("completed", "incomplete"):
        return violation(f"the final Response has status {sdk.get('status')!r}", step="stream")
    return ok()


@transcript_check(
    id="sdk.parse-output-parsed",
    level=Level.MUST,
    requirement="openai-python's client.responses.parse(text_format=<pydantic model>) (OpenAI and "
                "AsyncOpenAI) returns output_parsed as an instance of that model.",
    source=f"{SDK} responses.parse; docs/rules.md#known-deviations llama.cpp (text.format ignored)",
    area="sdk",
    scenarios=("sdk.parse", "async_sdk.parse"),
)
def parse_output_parsed(t: Transcript) -> Outcome | None:
    sdk, why = _outcome(t, "client.responses.parse")
    if why:
        return why
    if sdk.get("parsed_ok") is True:
        return ok()
    return violation(f"output_parsed is a {sdk.get('parsed_type')}, not the requested model", step="parse",
                     got=sdk.get("parsed"))
