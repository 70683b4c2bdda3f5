"""Schema: response bodies and stream events against the openai-python 3.51.0 types (schemas/, overlay applied).

Only JSON-object bodies and events are judged here; non-JSON bodies, non-object `data:` and framing belong to
checks/framing.py, error bodies to checks/errors.py and the DELETE body to checks/storage.py.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from conformance import fielddates, schemas
from conformance.exchange import Exchange
from conformance.registry import exchange_check, stream_check
from conformance.schemagen import SDK_VERSION
from conformance.schemas import SchemaError
from conformance.sse import SSEEvent
from conformance.streamstate import StreamState, state_of
from conformance.verdicts import Level, Outcome, ok, violation

AREA = "schema"
SDK = f"openai-python {SDK_VERSION} types (schemas/PROVENANCE.md)"
DOCS = "https://platform.openai.com/docs/api-reference/responses"
SHOWN = 5  # errors spelled out in a message; the evidence holds up to 20
MAX_UNKNOWN_TYPES = 50  # distinct unknown event types listed (a hostile stream could send millions)

# The part of a path after its last `responses` segment: "" (create), "/{id}", "/{id}/cancel", ...
_AFTER_RESPONSES = re.compile(r"/responses((?:/[^/?#]+)*)/?(?:[?#].*)?$")
# Keep-alives that docs/rules.md#stream-grammar tolerates between events: `response.ping`, `keepalive` (OpenAI), `response.keep_alive`.
_KEEPALIVE = re.compile(r"(?:^|\.)(?:ping|keep_?alive)$")


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


def _not_an_object(ex: Exchange) -> Outcome | None:
    """A 2xx JSON body that is not an object (`null`, a list, a string) is well-formed JSON but no Response."""
    if ex.is_stream or not ex.ok or _route(ex) not in ("create", "retrieve", "cancel"):
        return None
    body = ex.response.body
    if body is None and ex.response.text is not None:
        try:
            body = json.loads(ex.response.text)
        except ValueError:
            return None  # not JSON at all: framing.non-stream-json
        if body is not None:
            return None
    elif body is None or isinstance(body, dict):
        return None  # no body recorded
    return violation(f"the 2xx body is JSON {json.dumps(body)[:60]}, not a Response object", path="$",
                     got=type(body).__name__ if body is not None else "null")


def _report(what: str, errors: list[SchemaError], where: list[dict[str, Any]] | None = None,
            total: int | None = None) -> Outcome:
    """A violation naming the JSON path of each error; `where` adds per-error context (event index, type);
    `total` counts errors beyond those kept."""
    ctx = where or [{} for _ in errors]
    lines = [
        (f"event {c['event_index']} ({c['type']}) " if c else "") + str(e) for e, c in zip(errors[:SHOWN], ctx)
    ]
    total = len(errors) if total is None else total
    more = f" (and {total - SHOWN} more)" if total > SHOWN else ""
    return violation(
        f"{what}: " + "; ".join(lines) + more,
        path=errors[0].path,
        **({"event_index": ctx[0]["event_index"]} if ctx[0] else {}),
        errors=[{**c, **e.to_json()} for e, c in zip(errors[: schemas.MAX_ERRORS], ctx)],
    )


class SchemaStreamState(StreamState):
    """What the schema checks need of a stream, judged one event at a time: schema errors (the first
    MAX_ERRORS kept, all counted), unknown event types, and the first problem of each Response object."""

    def __init__(self, ex: Exchange) -> None:
        super().__init__(ex)
        self.errors: list[SchemaError] = []
        self.where: list[dict[str, Any]] = []
        self.error_count = 0
        self.unknown_types: dict[str, tuple[int, int]] = {}  # type -> (first event index, count)
        self.known = schemas.event_types()
        self.created_at_seen = False
        self.created_at_problem: Outcome | None = None
        self.responses_seen = False
        self.fields_missing: Outcome | None = None
        self.format_mismatch: Outcome | None = None
        self._wanted = _wanted_fields(ex)
        self._requested = _requested_format(ex)
        self._validators: dict[tuple[str, bool], Callable[[Any], list[SchemaError]]] = {}
        self.echo_mismatch: Outcome | None = None
        self._echoed = _echoed_parameters(ex)

    def feed(self, ev: SSEEvent) -> None:
        d = ev.json
        if not isinstance(d, dict):
            return  # framing.data-is-json-object
        t = d.get("type")
        if not isinstance(t, str):
            errors: list[SchemaError] | None = [SchemaError("$.type", "the event has no string `type`")]
        else:
            errors = None  # not an API event type: schema.stream-event-types
            if t in self.known:
                key = (t, schemas.is_partial_event(d))
                validate = self._validators.get(key)
                if validate is None:
                    validate = self._validators[key] = schemas.default().validator(f"events/{t}", key[1],
                                                                                   self.ex.recorded_at)
                errors = validate(d)
            elif not _KEEPALIVE.search(t) and len(self.unknown_types) < MAX_UNKNOWN_TYPES:
                first, n = self.unknown_types.get(t, (ev.index, 0))
                self.unknown_types[t] = (first, n + 1)
        for e in errors or []:
            self.error_count += 1
            if len(self.errors) < schemas.MAX_ERRORS:
                self.errors.append(e)
                self.where.append({"event_index": ev.index, "type": t})
        resp = d.get("response")
        if isinstance(resp, dict):
            self._response(ev, resp)

    def _response(self, ev: SSEEvent, resp: dict[str, Any]) -> None:
        where = f"event {ev.index} ({ev.type}) $.response"
        self.responses_seen = True
        if "created_at" in resp:
            self.created_at_seen = True
            problem = _created_at_problem(resp["created_at"])
            if problem and self.created_at_problem is None:
                self.created_at_problem = violation(f"{where}.created_at: {problem}", path="$.response.created_at",
                                                    event_index=ev.index, got=resp["created_at"])
        if self.fields_missing is None:
            self.fields_missing = _missing_fields(where, resp, self._wanted)
        if self.echo_mismatch is None:
            problem = _echo_mismatch(self._echoed, resp)
            if problem:
                self.echo_mismatch = violation(f"{where}.{problem}", path=f"{where}.{problem.split()[0]}")
        if self._requested is not None and self.format_mismatch is None:
            problem = _format_mismatch(self._requested, resp)
            if problem:
                self.format_mismatch = violation(f"{where}.{problem}", path=f"{where}.text", expected=self._requested)


@exchange_check(
    id="schema.response",
    level=Level.MUST,
    requirement="A 2xx JSON body of create, retrieve or cancel is a valid Response object.",
    source=f"{DOCS}/object; {SDK}; a queued or in-progress Response holds partial items (docs/rules.md#real-traffic)",
    area=AREA,
)
def response_body(ex: Exchange) -> Outcome | None:
    body = _json_body(ex, "create", "retrieve", "cancel")
    if body is None:
        return _not_an_object(ex)
    errors = schemas.validate_response(body, ex.recorded_at)
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


@stream_check(
    id="schema.stream-events",
    level=Level.MUST,
    requirement="Every stream event of a known type matches its own type's schema; every event has a `type`.",
    source=f"{DOCS}-streaming; {SDK} ResponseStreamEvent; docs/rules.md#real-traffic: items in output_item.added and in a response "
           "still in progress are partial (only id and type required); fields OpenAI had not sent yet on a "
           "recording's date are not required (docs/rules.md)",
    area=AREA,
    state=SchemaStreamState,
)
def stream_events(st: SchemaStreamState) -> Outcome | None:
    if not st.errors:
        return ok()
    return _report("stream events do not match their schemas", st.errors, st.where, st.error_count)


@stream_check(
    id="schema.stream-event-types",
    level=Level.SHOULD,
    requirement="An event of a family the Responses API defines (`response.output_text.*`, ...) has one of that "
    "family's defined types; event types of families the pinned SDK does not know are listed, not judged.",
    source=f"{DOCS}-streaming; {SDK} ResponseStreamEvent; docs/rules.md#newer-than-the-sdk (OpenAI sends event "
    "families before the SDK learns them: keepalive, response.apply_patch_call_operation_diff.*)",
    area=AREA,
    state=SchemaStreamState,
)
def stream_event_types(st: SchemaStreamState) -> Outcome | None:
    # SHOULD, not MUST: clients skip events they do not know, so nothing breaks; but a client that handles a
    # family (output text, arguments) loses what an undefined member of it carries. A family the SDK does not
    # know at all is what newer API versions look like (docs/rules.md#newer-than-the-sdk): not a deviation.
    unknown = st.unknown_types
    if not unknown:
        return ok()
    families = _event_families()
    misnamed = {t: v for t, v in unknown.items() if t.rpartition(".")[0] in families}
    listed = ", ".join(f"{t} (x{n}, first at event {first})" for t, (first, n) in (misnamed or unknown).items())
    if not misnamed:
        return ok(f"event types the pinned SDK does not know (not judged): {listed}", types=sorted(unknown))
    return violation(
        f"event types that the Responses API does not define in a family it defines: {listed}",
        types=sorted(misnamed),
        event_index=min(first for first, _ in misnamed.values()),
    )


def _event_families() -> frozenset[str]:
    """`response.output_text` of `response.output_text.delta`: the families of the SDK's event types."""
    return frozenset(t.rpartition(".")[0] for t in schemas.event_types() if "." in t)


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
    state=SchemaStreamState,
)
def created_at_integer(ex: Exchange) -> Outcome | None:
    if ex.is_stream:
        st = state_of(ex, SchemaStreamState)
        if st is None or not st.created_at_seen:
            return None
        return st.created_at_problem or ok()
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
    source=f"{DOCS}/object; all 1,237 Response objects in the OpenAI recordings carry these {len(ALWAYS_SENT)} keys; "
           "a recording is not expected to carry a key OpenAI first sent after its date (docs/rules.md)",
    area=AREA,
    state=SchemaStreamState,
)
def response_fields_complete(ex: Exchange) -> Outcome | None:
    if ex.is_stream:
        st = state_of(ex, SchemaStreamState)
        if st is None or not st.responses_seen:
            return None
        return st.fields_missing or ok()
    body = _json_body(ex, "create", "retrieve", "cancel")
    if body is None or body.get("object") != "response":
        return None
    return _missing_fields("$", body, _wanted_fields(ex)) or ok()


