"""Schema: response bodies and stream events against the openai-python 3.51.0 types (schemas/, overlay applied).

Only JSON-object bodies and events are judged here; non-JSON bodies, non-object `data:` and framing belong to
checks/framing.py, error bodies to checks/errors.py and the DELETE body to checks/storage.py.
"""

from __future__ import annotations

import re
from typing import Any

from conformance import schemas
from conformance.exchange import Exchange
from conformance.registry import exchange_check
from conformance.schemagen import SDK_VERSION
from conformance.schemas import SchemaError
from conformance.verdicts import Level, Outcome, ok, violation, warn

AREA = "schema"
SDK = f"openai-python {SDK_VERSION} types (schemas/PROVENANCE.md)"
DOCS = "https://platform.openai.com/docs/api-reference/responses"
SHOWN = 5  # errors spelled out in a message; the evidence holds up to 20

# The part of a path after its last `responses` segment: "" (create), "/{id}", "/{id}/cancel", ...
_AFTER_RESPONSES = re.compile(r"/responses((?:/[^/?#]+)*)/?(?:[?#].*)?$")
# Keep-alives that DESIGN §5 tolerates between events: `response.ping`, `keepalive` (OpenAI), `response.keep_alive`.
_KEEPALIVE = re.compile(r"(?:^|\.)(?:ping|keep_?alive)$")
# DESIGN §4: streams from before mid-2025 lack `sequence_number` (and `logprobs` on text events). The earliest
# recorded OpenAI stream (2025-08-15) has both; the same cut-off as stream.sequence-number.
_SEQUENCE_NUMBER_SINCE = "2025-08-15"
_PRE_SEQUENCE_MISSING = {"'sequence_number' is a required property", "'logprobs' is a required property"}


def _route(ex: Exchange) -> str | None:
    """Which Responses route an exchange hit: create, retrieve, cancel, input_items, or None."""
    m = _AFTER_RESPONSES.search(ex.request.path)
    if m is None:
        return None
    rest = [s for s in m.group(1).split("/") if s]
    if not rest and ex.method == "POST":
        return "create"
    if len(rest) == 1 and ex.method == "GET":
        return "retrieve"
    if len(rest) == 2 and rest[1] == "cancel" and ex.method == "POST":
        return "cancel"
    if len(rest) == 2 and rest[1] == "input_items" and ex.method == "GET":
        return "input_items"
    return None


def _json_body(ex: Exchange, *routes: str) -> dict[str, Any] | None:
    if ex.is_stream or not ex.ok or _route(ex) not in routes or not isinstance(ex.response.body, dict):
        return None
    return ex.response.body


def _report(what: str, errors: list[SchemaError], where: list[dict[str, Any]] | None = None) -> Outcome:
    """A violation naming the JSON path of each error; `where` adds per-error context (event index, type)."""
    ctx = where or [{} for _ in errors]
    lines = [
        (f"event {c['event_index']} ({c['type']}) " if c else "") + str(e) for e, c in zip(errors[:SHOWN], ctx)
    ]
    more = f" (and {len(errors) - SHOWN} more)" if len(errors) > SHOWN else ""
    return violation(
        f"{what}: " + "; ".join(lines) + more,
        path=errors[0].path,
        **({"event_index": ctx[0]["event_index"]} if ctx[0] else {}),
        errors=[{**c, **e.to_json()} for e, c in zip(errors[: schemas.MAX_ERRORS], ctx)],
    )


@exchange_check(
    id="schema.response",
    level=Level.MUST,
    requirement="A 2xx JSON body of create, retrieve or cancel is a valid Response object.",
    source=f"{DOCS}/object; {SDK}",
    area=AREA,
)
def response_body(ex: Exchange) -> Outcome | None:
    body = _json_body(ex, "create", "retrieve", "cancel")
    if body is None:
        return None
    errors = schemas.validate_response(body)
    return _report("the Response does not match its schema", errors) if errors else ok()


@exchange_check(
    id="schema.input-items",
    level=Level.MUST,
    requirement="A 2xx body of GET /v1/responses/{id}/input_items is a valid item list.",
    source=f"{DOCS}/input-items; {SDK} ResponseItemList",
    area=AREA,
)
def input_items_body(ex: Exchange) -> Outcome | None:
    body = _json_body(ex, "input_items")
    if body is None:
        return None
    errors = schemas.validate_item_list(body)
    return _report("the input item list does not match its schema", errors) if errors else ok()


@exchange_check(
    id="schema.stream-events",
    level=Level.MUST,
    requirement="Every stream event of a known type matches its own type's schema; every event has a `type`.",
    source=f"{DOCS}-streaming; {SDK} ResponseStreamEvent; docs/rules.md#real-traffic (streams before 2025-08-15 lack sequence_number)",
    area=AREA,
)
def stream_events(ex: Exchange) -> Outcome | None:
    if not ex.is_stream or not ex.ok or ex.stream is None:
        return None
    found: list[SchemaError] = []
    where: list[dict[str, Any]] = []
    for ev in ex.stream.typed():
        if not isinstance(ev.type, str):
            errors: list[SchemaError] | None = [SchemaError("$.type", "the event has no string `type`")]
        else:
            errors = schemas.validate_event(ev.json)  # None: not an API event type (schema.stream-event-types)
        for e in errors or []:
            found.append(e)
            where.append({"event_index": ev.index, "type": ev.type})
    if not found:
        return ok()
    outcome = _report("stream events do not match their schemas", found, where)
    recorded = ex.recorded_at or ""
    if recorded and recorded < _SEQUENCE_NUMBER_SINCE and all(e.message in _PRE_SEQUENCE_MISSING for e in found):
        before = f"recorded {recorded[:10]}, before OpenAI sent these fields: "
        return warn(before + outcome.message, **outcome.evidence)
    return outcome


