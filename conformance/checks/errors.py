"""Errors: the JSON error envelope and the HTTP status that carries it.

OpenAI answers every rejected request, `stream: true` included, with HTTP 4xx and
`{"error": {"message", "type", "param", "code"}}` (docs/rules.md#real-traffic; the 14 error recordings: 400/401/404, `code`
a string or null). Deviations seen in the wild: an int `code` (vLLM, TensorRT-LLM), the fields at top level
(TensorRT-LLM), `{"code", "error": "<text>"}` (xAI), FastAPI's `{"detail": ...}` (gpt-oss reference server).
"""

from __future__ import annotations

from typing import Any

from conformance.checks.framing import FramingState, framing_of, is_json_media_type, media_type, wants_stream
from conformance.exchange import Exchange
from conformance.extract import is_websocket
from conformance.registry import exchange_check
from conformance.verdicts import Level, Outcome, ok, violation

AREA = "errors"
DOCS = "https://platform.openai.com/docs/guides/error-codes"


def _is_error_status(ex: Exchange) -> bool:
    # WebSocket errors are `error` events (or a refused upgrade), judged by the websocket.* checks.
    return ex.status is not None and ex.status >= 400 and not is_websocket(ex)


def _envelope_problem(body: Any) -> str | None:
    """Why ``body`` is not an OpenAI error envelope, or None when it is one."""
    if not isinstance(body, dict):
        return "the body is not a JSON object" if body is not None else "the body is not JSON"
    err = body.get("error")
    if not isinstance(err, dict):
        if body.get("object") == "error":
            return "the error fields are at the top level ({object: 'error', ...}), not inside `error`"
        if isinstance(err, str):
            return "`error` is a string, not an object ({code, error: <text>} body)"
        if "detail" in body:
            return "FastAPI's default {detail: ...} body, not an error envelope"
        return "the body has no `error` object"
    for key in ("message", "type"):
        if not isinstance(err.get(key), str):
            return f"error.{key} is {_kind(err, key)}, not a string"
    if "param" not in err or not (err["param"] is None or isinstance(err["param"], str)):
        return f"error.param is {_kind(err, 'param')}, not a string or null"
    # An int code is judged by errors.code-string (SHOULD); anything else that is not str/null is broken.
    if "code" not in err or not (err["code"] is None or isinstance(err["code"], (str, int))) or isinstance(
        err["code"], bool
    ):
        return f"error.code is {_kind(err, 'code')}, not a string or null"
    return None


def _kind(obj: dict[str, Any], key: str) -> str:
    return "missing" if key not in obj else f"{type(obj[key]).__name__} {obj[key]!r}"[:80]


def _looks_like_error(body: Any) -> bool:
    """An error body of any known dialect. A Response object also has `error`, but always with `id`/`object`."""
    if not isinstance(body, dict):
        return False
    if body.get("object") == "error":
        return True
    return "id" not in body and "object" not in body and (body.get("error") is not None or "detail" in body)


@exchange_check(
    id="errors.envelope",
    level=Level.MUST,
    requirement='A 4xx/5xx body is {"error": {"message": str, "type": str, "param": str|null, "code": str|null}}.',
    source=f"{DOCS}; docs/rules.md#real-traffic; xAI {{code, error}}, TensorRT-LLM top-level, FastAPI {{detail}} bodies",
    area=AREA,
)
def envelope(ex: Exchange) -> Outcome | None:
    if not _is_error_status(ex):
        return None
    if ex.is_stream:
        return violation(f"the {ex.status} error is an event stream, not a JSON error body", got=ex.content_type)
    body = ex.response.body
    problem = _envelope_problem(body)
    if problem is not None:
        got: Any = sorted(body) if isinstance(body, dict) else (ex.response.text or body)
        return violation(problem, status=ex.status, got=got if not isinstance(got, str) else got[:200])
    return ok()


@exchange_check(
    id="errors.code-string",
    level=Level.SHOULD,
    requirement="error.code is a string or null, never a number.",
    # SHOULD: openai-python/-node keep `code` untyped and openai-dotnet falls back to a generic message, so
    # the error still surfaces with the right status; only typed lookups on the code differ.
    source=f"{DOCS}; vLLM and TensorRT-LLM send the HTTP status as an int code",
    area=AREA,
)
def code_string(ex: Exchange) -> Outcome | None:
    if not _is_error_status(ex) or ex.is_stream:
        return None
    body = ex.response.body
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or "code" not in err:
        return None
    code = err["code"]
    if isinstance(code, int) and not isinstance(code, bool):
        return violation(f"error.code is the number {code}; OpenAI sends a string code (e.g. 'invalid_type') or null",
                         got=code)
    return ok()


@exchange_check(
    id="errors.status-class",
    level=Level.MUST,
    requirement="An error body comes with a 4xx/5xx status, never a 2xx; every status is a valid HTTP status.",
    source="docs/rules.md#real-traffic; clients decide success on the status alone and would parse the error as a result",
    area=AREA,
)
def status_class(ex: Exchange) -> Outcome | None:
    if ex.status is None:
        return None
    if not 100 <= ex.status <= 599:
        return violation(f"{ex.status} is not a valid HTTP status", status=ex.status)
    if ex.ok and not ex.is_stream and _looks_like_error(ex.response.body):
        return violation(f"an error body was sent with status {ex.status}", status=ex.status)
    return ok()


@exchange_check(
    id="errors.stream-rejection-status",
    stream_only=True,
    level=Level.MUST,
    requirement="A `stream: true` request rejected before generation gets a 4xx JSON error, not a 2xx stream.",
    source="docs/rules.md#real-traffic (OpenAI answers invalid stream requests 400/401 with a JSON body)",
    area=AREA,
    state=FramingState,
)
def stream_rejection_status(ex: Exchange) -> Outcome | None:
    st = framing_of(ex)
    if not wants_stream(ex) or st is None:
        return None
    first = st.first_object
    if first is not None and (first.type == "error" or (first.type is None and "error" in first.json)):
        return violation(
            f"the {ex.status} stream opens with an error instead of a 4xx status",
            event_index=first.index,
            line=first.line,
            data=first.data[:200],
        )
    return ok()


@exchange_check(
    id="errors.content-type",
    level=Level.SHOULD,
    requirement="A 4xx/5xx JSON error body is labelled application/json.",
    # SHOULD: the OpenAI SDKs parse error bodies as JSON whatever their label.
    source="docs/rules.md#real-traffic (every OpenAI error recording is application/json)",
    area=AREA,
)
def content_type(ex: Exchange) -> Outcome | None:
    if not _is_error_status(ex) or ex.is_stream or ex.content_type is None:
        return None
    if not is_json_media_type(media_type(ex.content_type)[0]):
        return violation(f"content type is {ex.content_type!r}", got=ex.content_type, expected="application/json")
    return ok()
