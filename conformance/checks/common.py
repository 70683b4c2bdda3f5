"""Helpers shared by the family checks (transcript checks over the live scenarios). Registers no check.

The helpers turn "this step did not get a 2xx" into the right verdict (docs/rules.md#verdicts): a clean refusal
of an optional feature is UNSUPPORTED, a missing answer or an auth/rate-limit problem is ERROR (the suite could
not judge), anything else is a violation.

Shapes of the API surface's objects (compact, input_tokens, conversations, WebSocket events) are judged against
the pinned openai-python's own models (`sdk_problems`), the same classes the SDK parses these answers into, so
"the SDK's shape" means exactly what a client would accept.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import pydantic
from jsonschema import Draft202012Validator

from conformance.exchange import Exchange, Transcript
from conformance.extract import final_response, output_text
from conformance.schemagen import SDK_VERSION
from conformance.verdicts import Outcome, error, ok, skip, unsupported, violation

__all__ = [
    "final_response", "output_text", "body", "error_message", "not_ok", "rejected",
    "function_calls", "schema_errors", "parse_json", "last_step", "items_text", "SDK", "SDK_DOCS", "sdk_problems",
    "events", "cut_by_suite", "unearned",
]

# Routes an endpoint may lack: 404/405/501 there means "not offered" (docs/rules.md#verdicts).
_ROUTE_MISSING = (404, 405, 501)


def body(ex: Exchange | None) -> Any:
    return None if ex is None else ex.response.body


def last_step(t: Transcript, label: str) -> Exchange | None:
    steps = t.steps(label)
    return steps[-1] if steps else None


def error_message(ex: Exchange) -> str:
    """A short description of a non-2xx answer, for messages."""
    b = ex.response.body
    if isinstance(b, dict):
        err = b.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"][:200]
        for key in ("message", "detail", "error"):
            if isinstance(b.get(key), str):
                return b[key][:200]
    if ex.response.text:
        return ex.response.text.strip()[:200]
    return ""


def _describe(ex: Exchange) -> str:
    msg = error_message(ex)
    return f"HTTP {ex.status}" + (f" ({msg})" if msg else "")


def cut_by_suite(ex: Exchange | None) -> str | None:
    """When the suite's own max_output_tokens cut this exchange's Response (status incomplete, reason
    max_output_tokens), what to say about it; else None. Every request of the suite carries that cap, so a check
    whose premise is a finished answer is not applicable to such a response (issue 22: the suite's own premise)."""
    resp = final_response(ex) if ex is not None else None
    if not resp or resp.get("status") != "incomplete":
        return None
    details = resp.get("incomplete_details")
    if not isinstance(details, dict) or details.get("reason") != "max_output_tokens":
        return None
    req = ex.request.body if ex is not None and isinstance(ex.request.body, dict) else {}
    cap = req.get("max_output_tokens")
    at = f" of {cap}" if isinstance(cap, int) and not isinstance(cap, bool) else ""
    return (f"the response was cut at the suite's own max_output_tokens{at} (status incomplete, as it should be); "
            "raise --max-output-tokens to judge this")


def unearned(t: Transcript, control: str, what: str) -> Outcome | None:
    """For a rule that a request must be refused: None when the scenario's control step (the same feature used
    rightly, which must be accepted) got a 2xx; otherwise SKIP, since a refusal proves nothing from an endpoint
    that refuses the feature whatever it holds (a vacuous pass; issue 18: a PASS must be earned)."""
    ex = t.step(control)
    if ex is None:
        return skip(f"not applicable: the control request ({what}) was not sent, so a refusal proves nothing")
    if ex.status is None:
        return skip(f"not applicable: the control request ({what}) got no answer ({ex.transport_error})",
                    step=control)
    if not ex.ok:
        return skip(f"not applicable: the endpoint refuses {what} too ({_describe(ex)}), so refusing this request "
                    "proves nothing", step=control, status=ex.status)
    return None


def not_ok(ex: Exchange | None, what: str, *, optional: bool = False) -> Outcome | None:
    """None when ``ex`` got a 2xx; otherwise the verdict for the failed step.

    ``optional``: the feature may be refused (retrieve, delete, input_items, background, cancel,
    previous_response_id, store). A clean refusal is then UNSUPPORTED instead of a violation.
    """
    if ex is None:
        return error(f"the scenario recorded no {what} step")
    if ex.status is None:
        return error(f"{what}: no response ({ex.transport_error})", step=ex.label)
    if ex.ok:
        return None
    if ex.status in (401, 403):
        return error(f"{what}: {_describe(ex)}; check the API key and headers", step=ex.label, status=ex.status)
    if ex.status == 429:
        return error(f"{what}: rate limited ({_describe(ex)})", step=ex.label, status=ex.status)
    clean = ex.status in _ROUTE_MISSING or (400 <= ex.status < 500 and isinstance(ex.response.body, dict))
    if optional and clean:
        return unsupported(f"{what} refused: {_describe(ex)}", step=ex.label, status=ex.status)
    return violation(f"{what} failed: {_describe(ex)}", step=ex.label, status=ex.status)


def has_code_word(text: str, word: str, step: str, says: str, suffix: str = "") -> Outcome:
    """The nonce verdict (docs/rules.md#verdicts): OK when ``text`` carries ``word``, else "<says> the code word <word><suffix>"."""
    if word in text:
        return ok()
    return violation(f"{says} the code word {word}{suffix}", step=step, got=text[:300])


def not_streamed(ex: Exchange | None, what: str = "stream") -> Outcome | None:
    """Like not_ok, and also a violation when the 2xx answer to a stream request is not an event stream."""
    bad = not_ok(ex, what)
    if bad is None and ex is not None and not ex.is_stream:
        return violation("the answer is not a stream", step=ex.label)
    return bad


def rejected(ex: Exchange | None, what: str) -> Outcome | None:
    """None when a request that must fail got a 4xx; otherwise the verdict. The body of that 4xx is judged once, by
    errors.envelope on every exchange: a cross-cutting fault (e.g. a framework's {"detail": ...} bodies) shows
    there, not again in every rule that a request must be refused (issue 22: one cause, one row)."""
    if ex is None:
        return error(f"the scenario recorded no {what} step")
    if ex.status is None:
        return error(f"{what}: no response ({ex.transport_error})", step=ex.label)
    if ex.status in (401, 403, 429):
        return error(f"{what}: HTTP {ex.status} says nothing about the request itself", step=ex.label)
    if ex.ok:
        return violation(f"{what} was accepted (HTTP {ex.status}) instead of being rejected with a 4xx",
                         step=ex.label, status=ex.status)
    if not 400 <= ex.status < 500:
        return violation(f"{what} got HTTP {ex.status}; a bad request is a client error (4xx)",
                         step=ex.label, status=ex.status)
    return None


def function_calls(resp: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not resp:
        return []
    return [i for i in resp.get("output") or [] if isinstance(i, dict) and i.get("type") == "function_call"]


def parse_json(text: Any) -> tuple[Any, str | None]:
    """(value, None) or (None, why it is not JSON)."""
    if not isinstance(text, str):
        return None, f"expected a JSON string, got {type(text).__name__}"
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"not JSON ({exc})"


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Validation errors of ``instance`` against ``schema`` (path: message), at most five."""
    errs = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errs[:5]]


def items_text(items: Iterable[Any]) -> list[str]:
    """The text of each input item as a list (a string content, or its input_text parts joined)."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            out.append("")
            continue
        content = item.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.append("".join(c.get("text", "") for c in content if isinstance(c, dict)
                               and isinstance(c.get("text"), str)))
        else:
            out.append("")
    return out


# The API surface's objects, judged by the SDK's own models -------------------------------------------------

SDK = f"openai-python {SDK_VERSION}"
SDK_DOCS = "https://developers.openai.com/api/reference/resources"


def sdk_problems(model: type[pydantic.BaseModel], obj: Any, limit: int = 5) -> list[str]:
    """Why ``obj`` does not parse as the SDK ``model`` ("path: message"), at most ``limit``; [] when it does."""
    try:
        model.model_validate(obj, strict=True)  # JSON as sent: no "5" for 5, no 1.5 for an int
    except pydantic.ValidationError as exc:
        errors = [e for e in exc.errors() if not _relaxed(e)]
        return [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in errors[:limit]]
    return []


def _relaxed(err: Any) -> bool:
    """The schemas' relaxation overlay, for the SDK models: `cache_write_tokens` may be absent (docs/rules.md#real-traffic)."""
    return err["type"] == "missing" and err["loc"][-1:] == ("cache_write_tokens",)


def events(ex: Exchange | None) -> list[dict[str, Any]]:
    """The JSON objects a stream (or WebSocket turn) carried, in order."""
    if ex is None or ex.stream is None:
        return []
    return [e.json for e in ex.stream.typed()]