@exchange_check(
    id="schema.stream-event-types",
    level=Level.SHOULD,
    requirement="Every stream event's `type` is one the Responses API defines (keep-alive pings aside).",
    source=f"{DOCS}-streaming; {SDK} ResponseStreamEvent; AWS Bedrock sends response.reasoning_part.*",
    area=AREA,
)
def stream_event_types(ex: Exchange) -> Outcome | None:
    # SHOULD, not MUST: clients skip events they do not know, so nothing breaks, but whatever such events
    # carry (Bedrock's reasoning text) is lost to every standard client.
    if not ex.is_stream or not ex.ok or ex.stream is None:
        return None
    known = schemas.event_types()
    unknown: dict[str, list[int]] = {}
    for ev in ex.stream.typed():
        t = ev.type
        if isinstance(t, str) and t not in known and not _KEEPALIVE.search(t):
            unknown.setdefault(t, []).append(ev.index)
    if not unknown:
        return ok()
    listed = ", ".join(f"{t} (x{len(ix)}, first at event {ix[0]})" for t, ix in unknown.items())
    return violation(
        f"event types the Responses API does not define: {listed}",
        types=sorted(unknown),
        event_index=min(ix[0] for ix in unknown.values()),
    )


def _created_at_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # a missing or non-numeric created_at is a schema.response / schema.stream-events FAIL
    if not isinstance(value, int):
        return f"{value!r} is a float, not an integer number of seconds"
    if value > 10**11:
        return f"{value!r} looks like milliseconds, not seconds"
    return None


@exchange_check(
    id="schema.created-at-integer",
    level=Level.SHOULD,
    requirement="`created_at` of a Response is an integer Unix timestamp in seconds, as OpenAI sends it.",
    source=f"{DOCS}/object (integer); every OpenAI recording; AWS Bedrock sends a float. The SDK types say float",
    area=AREA,
)
def created_at_integer(ex: Exchange) -> Outcome | None:
    if ex.is_stream:
        if not ex.ok or ex.stream is None:
            return None
        seen = False
        for ev in ex.stream.typed():
            resp = ev.json.get("response")
            if isinstance(resp, dict) and "created_at" in resp:
                seen = True
                problem = _created_at_problem(resp["created_at"])
                if problem:
                    return violation(
                        f"event {ev.index} ({ev.type}) $.response.created_at: {problem}",
                        path="$.response.created_at",
                        event_index=ev.index,
                        got=resp["created_at"],
                    )
        return ok() if seen else None
    body = _json_body(ex, "create", "retrieve", "cancel")
    if body is None or "created_at" not in body:
        return None
    problem = _created_at_problem(body["created_at"])
    if problem:
        return violation(f"$.created_at: {problem}", path="$.created_at", got=body["created_at"])
    return ok()


# Keys present in every one of the 1,237 Response objects (bodies and lifecycle events) of the OpenAI
# recordings, null when unset. The SDK types make them optional, so only this check notices a server that
# leaves them out (OpenAI-compatible clients in stricter languages then see a missing field, not null).
ALWAYS_SENT = (
    "id", "object", "created_at", "status", "background", "error", "incomplete_details", "instructions",
    "max_output_tokens", "max_tool_calls", "model", "output", "parallel_tool_calls", "previous_response_id",
    "reasoning", "service_tier", "store", "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p",
    "truncation", "usage", "user", "metadata",
)


@exchange_check(
    id="schema.response-fields-complete",
    level=Level.SHOULD,
    requirement="A Response object carries every field OpenAI always sends, with null for unset values.",
    source=f"{DOCS}/object; all 1,237 Response objects in the OpenAI recordings carry these {len(ALWAYS_SENT)} keys",
    area=AREA,
)
def response_fields_complete(ex: Exchange) -> Outcome | None:
    objects: list[tuple[str, dict[str, Any]]] = []
    if ex.is_stream:
        if ex.ok and ex.stream is not None:
            objects = [
                (f"event {ev.index} ({ev.type}) $.response", ev.json["response"])
                for ev in ex.stream.typed()
                if isinstance(ev.json.get("response"), dict)
            ]
    else:
        body = _json_body(ex, "create", "retrieve", "cancel")
        if body is not None and body.get("object") == "response":
            objects = [("$", body)]
    if not objects:
        return None
    for where, obj in objects:
        missing = [k for k in ALWAYS_SENT if k not in obj]
        if missing:
            return violation(f"{where} lacks {', '.join(missing)} (OpenAI sends them, null when unset)",
                             path=where, missing=missing)
    return ok()