def _wanted_fields(ex: Exchange) -> list[str]:
    return [k for k in ALWAYS_SENT if k not in fielddates.FIRST_SENT or fielddates.expected(k, ex.recorded_at)]


def _missing_fields(where: str, obj: dict[str, Any], wanted: list[str]) -> Outcome | None:
    missing = [k for k in wanted if k not in obj]
    if not missing:
        return None
    return violation(f"{where} lacks {', '.join(missing)} (OpenAI sends them, null when unset)",
                     path=where, missing=missing)

def _requested_format(ex: Exchange) -> dict[str, Any] | None:
    body = ex.request.body
    text = body.get("text") if isinstance(body, dict) and _route(ex) == "create" else None
    fmt = text.get("format") if isinstance(text, dict) else None
    return fmt if isinstance(fmt, dict) and isinstance(fmt.get("type"), str) else None


def _format_mismatch(requested: dict[str, Any], resp: dict[str, Any]) -> str | None:
    """How a Response's `text` fails to echo the requested format: every key the request set, holding what was
    sent. OpenAI's normalisation (docs/rules.md#echo-normalisation) is accepted: defaults filled in at any depth
    (`strict`, `description: null`, keys inside `schema`), key order, a null sent and left out."""
    text = resp.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("format"), dict):
        return f"text is {json.dumps(text)[:80]}, expected the requested format {requested['type']!r} echoed"
    echoed = text["format"]
    for key, value in requested.items():
        if value is not None and not _subset(value, echoed.get(key)):
            return f"text.format.{key} is {json.dumps(echoed.get(key))[:80]}, the request set {json.dumps(value)[:80]}"
    return None


