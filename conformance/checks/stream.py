"""Stream grammar and invariants (DESIGN §5): lifecycle, items, parts, sequence numbers, reconstruction, status.

One pass over a stream's typed events builds a ``StreamModel`` (items by output_index, their parts and the
text streamed into them) and records the ordering violations that only the walk can see, filed under the
rule they break. Each check below then judges one rule from that model, so a report names the exact rule.

Framing (``event:`` lines, ``[DONE]``, invalid JSON) belongs to checks/framing.py: events whose data is not
a JSON object are not seen here at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs

from conformance.exchange import Exchange
from conformance.registry import exchange_check
from conformance.sse import ParsedStream, SSEEvent
from conformance.verdicts import Kind, Level, Outcome, ok, violation, warn

AREA = "stream"

LIFECYCLE = ("response.created", "response.queued", "response.in_progress")
TERMINAL_STATUS = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
}

# Part containers: event prefix -> part family. A family's parts are indexed by INDEX_KEY and sit in the
# item's list of the family's name (message/reasoning `content`, reasoning `summary`).
PART_EVENTS = {"response.content_part": "content", "response.reasoning_summary_part": "summary"}
INDEX_KEY = {"content": "content_index", "summary": "summary_index"}
# Text streamed into a part: event prefix -> (part family, key holding the full text in `*.done`).
TEXT_STREAMS = {
    "response.output_text": ("content", "text"),
    "response.refusal": ("content", "refusal"),
    "response.reasoning_text": ("content", "text"),
    "response.reasoning_summary_text": ("summary", "text"),
}
# The text stream each part type must close with a `*.done` event (Llama Stack omits output_text.done).
TEXT_STREAM_OF_PART = {
    "output_text": "response.output_text",
    "refusal": "response.refusal",
    "reasoning_text": "response.reasoning_text",
    "summary_text": "response.reasoning_summary_text",
}
MESSAGE_TEXT = ("response.output_text", "response.refusal")
REASONING_TEXT = ("response.reasoning_text", "response.reasoning_summary_text")
# Argument-like strings streamed into an item: event prefix -> key in `*.done` and in the item.
ARG_STREAMS = {
    "response.function_call_arguments": "arguments",
    "response.mcp_call_arguments": "arguments",
    "response.custom_tool_call_input": "input",
    "response.code_interpreter_call_code": "code",
}
# Opaque item fields OpenAI legitimately re-issues in the terminal response: encrypted reasoning is
# re-encrypted (a fresh Fernet token) in response.completed, so it never equals the output_item.done copy.
REISSUED_ITEM_KEYS = frozenset({"encrypted_content"})

# The earliest OpenAI stream in the shared recordings (openllmetry, 2025-08-15) already carries
# sequence_number on every event, and none older exists; DESIGN §4 says streams "before mid-2025" lack it.
# A stream recorded before this date with no sequence_number at all gets a WARN, never a FAIL.
SEQUENCE_NUMBER_SINCE = "2025-08-15"

SHOWN_CHARS = 120  # how much of a mismatching text a message quotes


def _keepalive(ev_type: str) -> bool:
    """Keep-alives are tolerated anywhere (DESIGN §5) and are no part of the grammar. OpenAI sends undocumented
    `{"type": "keepalive", "sequence_number": n}` events on long requests (openai-node #1964), also seen as
    `response.keep_alive` (openai-php #770); other servers use `response.ping`-style names."""
    return ev_type.rsplit(".", 1)[-1] in ("ping", "keepalive", "keep_alive")


def _where(ev: SSEEvent) -> str:
    return f"event #{ev.index} (line {ev.line}, {ev.type})"


def _at(ev: SSEEvent) -> dict[str, Any]:
    return {"event_index": ev.index, "line": ev.line, "event_type": ev.type}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _shown(text: Any) -> str:
    s = text if isinstance(text, str) else repr(text)
    return repr(s if len(s) <= SHOWN_CHARS else s[:SHOWN_CHARS] + "…")


def _identity(item: dict[str, Any]) -> tuple[Any, Any, Any]:
    return item.get("type"), item.get("id"), item.get("call_id")


@dataclass
class Finding:
    message: str
    evidence: dict[str, Any]


@dataclass
class Part:
    family: str  # "content" or "summary"
    index: int | None
    added: SSEEvent | None  # None: never added (already reported) or added before a resumed stream's cut
    done: SSEEvent | None = None
    deltas: list[str] = field(default_factory=list)
    text_stream: str | None = None  # e.g. "response.output_text", from the text events seen
    text_done: SSEEvent | None = None

    @property
    def part_type(self) -> Any:
        return _dict(self.added.json.get("part")).get("type") if self.added else None

    def label(self) -> str:
        return f"{INDEX_KEY[self.family]} {self.index}"


@dataclass
class Item:
    output_index: int | None
    added: SSEEvent | None  # None: see Part.added
    done: SSEEvent | None = None
    parts: dict[tuple[str, int | None], Part] = field(default_factory=dict)
    arg_stream: str | None = None
    arg_deltas: list[str] = field(default_factory=list)
    arg_done: SSEEvent | None = None
    placeholder_id: Any = None  # for an item never added: the item_id its events carried

    @property
    def added_item(self) -> dict[str, Any]:
        return _dict(self.added.json.get("item")) if self.added else {}

    @property
    def done_item(self) -> dict[str, Any]:
        return _dict(self.done.json.get("item")) if self.done else {}

    @property
    def id(self) -> Any:
        return self.added_item.get("id") if self.added else self.placeholder_id

    @property
    def type(self) -> Any:
        return self.added_item.get("type") or self.done_item.get("type")

    def label(self) -> str:
        return f"output_index {self.output_index}" if self.output_index is not None else f"item {self.id!r}"


class StreamModel:
    """What one stream said, built in a single pass; ordering violations are filed by rule id."""

    def __init__(self, stream: ParsedStream, resumed_after: int | None = None, recorded_at: str | None = None) -> None:
        self.recorded_at = recorded_at
        self.resumed_after = resumed_after  # `starting_after` of a resumed stream (GET ...?stream=true)
        # OpenAI keep-alives take a sequence_number of their own, so the numbering is judged over them too.
        self.numbered = [e for e in stream.typed() if not _keepalive(e.type or "") or "sequence_number" in e.json]
        self.events = [e for e in stream.typed() if not _keepalive(e.type or "")]
        self.lifecycle: list[SSEEvent] = []
        self.terminals: list[SSEEvent] = []
        self.errors: list[SSEEvent] = []
        self.items: list[Item] = []  # in the order they were added (or first referred to)
        self.by_index: dict[int, Item] = {}
        self.by_id: dict[Any, Item] = {}
        self.open_at_terminal: list[Item] = []
        self.first_output: SSEEvent | None = None
        self.last_added_index: int | None = None
        self.findings: dict[str, list[Finding]] = {}
        for ev in self.events:
            self._walk(ev)
        self._finish()

    @property
    def resumed(self) -> bool:
        return self.resumed_after is not None

    @property
    def terminal(self) -> SSEEvent | None:
        return self.terminals[0] if self.terminals else None

    @property
    def terminal_response(self) -> dict[str, Any]:
        return _dict(self.terminal.json.get("response")) if self.terminal else {}

    def flag(self, rule: str, ev: SSEEvent, message: str, **evidence: Any) -> None:
        self.findings.setdefault(rule, []).append(Finding(f"{_where(ev)}: {message}", {**_at(ev), **evidence}))

    def outcome(self, rule: str) -> Outcome:
        found = self.findings.get(rule)
        if not found:
            return ok()
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return violation(found[0].message + more, **found[0].evidence, violations=len(found))

    # --- the walk -------------------------------------------------------------------------------------

    def _walk(self, ev: SSEEvent) -> None:
        t, d = ev.type or "", ev.json
        if self.terminals:
            first = self.terminals[0]
            self.flag("stream.nothing-after-terminal", ev, f"sent after the terminal {_where(first)}",
                      terminal_event_index=first.index)
        if t in LIFECYCLE:
            self._lifecycle(ev)
        elif t in TERMINAL_STATUS:
            if not self.terminals:
                self.open_at_terminal = [i for i in self.items if i.done is None and i.added is not None]
            self.terminals.append(ev)
        elif t == "error":
            self.errors.append(ev)
        elif t == "response.output_item.added":
            self.first_output = self.first_output or ev
            self._added(ev)
        elif "output_index" in d or "item_id" in d or t == "response.output_item.done":
            # output_item.done carries no item_id; without an output_index (llama.cpp) _resolve finds its
            # item by item.id, so it must still reach the walk.
            self.first_output = self.first_output or ev
            self._item_event(ev)

    def _lifecycle(self, ev: SSEEvent) -> None:
        rule, t = "stream.lifecycle-order", ev.type
        seen = [e.type for e in self.lifecycle]
        if t in seen:
            self.flag(rule, ev, f"a second {t}; expected it at most once")
        elif self.first_output is not None or self.terminals:
            self.flag(rule, ev, f"{t} after output started at {_where(self.first_output or self.terminals[0])}")
        elif t == "response.created" and self.lifecycle:
            self.flag(rule, ev, f"response.created after {seen[-1]}; expected created [queued] in_progress")
        elif t == "response.queued" and "response.in_progress" in seen:
            self.flag(rule, ev, "response.queued after response.in_progress; expected created [queued] in_progress")
        self.lifecycle.append(ev)

    def _added(self, ev: SSEEvent) -> None:
        oi, item = _int(ev.json.get("output_index")), _dict(ev.json.get("item"))
        if oi is None:
            self.flag("stream.output-index-sequential", ev, "output_item.added has no integer output_index",
                      got=ev.json.get("output_index"))
        elif oi in self.by_index and self.by_index[oi].added is not None:
            first = self.by_index[oi].added
            assert first is not None
            self.flag("stream.item-added-once", ev, f"output_index {oi} was already added at {_where(first)}",
                      first_event_index=first.index)
        else:
            last = self.last_added_index
            expected = last + 1 if last is not None else (None if self.resumed else 0)
            if expected is not None and oi != expected:
                self.flag("stream.output-index-sequential", ev,
                          f"expected output_index {expected} for the next item, found {oi}", expected=expected, got=oi)
            self.last_added_index = oi
        new = Item(oi, ev)
        self.items.append(new)
        if oi is not None:
            self.by_index[oi] = new
        if item.get("id") is not None:
            self.by_id[item["id"]] = new

    def _resolve(self, ev: SSEEvent) -> Item:
        """The item an event refers to; an item never added gets a placeholder so the walk can go on."""
        d = ev.json
        oi, item_id = _int(d.get("output_index")), d.get("item_id")
        if oi is None and ev.type == "response.output_item.done":
            item_id = _dict(d.get("item")).get("id")
        item = self.by_index.get(oi) if oi is not None else self.by_id.get(item_id)
        if item is not None:
            return item
        if not self.resumed:  # a resumed stream may refer to items added before its cut
            ref = f"output_index {oi}" if oi is not None else f"item_id {item_id!r}"
            self.flag("stream.item-event-refers-to-open-item", ev,
                      f"refers to {ref}, but no response.output_item.added for it came before", output_index=oi)
        item = Item(oi, None, placeholder_id=item_id)
        self.items.append(item)
        if oi is not None:
            self.by_index[oi] = item
        return item

    def _item_event(self, ev: SSEEvent) -> None:
        d, t = ev.json, ev.type or ""
        item = self._resolve(ev)
        if item.done is not None:
            self.flag("stream.item-event-refers-to-open-item", ev,
                      f"refers to {item.label()}, already done at {_where(item.done)}",
                      done_event_index=item.done.index)
        if "item_id" in d and item.id is not None and d["item_id"] != item.id:
            self.flag("stream.item-id-matches", ev,
                      f"item_id {d['item_id']!r} differs from the id {item.id!r} that output_item.added gave "
                      f"{item.label()}", expected=item.id, got=d["item_id"])
        prefix, _, suffix = t.rpartition(".")
        if t == "response.output_item.done":
            self._item_done(item, ev)
        elif prefix in PART_EVENTS and suffix in ("added", "done"):
            self._part_event(item, ev, PART_EVENTS[prefix], suffix)
        elif prefix in TEXT_STREAMS and suffix in ("delta", "done"):
            self._text_event(item, ev, prefix, suffix)
        elif t == "response.output_text.annotation.added":
            self._part_for(item, ev, "content")
        elif prefix in ARG_STREAMS and suffix in ("delta", "done"):
            self._arg_event(item, ev, prefix, suffix)

    def _item_done(self, item: Item, ev: SSEEvent) -> None:
        if item.done is not None:
            return  # already reported as an event for a done item
        item.done = ev
        if item.added is not None:
            got, expected = _identity(item.done_item), _identity(item.added_item)
            if got != expected:
                self.flag("stream.item-done-identity", ev,
                          f"the done item's (type, id, call_id) {got} differs from {expected} at {_where(item.added)}",
                          expected=list(expected), got=list(got))
        for part in item.parts.values():
            if part.added is not None and part.done is None:
                self.flag("stream.part-done", ev,
                          f"{part.label()} of {item.label()} (added at {_where(part.added)}) was never done",
                          part_event_index=part.added.index)

    def _part_for(self, item: Item, ev: SSEEvent, family: str) -> Part:
        """The part a text or annotation event writes to, reporting a part not (yet) added or already done."""
        index = _int(ev.json.get(INDEX_KEY[family]))
        part = item.parts.get((family, index))
        if part is None:
            if item.added is not None:
                opener = next(prefix for prefix, fam in PART_EVENTS.items() if fam == family)
                self.flag("stream.part-added-first", ev,
                          f"no {opener}.added for {INDEX_KEY[family]} {index} of {item.label()} before this event",
                          output_index=item.output_index, part_index=index)
            part = item.parts[(family, index)] = Part(family, index, None)
        elif part.done is not None:
            self.flag("stream.part-done", ev,
                      f"{part.label()} of {item.label()} was already done at {_where(part.done)}",
                      part_done_event_index=part.done.index)
        return part

    def _part_event(self, item: Item, ev: SSEEvent, family: str, suffix: str) -> None:
        index = _int(ev.json.get(INDEX_KEY[family]))
        key = (family, index)
        if suffix == "added":
            if key in item.parts:
                self.flag("stream.part-added-first", ev, f"{INDEX_KEY[family]} {index} of {item.label()} added again")
            item.parts[key] = Part(family, index, ev)
            return
        part = self._part_for(item, ev, family)
        if part.done is None:
            part.done = ev

    def _text_event(self, item: Item, ev: SSEEvent, prefix: str, suffix: str) -> None:
        family, key = TEXT_STREAMS[prefix]
        part = self._part_for(item, ev, family)
        part.text_stream = part.text_stream or prefix
        if part.text_done is not None:
            self.flag("stream.text-done", ev,
                      f"{prefix}.{suffix} for {part.label()} of {item.label()} after its {_where(part.text_done)}",
                      text_done_event_index=part.text_done.index)
            return
        if suffix == "delta":
            delta = ev.json.get("delta")
            part.deltas.append(delta if isinstance(delta, str) else "")
        else:
            part.text_done = ev

    def _arg_event(self, item: Item, ev: SSEEvent, prefix: str, suffix: str) -> None:
        item.arg_stream = item.arg_stream or prefix
        if item.arg_done is not None:
            self.flag("stream.arguments-reconstruction", ev,
                      f"{prefix}.{suffix} for {item.label()} after its {_where(item.arg_done)}",
                      arguments_done_event_index=item.arg_done.index)
        elif suffix == "delta":
            delta = ev.json.get("delta")
            item.arg_deltas.append(delta if isinstance(delta, str) else "")
        else:
            item.arg_done = ev

    def _finish(self) -> None:
        """Text parts that were closed must have closed their text stream first."""
        for item in self.items:
            for part in item.parts.values():
                closer = part.done or item.done
                if part.added is None or closer is None:
                    continue  # never added (reported) or cut off (the terminal rules report that)
                wanted = TEXT_STREAM_OF_PART.get(part.part_type)
                if wanted is None:
                    continue
                if part.text_done is None:
                    self.flag("stream.text-done", closer,
                              f"no {wanted}.done for {part.label()} of {item.label()} before this event",
                              output_index=item.output_index, part_index=part.index)
                elif part.done is not None and part.text_done.index > part.done.index:
                    self.flag("stream.text-done", part.text_done,
                              f"{wanted}.done after its part was done at {_where(part.done)}")


def _resumed_after(ex: Exchange) -> int | None:
    """`starting_after` of a resumed stream (GET /v1/responses/{id}?stream=true&starting_after=N)."""
    query: Any = ex.request.query
    if isinstance(query, str):
        query = {k: v[-1] for k, v in parse_qs(query).items()}
    if not isinstance(query, dict) and "?" in ex.request.path:
        query = {k: v[-1] for k, v in parse_qs(ex.request.path.split("?", 1)[1]).items()}
    value = (query or {}).get("starting_after")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# Checks run one after another on the same exchange, so one cached model serves them all.
_cache: tuple[ParsedStream, StreamModel] | None = None


def stream_model(ex: Exchange) -> StreamModel | None:
    """The model of a successful stream, or None when the stream rules do not apply."""
    global _cache
    if not ex.is_stream or not ex.ok or ex.stream is None:
        return None
    if _cache is None or _cache[0] is not ex.stream:
        _cache = (ex.stream, StreamModel(ex.stream, _resumed_after(ex), ex.recorded_at))
    return _cache[1]


def _stream_check(
    id: str, level: Level, requirement: str, source: str
) -> Callable[[Callable[[StreamModel], Outcome | None]], Callable[[Exchange], Outcome | None]]:
    def deco(func: Callable[[StreamModel], Outcome | None]) -> Callable[[Exchange], Outcome | None]:
        def check(ex: Exchange) -> Outcome | None:
            model = stream_model(ex)
            return None if model is None else func(model)

        check.__name__ = check.__qualname__ = func.__name__
        check.__doc__ = func.__doc__
        return exchange_check(id, level, requirement, source, AREA)(check)

    return deco


def _walk_rule(id: str, level: Level, requirement: str, source: str) -> None:
    """A rule judged entirely during the walk: its verdict is whatever the walk filed under its id."""

    def judged_by_walk(m: StreamModel) -> Outcome:
        return m.outcome(id)

    judged_by_walk.__name__ = id.removeprefix("stream.").replace("-", "_")
    _stream_check(id, level, requirement, source)(judged_by_walk)


# --- lifecycle --------------------------------------------------------------------------------------------

@_stream_check(
    "stream.first-event-created", Level.MUST,
    "The first event of a stream is response.created.",
    "docs/rules.md#stream-grammar; openai-python ResponseStreamState raises on any other first event",
)
def first_event_created(m: StreamModel) -> Outcome | None:
    if m.resumed:
        return None  # a resumed stream starts after `starting_after`, not at response.created
    if not m.events:
        return violation("the stream has no JSON events; expected response.created first")
    first = m.events[0]
    if first.type == "response.created":
        return ok()
    return violation(f"{_where(first)}: expected response.created as the first event, found {first.type}", **_at(first))


_walk_rule(
    "stream.lifecycle-order", Level.MUST,
    "response.created, then at most one response.queued, then at most one response.in_progress, all before any output.",
    "docs/rules.md#stream-grammar grammar `created [queued] in_progress item* terminal`",
)


@_stream_check(
    "stream.in-progress", Level.SHOULD,
    "response.in_progress is sent after response.created (and response.queued) before any output.",
    "docs/rules.md#stream-grammar grammar; every OpenAI stream sends it",
)
def in_progress_sent(m: StreamModel) -> Outcome | None:
    if m.resumed:
        return None
    if any(e.type == "response.in_progress" for e in m.lifecycle):
        return ok()
    nxt = m.first_output or m.terminal
    where = f" before {_where(nxt)}" if nxt else ""
    return violation(f"no response.in_progress{where}", **(_at(nxt) if nxt else {}))


@_stream_check(
    "stream.response-id-stable", Level.MUST,
    "response.id is identical in every lifecycle event (created, queued, in_progress) and the terminal event.",
    "docs/rules.md#stream-grammar; openai-python raises 'Lifecycle response identity changed'; LiteLLM #37852 / PR #37956",
)
def response_id_stable(m: StreamModel) -> Outcome | None:
    events = m.lifecycle + m.terminals
    if not events:
        return None
    ids = [(e, _dict(e.json.get("response")).get("id")) for e in events]
    first, first_id = ids[0]
    for ev, rid in ids[1:]:
        if rid != first_id:
            return violation(
                f"{_where(ev)}: response.id is {rid!r}, expected {first_id!r} as in {_where(first)}",
                **_at(ev), expected=first_id, got=rid,
            )
    return ok()


@_stream_check(
    "stream.terminal-event", Level.MUST,
    "A stream ends with exactly one response.completed, response.incomplete or response.failed; "
    "an error event may come only right before response.failed.",
    "docs/rules.md#stream-grammar; vLLM #38190 (stream ends without response.failed on error); truncated or hung streams",
)
def terminal_event(m: StreamModel) -> Outcome | None:
    for err in m.errors:
        nxt = next((e for e in m.events if e.index > err.index), None)
        if nxt is None or nxt.type != "response.failed":
            found = _where(nxt) if nxt else "the end of the stream"
            return violation(f"{_where(err)}: an error event must be followed by response.failed, found {found}",
                             **_at(err))
    if not m.terminals:
        last = m.events[-1] if m.events else None
        after = f"after {_where(last)}" if last else "with no events"
        return violation(
            f"the stream ended {after} without response.completed, response.incomplete or response.failed "
            "(truncated or hung)", **(_at(last) if last else {}),
        )
    if len(m.terminals) > 1:
        listed = ", ".join(_where(e) for e in m.terminals)
        return violation(f"{len(m.terminals)} terminal events ({listed}); expected exactly one",
                         **_at(m.terminals[1]), terminal_events=[e.index for e in m.terminals])
    return ok()


_walk_rule(
    "stream.nothing-after-terminal", Level.MUST,
    "No event follows the terminal event (keep-alives aside).",
    "docs/rules.md#stream-grammar 'Nothing follows the terminal event'",
)

# --- items ------------------------------------------------------------------------------------------------

_walk_rule(
    "stream.item-added-once", Level.MUST,
    "Each output_index is announced by exactly one response.output_item.added.",
    "docs/rules.md#stream-grammar; openai-python raises 'Duplicate response output index'",
)

_walk_rule(
    "stream.output-index-sequential", Level.MUST,
    "Items are added with output_index 0, 1, 2, … in order: an item's output_index is its place in response.output.",
    "docs/rules.md#stream-grammar; gpt-oss reference server (off-by-one output_index); TensorRT-LLM #19223",
)

_walk_rule(
    "stream.item-event-refers-to-open-item", Level.MUST,
    "Every item sub-event (parts, deltas, done) refers to an output_index that was added and is not yet done.",
    "docs/rules.md#stream-grammar; openai-python raises on content before its item; LiteLLM #37852 (done for items never added); "
    "gpt-oss reference server (function call with only output_item.done)",
)

_walk_rule(
    "stream.item-id-matches", Level.MUST,
    "The item_id of every sub-event equals the item.id from that output_index's response.output_item.added.",
    "docs/rules.md#stream-grammar; TensorRT-LLM #19223 (item ids differ within the stream)",
)

_walk_rule(
    "stream.item-done-identity", Level.MUST,
    "The output_item.done item has the same type, id and call_id as the output_item.added one.",
    "docs/rules.md#stream-grammar; openai-python raises 'Completed output item identity changed'",
)


@_stream_check(
    "stream.items-done-before-terminal", Level.MUST,
    "Every added item gets its response.output_item.done before response.completed or response.incomplete.",
    "docs/rules.md#stream-grammar; openai-python raises 'Cannot complete response with unfinished output items'; SGLang #12652",
)
def items_done_before_terminal(m: StreamModel) -> Outcome | None:
    if m.terminal is None or m.terminal.type == "response.failed":
        return None  # a failed response may stop mid-item; a missing terminal is stream.terminal-event's
    if not m.open_at_terminal:
        return ok()
    first = m.open_at_terminal[0]
    assert first.added is not None
    labels = ", ".join(i.label() for i in m.open_at_terminal)
    return violation(
        f"{_where(m.terminal)}: no response.output_item.done for {labels} (first added at {_where(first.added)})",
        **_at(m.terminal), open_output_indexes=[i.output_index for i in m.open_at_terminal],
    )


# --- parts ------------------------------------------------------------------------------------------------

_walk_rule(
    "stream.part-added-first", Level.MUST,
    "A content_index (summary_index) gets one content_part.added (reasoning_summary_part.added) before its "
    "deltas, annotations and done events.",
    "docs/rules.md#stream-grammar message/reasoning grammar; openai-python indexes content by content_index; "
    "AWS Bedrock (response.reasoning_part.added)",
)

_walk_rule(
    "stream.part-done", Level.MUST,
    "Every added part gets one content_part.done (reasoning_summary_part.done) before its output_item.done, "
    "and nothing for it afterwards.",
    "docs/rules.md#stream-grammar message/reasoning grammar",
)

_walk_rule(
    "stream.text-done", Level.MUST,
    "Every text part closes its text with one output_text.done (refusal.done, reasoning_summary_text.done, "
    "reasoning_text.done) after its deltas and before its part is done.",
    "docs/rules.md#stream-grammar message grammar; Llama Stack ogx #5309 (no output_text.done)",
)

# --- sequence numbers -------------------------------------------------------------------------------------


def _sequence(m: StreamModel) -> list[tuple[SSEEvent, int | None]]:
    return [(e, _int(e.json.get("sequence_number"))) for e in m.numbered]


@_stream_check(
    "stream.sequence-number", Level.MUST,
    "Every event carries an integer sequence_number, strictly increasing through the stream.",
    "docs/rules.md#real-traffic and #stream-grammar; TensorRT-LLM #19223 (restarts); LiteLLM PR #28899 (missing); "
    f"OpenAI streams recorded before {SEQUENCE_NUMBER_SINCE} without any sequence_number get a WARN",
)
def sequence_number(m: StreamModel) -> Outcome | None:
    seq = _sequence(m)
    if not seq:
        return None
    if all(n is None and "sequence_number" not in e.json for e, n in seq):
        if m.recorded_at is not None and m.recorded_at < SEQUENCE_NUMBER_SINCE:
            return warn(f"no event carries sequence_number; tolerated for a stream recorded {m.recorded_at}, "
                        f"before OpenAI is known to send it ({SEQUENCE_NUMBER_SINCE})", recorded_at=m.recorded_at)
        return violation(f"none of the {len(seq)} events carries a sequence_number", **_at(seq[0][0]))
    prev: tuple[SSEEvent, int] | None = None
    for ev, n in seq:
        if n is None:
            found = repr(ev.json["sequence_number"]) if "sequence_number" in ev.json else "none"
            return violation(f"{_where(ev)}: expected an integer sequence_number, found {found}", **_at(ev),
                             got=ev.json.get("sequence_number"))
        if prev is not None and n <= prev[1]:
            return violation(f"{_where(ev)}: sequence_number {n} does not increase on {prev[1]} at {_where(prev[0])}",
                             **_at(ev), expected=f"> {prev[1]}", got=n)
        prev = (ev, n)
    return ok()


@_stream_check(
    "stream.sequence-contiguous", Level.SHOULD,
    "sequence_number starts at 0 (at starting_after + 1 when resuming) and goes up by exactly 1.",
    "docs/rules.md#stream-grammar ('starting at 0 with steps of 1 is a SHOULD'); what OpenAI sends",
)
def sequence_contiguous(m: StreamModel) -> Outcome | None:
    seq = _sequence(m)
    if not seq or any(n is None for _, n in seq):
        return None  # stream.sequence-number reports absent numbers
    expected = 0 if m.resumed_after is None else m.resumed_after + 1
    for ev, n in seq:
        if n != expected:
            what = "start" if ev is seq[0][0] else "continue"
            return violation(f"{_where(ev)}: expected sequence_number {expected} to {what} the stream, found {n}",
                             **_at(ev), expected=expected, got=n)
        expected = n + 1
    return ok()


# --- reconstruction ---------------------------------------------------------------------------------------


def _part_text_key(part_type: Any) -> str:
    return "refusal" if part_type == "refusal" else "text"


def _text_mismatch(m: StreamModel, streams: tuple[str, ...]) -> Outcome:
    """Deltas (after the added part's initial text) must equal every later copy of the part's text."""
    for item in m.items:
        for part in item.parts.values():
            if part.added is None or part.text_stream not in streams:
                continue  # a part never added is reported elsewhere, and a resumed one was not seen whole
            _, done_key = TEXT_STREAMS[part.text_stream]
            initial = _dict(part.added.json.get("part")).get(_part_text_key(part.part_type)) or ""
            streamed = (initial if isinstance(initial, str) else "") + "".join(part.deltas)
            copies: list[tuple[SSEEvent, str, Any]] = []
            if part.text_done is not None:
                done_text = part.text_done.json.get(done_key)
                copies.append((part.text_done, f"{part.text_stream}.done.{done_key}", done_text))
            if part.done is not None:
                p = _dict(part.done.json.get("part"))
                key = _part_text_key(p.get("type"))
                copies.append((part.done, f"part.{key}", p.get(key)))
            if item.done is not None and part.index is not None:
                entries = item.done_item.get(part.family)
                where = f"item.{part.family}[{part.index}]"
                if not isinstance(entries, list) or part.index >= len(entries) or part.index < 0:
                    return violation(f"{_where(item.done)}: the done item of {item.label()} has no {where} for the "
                                     f"text streamed into {part.label()}", **_at(item.done))
                entry = _dict(entries[part.index])
                key = _part_text_key(entry.get("type"))
                copies.append((item.done, f"{where}.{key}", entry.get(key)))
            for ev, what, text in copies:
                if text != streamed:
                    return violation(
                        f"{_where(ev)}: {what} of {item.label()} {part.label()} is {_shown(text)}, but the "
                        f"{part.text_stream}.delta events concatenate to {_shown(streamed)}",
                        **_at(ev), expected=streamed, got=text,
                    )
    return ok()


@_stream_check(
    "stream.text-reconstruction", Level.MUST,
    "Concatenated output_text/refusal deltas equal the *.done text, content_part.done part and the "
    "output_item.done item's content.",
    "docs/rules.md#stream-grammar reconstruction; AWS Bedrock (content_index beyond the item's content)",
)
def text_reconstruction(m: StreamModel) -> Outcome | None:
    return _text_mismatch(m, MESSAGE_TEXT)


@_stream_check(
    "stream.reasoning-reconstruction", Level.MUST,
    "Concatenated reasoning_summary_text/reasoning_text deltas equal the *.done text, the part's done text and "
    "the output_item.done item's summary/content.",
    "docs/rules.md#stream-grammar reasoning grammar (same added → delta* → done shape as messages)",
)
def reasoning_reconstruction(m: StreamModel) -> Outcome | None:
    return _text_mismatch(m, REASONING_TEXT)


@_stream_check(
    "stream.arguments-reconstruction", Level.MUST,
    "function_call_arguments.delta* then one .done: the deltas concatenate to .done.arguments and to the "
    "output_item.done item's arguments (likewise MCP arguments, custom tool input, code interpreter code).",
    "docs/rules.md#stream-grammar function grammar; SGLang #12652",
)
def arguments_reconstruction(m: StreamModel) -> Outcome | None:
    walked = m.outcome("stream.arguments-reconstruction")
    if walked.kind is not Kind.OK:
        return walked
    for item in m.items:
        if item.added is None or item.done is None:
            continue
        stream = item.arg_stream or ("response.function_call_arguments" if item.type == "function_call" else None)
        if stream is None:
            continue
        key = ARG_STREAMS[stream]
        if item.arg_done is None:
            return violation(f"{_where(item.done)}: no {stream}.done for {item.label()} before its output_item.done",
                             **_at(item.done))
        initial = item.added_item.get(key)
        streamed = (initial if isinstance(initial, str) else "") + "".join(item.arg_deltas)
        for ev, what, value in (
            (item.arg_done, f"{stream}.done.{key}", item.arg_done.json.get(key)),
            (item.done, f"item.{key}", item.done_item.get(key)),
        ):
            if value != streamed:
                return violation(f"{_where(ev)}: {what} of {item.label()} is {_shown(value)}, but the deltas "
                                 f"concatenate to {_shown(streamed)}", **_at(ev), expected=streamed, got=value)
    return ok()


@_stream_check(
    "stream.output-matches-items", Level.MUST,
    "The terminal response's output equals the output_item.done items ordered by output_index "
    "(same identity and content; the final copy may add fields).",
    "docs/rules.md#stream-grammar reconstruction; SGLang #12652 (empty completed.output); TensorRT-LLM #19223",
)
def output_matches_items(m: StreamModel) -> Outcome | None:
    term = m.terminal
    if term is None or term.type == "response.failed":
        return None  # a failed response's output may hold unfinished items
    output = m.terminal_response.get("output")
    if not isinstance(output, list):
        return violation(f"{_where(term)}: response.output is {output!r}, expected a list of the done items",
                         **_at(term))
    done = sorted((i for i in m.items if i.done is not None),
                  key=lambda i: (i.output_index is None, i.output_index or 0))
    if m.resumed:  # items done before the cut were not seen: match what was seen by identity
        finals = {_identity(_dict(o)): _dict(o) for o in output}
        pairs = [(i, finals.get(_identity(i.done_item))) for i in done]
    else:
        if len(output) != len(done):
            return violation(f"{_where(term)}: response.output has {len(output)} items, but the stream completed "
                             f"{len(done)} (output_item.done)", **_at(term), expected=len(done), got=len(output))
        pairs = [(i, _dict(o)) for i, o in zip(done, output)]
    for pos, (item, final) in enumerate(pairs):
        want = item.done_item
        assert item.done is not None
        if final is None or _identity(final) != _identity(want):
            got = _identity(final) if final is not None else None
            return violation(f"{_where(term)}: output[{pos}] has (type, id, call_id) {got}, expected {_identity(want)} "
                             f"from {_where(item.done)}", **_at(term), expected=list(_identity(want)), got=got)
        kept = {k: v for k, v in want.items() if k not in REISSUED_ITEM_KEYS}
        diff = _first_difference(kept, final, f"output[{pos}]")
        if diff is not None:
            path, expected, got = diff
            return violation(f"{_where(term)}: {path} is {got}, expected {expected} as in {_where(item.done)}",
                             **_at(term), path=path)
    return ok()


def _first_difference(want: Any, got: Any, path: str) -> tuple[str, str, str] | None:
    """Where ``got`` loses or changes a value of ``want``; keys only ``got`` has are fine (OpenAI may add some)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            if key not in got:
                return f"{path}.{key}", _shown(value), "absent"
            diff = _first_difference(value, got[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            diff = _first_difference(w, g, f"{path}[{i}]")
            if diff:
                return diff
        return None
    return None if want == got else (path, _shown(want), _shown(got))


# --- status -----------------------------------------------------------------------------------------------


@_stream_check(
    "stream.terminal-status", Level.MUST,
    "The terminal event matches response.status: completed ⇒ \"completed\"; incomplete ⇒ \"incomplete\" with "
    "incomplete_details.reason; failed ⇒ \"failed\" with error set.",
    "docs/rules.md#stream-grammar status; vLLM (response.completed carrying status incomplete); Llama Stack",
)
def terminal_status(m: StreamModel) -> Outcome | None:
    term = m.terminal
    if term is None:
        return None
    resp, expected = m.terminal_response, TERMINAL_STATUS[term.type or ""]
    status = resp.get("status")
    if status != expected:
        return violation(f"{_where(term)}: response.status is {status!r}, expected {expected!r}",
                         **_at(term), expected=expected, got=status)
    if expected == "incomplete":
        reason = _dict(resp.get("incomplete_details")).get("reason")
        if not isinstance(reason, str) or not reason:
            return violation(f"{_where(term)}: response.incomplete_details.reason is {reason!r}, expected the reason "
                             "the response stopped (e.g. 'max_output_tokens')", **_at(term), got=reason)
    if expected == "failed" and not resp.get("error"):
        return violation(f"{_where(term)}: response.error is {resp.get('error')!r}, expected the error that failed it",
                         **_at(term))
    return ok()


def _final_items(m: StreamModel) -> list[dict[str, Any]]:
    output = m.terminal_response.get("output")
    if isinstance(output, list) and output:
        return [_dict(o) for o in output]
    return [i.done_item for i in m.items if i.done is not None]


@_stream_check(
    "stream.incomplete-item-status", Level.MUST,
    "An item with status \"incomplete\" (cut short) makes the response incomplete, never completed.",
    "docs/rules.md#stream-grammar status; vLLM (token limit ends with response.completed)",
)
def incomplete_item_status(m: StreamModel) -> Outcome | None:
    term = m.terminal
    if term is None or term.type != "response.completed":
        return None
    for item in (i for i in m.items if i.done is not None):
        if item.done_item.get("status") == "incomplete":
            assert item.done is not None
            return violation(f"{_where(item.done)}: {item.label()} has status 'incomplete', but the stream ends with "
                             f"{_where(term)}", **_at(item.done), terminal_event_index=term.index)
    for pos, final in enumerate(_final_items(m)):
        if final.get("status") == "incomplete":
            return violation(f"{_where(term)}: output[{pos}] has status 'incomplete' in a completed response",
                             **_at(term), path=f"output[{pos}].status")
    return ok()


@_stream_check(
    "stream.truncated-item-status", Level.SHOULD,
    "When response.incomplete reports max_output_tokens, the last output item that has a status is not "
    "\"completed\".",
    "vLLM #57998 (items completed inside an incomplete response); OpenAI marks the cut item incomplete",
)
def truncated_item_status(m: StreamModel) -> Outcome | None:
    term = m.terminal
    if term is None or term.type != "response.incomplete":
        return None
    if _dict(m.terminal_response.get("incomplete_details")).get("reason") != "max_output_tokens":
        return None
    with_status = [(pos, o) for pos, o in enumerate(_final_items(m)) if "status" in o]
    if with_status and with_status[-1][1].get("status") == "completed":
        pos, final = with_status[-1]
        return violation(f"{_where(term)}: the response stopped at max_output_tokens, but its last item "
                         f"output[{pos}] ({final.get('type')}) is 'completed'; expected 'incomplete'",
                         **_at(term), path=f"output[{pos}].status")
    return ok()
