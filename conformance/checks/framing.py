"""Framing: how a response is put on the wire (SSE event lines, [DONE], JSON payloads, content types).

Calibrated on the recordings: every genuine OpenAI stream has an `event:` line equal to `data.type`, one JSON
`data:` line, no comments, no `[DONE]`, and `text/event-stream; charset=utf-8` (docs/rules.md#real-traffic). xAI and Bedrock
omit the charset; Bedrock (like OpenRouter) omits `event:` lines.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from conformance.exchange import Exchange
from conformance.extract import is_websocket
from conformance.registry import exchange_check, stream_check
from conformance.sse import SSEEvent
from conformance.streamstate import StreamState, state_of
from conformance.verdicts import Level, Outcome, ok, violation

AREA = "framing"
WHATWG = "https://html.spec.whatwg.org/multipage/server-sent-events.html"


def wants_stream(ex: Exchange) -> bool:
    """Did the request ask for an event stream (`"stream": true`, or `?stream=true` on a retrieve)?"""
    body = ex.request.body
    if isinstance(body, dict) and body.get("stream") is True:
        return True
    query = ex.request.query
    # The recordings store the query as its raw string; live runs may store a dict.
    if isinstance(query, str):
        values = parse_qs(query).get("stream", [])
    elif isinstance(query, dict):
        values = [str(query.get("stream", ""))]
    else:
        values = []
    return any(v.lower() == "true" for v in values)


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """("type/subtype" lower-cased, {param: value}) of a Content-Type header."""
    if not content_type:
        return "", {}
    head, *params = content_type.split(";")
    out: dict[str, str] = {}
    for p in params:
        name, _, value = p.partition("=")
        out[name.strip().lower()] = value.strip().strip('"')
    return head.strip().lower(), out


def is_json_media_type(mt: str) -> bool:
    return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))


def _streamed(ex: Exchange) -> bool:
    # A WebSocket turn's events arrive as socket messages: there is no SSE framing to judge.
    return ex.is_stream and ex.ok and not is_websocket(ex)


def _where(ev: SSEEvent) -> dict[str, object]:
    return {"event_index": ev.index, "line": ev.line}


class FramingState(StreamState):
    """What the framing checks need of a stream, gathered one event at a time."""

    def __init__(self, ex: Exchange) -> None:
        super().__init__(ex)
        self.count = 0
        self.name_mismatches = 0
        self.first_mismatch: SSEEvent | None = None
        self.without_event_line = 0
        self.first_without_event_line: SSEEvent | None = None
        self.first_bad_data: SSEEvent | None = None  # not JSON, or JSON but not an object
        self.first_object: SSEEvent | None = None  # the first event whose data is a JSON object

    @classmethod
    def applies(cls, ex: Exchange) -> bool:
        return _streamed(ex)  # a WebSocket turn's events have no SSE framing to judge

    def feed(self, ev: SSEEvent) -> None:
        self.count += 1
        if ev.event is not None and isinstance(ev.type, str) and ev.event != ev.type:
            self.name_mismatches += 1
            self.first_mismatch = self.first_mismatch or ev
        if ev.event is None:
            self.without_event_line += 1
            self.first_without_event_line = self.first_without_event_line or ev
        if isinstance(ev.json, dict):
            self.first_object = self.first_object or ev
        elif self.first_bad_data is None:
            self.first_bad_data = ev


def framing_of(ex: Exchange) -> FramingState | None:
    return state_of(ex, FramingState)


@stream_check(
    id="framing.event-name-matches-type",
    level=Level.MUST,
    requirement="An SSE event's `event:` name equals the `type` in its JSON data.",
    source="docs/rules.md#real-traffic and #stream-grammar; openai-python dispatches on data.type, other clients on the event name",
    area=AREA,
    state=FramingState,
)
def event_name_matches_type(st: FramingState) -> Outcome | None:
    first = st.first_mismatch
    if first is not None:
        return violation(
            f"{st.name_mismatches} event(s) have an `event:` name that differs from data.type; first: "
            f"event {first.event!r}, type {first.type!r}",
            **_where(first),
            got=first.event,
            expected=first.type,
            count=st.name_mismatches,
        )
    return ok()


@stream_check(
    id="framing.event-line-present",
    level=Level.SHOULD,
    requirement="Every SSE event has an `event:` line (OpenAI always sends one).",
    source="docs/rules.md#real-traffic and #stream-grammar; OpenRouter and AWS Bedrock send data-only events",
    area=AREA,
    state=FramingState,
)
def event_line_present(st: FramingState) -> Outcome | None:
    if st.first_without_event_line is not None:
        return violation(
            f"{st.without_event_line} of {st.count} event(s) have no `event:` line",
            **_where(st.first_without_event_line),
            count=st.without_event_line,
        )
    return ok()


@stream_check(
    id="framing.no-done-sentinel",
    level=Level.SHOULD,
    requirement="A Responses stream does not end with `data: [DONE]` (that is the Chat Completions convention).",
    source="docs/rules.md#real-traffic and #stream-grammar; OpenRouter and vLLM-style servers append [DONE]",
    area=AREA,
    state=FramingState,
)
def no_done_sentinel(st: FramingState) -> Outcome | None:
    assert st.parsed is not None
    if st.parsed.done_marker:
        return violation("the stream contains `data: [DONE]`")
    return ok()


@stream_check(
    id="framing.nothing-after-done",
    level=Level.MUST,
    requirement="No event follows a `data: [DONE]` marker.",
    source="openai-python Stream stops reading at [DONE], so later events are lost",
    area=AREA,
    state=FramingState,
)
def nothing_after_done(st: FramingState) -> Outcome | None:
    parsed = st.parsed
    if parsed is None or not parsed.done_marker:
        return None
    if parsed.events_after_done:
        return violation(f"{parsed.events_after_done} event(s) follow `[DONE]`", count=parsed.events_after_done)
    return ok()


@stream_check(
    id="framing.data-is-json-object",
    level=Level.MUST,
    requirement="The `data:` of every SSE event is one JSON object.",
    source=f"docs/rules.md#stream-grammar; openai-python calls sse.json() on every event; {WHATWG}",
    area=AREA,
    state=FramingState,
)
def data_is_json_object(st: FramingState) -> Outcome | None:
    e = st.first_bad_data
    if e is None:
        return ok()
    if e.json_error is not None:
        return violation(f"event data is not JSON ({e.json_error})", **_where(e), data=e.data[:200])
    return violation(f"event data is JSON {type(e.json).__name__}, not an object", **_where(e), data=e.data[:200])


@exchange_check(
    id="framing.stream-content-type",
    stream_only=True,
    level=Level.MUST,
    requirement="A streamed response has content type `text/event-stream` (any charset parameter is utf-8).",
    source=f"{WHATWG} (event streams are always UTF-8); docs/rules.md#real-traffic",
    area=AREA,
)
def stream_content_type(ex: Exchange) -> Outcome | None:
    if not _streamed(ex) or ex.content_type is None:
        return None
    mt, params = media_type(ex.content_type)
    if mt != "text/event-stream":
        return violation(f"content type is {ex.content_type!r}", got=ex.content_type, expected="text/event-stream")
    charset = params.get("charset")
    # httpx decodes the body with the declared charset, so another charset garbles non-ASCII text.
    if charset is not None and charset.lower() != "utf-8":
        return violation(f"event stream declares charset {charset!r}", got=ex.content_type)
    return ok()


@exchange_check(
    id="framing.stream-charset",
    stream_only=True,
    level=Level.SHOULD,
    requirement="A streamed response declares `charset=utf-8` as OpenAI does.",
    source="docs/rules.md#real-traffic (all OpenAI recordings: `text/event-stream; charset=utf-8`; xAI and Bedrock omit it)",
    area=AREA,
)
def stream_charset(ex: Exchange) -> Outcome | None:
    # SHOULD only: WHATWG decodes event streams as UTF-8 regardless, so clients cope without it.
    if not _streamed(ex) or ex.content_type is None:
        return None
    if media_type(ex.content_type)[1].get("charset", "").lower() != "utf-8":
        return violation(f"content type {ex.content_type!r} declares no charset=utf-8", got=ex.content_type)
    return ok()


@exchange_check(
    id="framing.non-stream-json",
    level=Level.MUST,
    requirement="A successful response to a request without `stream: true` is a JSON body labelled application/json.",
    source="openai-node returns the raw text for a non-JSON content type; openai-python expects application/json",
    area=AREA,
)
def non_stream_json(ex: Exchange) -> Outcome | None:
    if wants_stream(ex) or not ex.ok or ex.status == 204 or is_websocket(ex):
        return None
    if ex.request.unknown and ex.is_stream:
        return None  # the request was not recorded: it may have asked for the stream (docs/rules.md#unknown-requests)
    if ex.is_stream:
        return violation("a request without `stream: true` was answered with an event stream", got=ex.content_type)
    if ex.content_type is None:  # headers not recorded
        return None
    if not is_json_media_type(media_type(ex.content_type)[0]):
        return violation(f"content type is {ex.content_type!r}", got=ex.content_type, expected="application/json")
    if ex.response.text is not None and not _is_json(ex.response.text):
        # A JSON `null` (or any JSON value) is JSON: whether it is the right object is schema.response's rule.
        return violation("the body is not JSON", body=ex.response.text[:200])
    return ok()


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@exchange_check(
    id="framing.stream-request-streams",
    stream_only=True,
    level=Level.MUST,
    requirement="A `stream: true` request is answered with an event stream, or with a 4xx/5xx JSON error.",
    source="docs/rules.md#real-traffic; openai-python reads a JSON 2xx body as an empty event stream",
    area=AREA,
)
def stream_request_streams(ex: Exchange) -> Outcome | None:
    if not wants_stream(ex) or ex.status is None or not (ex.ok or ex.status >= 400):
        return None
    if ex.ok and not ex.is_stream:
        return violation(
            f"`stream: true` was answered {ex.status} with a non-stream body", got=ex.content_type, status=ex.status
        )
    if ex.status >= 400 and ex.is_stream:
        return violation(f"the {ex.status} error was sent as an event stream, not a JSON body", got=ex.content_type)
    return ok()