@exchange_check(
    id="schema.text-format-echo",
    level=Level.MUST,
    requirement="When the request sets text.format, every Response of the answer echoes it in `text.format` "
                "(each key the request set, holding what was sent; defaults may be filled in).",
    source=f"{DOCS}/object (text: the configuration the response was made with); docs/rules.md#verdicts (silent acceptance); "
           "docs/rules.md#echo-normalisation (what OpenAI adds: strict, description null, key order)",
    area=AREA,
    state=SchemaStreamState,
)
def text_format_echo(ex: Exchange) -> Outcome | None:
    requested = _requested_format(ex)
    if requested is None or not ex.ok:
        return None
    if ex.is_stream:
        st = state_of(ex, SchemaStreamState)
        if st is None or not st.responses_seen:
            return None
        return st.format_mismatch or ok()
    body = ex.response.body
    if not isinstance(body, dict) or body.get("object") != "response":
        return None
    problem = _format_mismatch(requested, body)
    return violation(f"$.{problem}", path="$.text", expected=requested) if problem else ok()


# Request parameters every OpenAI Response echoes as sent (all recordings: each of these, when the request set
# it, is in every Response object of the answer with the same value). Left out: parameters other checks judge
# (instructions, metadata, previous_response_id, store, background, text), and those OpenAI resolves or
# normalises (`service_tier` "auto" -> the tier used, `reasoning.summary` "auto" -> "detailed", `tools` gain
# defaults).
ECHOED_PARAMETERS = (
    "max_output_tokens", "max_tool_calls", "parallel_tool_calls", "prompt_cache_key", "safety_identifier",
    "temperature", "tool_choice", "top_logprobs", "top_p", "truncation", "user",
)


def _echoed_parameters(ex: Exchange) -> dict[str, Any]:
    body = ex.request.body
    if not isinstance(body, dict) or _route(ex) != "create":
        return {}
    return {k: body[k] for k in ECHOED_PARAMETERS if k in body and body[k] is not None}


def _subset(sent: Any, echoed: Any) -> bool:
    """The echo keeps what was sent: equal values; for an object, each key sent (the echo may add keys, in any
    order, and leave out a key sent as null)."""
    if isinstance(sent, dict) and isinstance(echoed, dict):
        return all(_subset(v, echoed[k]) if k in echoed else v is None for k, v in sent.items())
    if isinstance(sent, list) and isinstance(echoed, list):
        return len(sent) == len(echoed) and all(_subset(a, b) for a, b in zip(sent, echoed))
    return isinstance(sent, bool) == isinstance(echoed, bool) and sent == echoed  # True is not 1


def _echo_mismatch(sent: dict[str, Any], resp: dict[str, Any]) -> str | None:
    for key, value in sent.items():
        if key not in resp:
            return f"{key} is absent; the request set {json.dumps(value)[:80]}"
        if not _subset(value, resp[key]):
            return f"{key} is {json.dumps(resp[key])[:80]}; the request set {json.dumps(value)[:80]}"
    return None


@exchange_check(
    id="schema.parameters-echoed",
    level=Level.SHOULD,
    requirement="Every Response of the answer echoes the request's generation parameters as sent "
                f"({', '.join(ECHOED_PARAMETERS)}).",
    source=f"{DOCS}/object (the Response carries the configuration it was made with); every OpenAI recording "
           "echoes each of them; docs/rules.md#verdicts (a parameter accepted and ignored often shows as a lost echo)",
    area=AREA,
    state=SchemaStreamState,
)
def parameters_echoed(ex: Exchange) -> Outcome | None:
    if not ex.ok or not _echoed_parameters(ex):
        return None
    if ex.is_stream:
        st = state_of(ex, SchemaStreamState)
        if st is None or not st.responses_seen:
            return None
        return st.echo_mismatch or ok()
    body = ex.response.body
    if not isinstance(body, dict) or body.get("object") != "response":
        return None
    problem = _echo_mismatch(_echoed_parameters(ex), body)
    return violation(f"$.{problem}", path=f"$.{problem.split()[0]}") if problem else ok()
