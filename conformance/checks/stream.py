"""Stream grammar and invariants (docs/rules.md#stream-grammar): lifecycle, items, parts, sequence numbers, reconstruction, status.

One pass over a stream's typed events builds a ``StreamModel`` (items by output_index, their parts and the
text streamed into them) and records the ordering violations that only the walk can see, filed under the
rule they break. Each check below then judges one rule from that model, so a report names the exact rule.

Framing (``event:`` lines, ``[DONE]``, invalid JSON) belongs to checks/framing.py: events whose data is not
a JSON object are not seen here at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs

from conformance import fielddates, schemas
from conformance.exchange import SERVER_CLOSED_NOTE, Exchange
from conformance.registry import stream_check
from conformance.sse import ParsedStream, SSEEvent
from conformance.streamstate import StreamState
from conformance.verdicts import Kind, Level, Outcome, ok, violation

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
# Item fields fixed when the item is announced: the done item must carry the same value (a function call's
# `name`, a message's `role`, an MCP item's `server_label`). Identity (type, id, call_id) has its own rule.
STABLE_ITEM_KEYS = ("name", "role", "server_label")
# A status an item announced by output_item.added cannot have yet: it has not been produced.
FINISHED_ITEM_STATUSES = frozenset({"completed", "incomplete"})
LIFECYCLE_STATUSES = frozenset({"queued", "in_progress"})
# Response keys that never change between a stream's lifecycle events and its terminal event in any recording
# (OpenAI and vendors alike). Left out: what the response is meant to fill in as it goes (status, output,
# usage, error, incomplete_details, completed_at) and what OpenAI resolves on the way (`service_tier` "auto"
# becomes the tier used).
STABLE_RESPONSE_KEYS = (
    "created_at", "model", "object", "instructions", "text", "tools", "tool_choice", "temperature", "top_p",
    "max_output_tokens", "max_tool_calls", "parallel_tool_calls", "previous_response_id", "truncation", "user",
    "metadata", "store", "background", "reasoning", "prompt_cache_key", "safety_identifier", "top_logprobs",
)
_ABSENT = object()

SHOWN_CHARS = 120  # how much of a mismatching text a message quotes


def _keepalive(ev_type: str) -> bool:
    """Keep-alives are tolerated anywhere (docs/rules.md#stream-grammar) and are no part of the grammar. OpenAI sends undocumented
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


def _shown_value(value: Any) -> str:
    return "absent" if value is _ABSENT else _shown(json.dumps(value) if not isinstance(value, str) else value)


def _identity(item: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(type, id, call_id): `call_id` counts only for item types whose SDK model requires one
    (docs/rules.md#item-identity); elsewhere OpenAI may re-issue it (tool_search_call)."""
    t = item.get("type")
    return t, item.get("id"), item.get("call_id") if t in schemas.call_id_types() else None


def _born_complete(item_type: Any) -> bool:
    """Output-type items (`*_output`: a tool's result handed back) exist whole when they appear, so
    output_item.added may announce them `completed` (docs/rules.md#items-born-complete)."""
    return isinstance(item_type, str) and item_type.endswith("_output")


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
    parts_added: dict[str, int] = field(default_factory=dict)  # part family -> how many were added
    # The item's own completion event (response.mcp_list_tools.completed, response.web_search_call.completed,
    # ...): docs/rules.md#items-closed-by-their-own-completion-event, such items may be closed by it instead of output_item.done.
    closed_by: SSEEvent | None = None
    # Fixed when the Item is made (`added` never changes): the announced item and the id events refer to.
    added_item: dict[str, Any] = field(init=False)
    id: Any = field(init=False)

    def __post_init__(self) -> None:
        self.added_item = _dict(self.added.json.get("item")) if self.added else {}
        self.id = self.added_item.get("id") if self.added else self.placeholder_id

    @property
    def open(self) -> bool:
        return self.done is None and self.closed_by is None

    @property
    def done_item(self) -> dict[str, Any]:
        return _dict(self.done.json.get("item")) if self.done else {}

    @property
    def type(self) -> Any:
        return self.added_item.get("type") or self.done_item.get("type")

    def label(self) -> str:
        return f"output_index {self.output_index}" if self.output_index is not None else f"item {self.id!r}"


def _append(chunks: list[str], text: str) -> None:
    """Append to running text kept as a few large strings, not one small string per delta."""
    chunks.append(text)
    if len(chunks) >= 256:
        chunks[:] = ["".join(chunks)]


class _Sequence:
    """sequence_number judged as the events go past: the first violation of each rule, and counts."""

    def __init__(self, resumed_after: int | None) -> None:
        self.count = 0
        self.first: SSEEvent | None = None
        self.all_absent = True  # no event has the key at all
        self.any_missing = False  # some event has no integer sequence_number
        self.problem: Outcome | None = None  # stream.sequence-number's first violation
        self.gap: Outcome | None = None  # stream.sequence-contiguous's first violation
        self._prev: tuple[SSEEvent, int] | None = None
        self._expected = 0 if resumed_after is None else resumed_after + 1

    def feed(self, ev: SSEEvent) -> None:
        self.count += 1
        self.first = self.first or ev
        n = _int(ev.json.get("sequence_number"))
        if n is not None or "sequence_number" in ev.json:
            self.all_absent = False
        if n is None:
            self.any_missing = True
        if self.problem is None:
            prev = self._prev
            if n is None:
                found = repr(ev.json["sequence_number"]) if "sequence_number" in ev.json else "none"
                self.problem = violation(f"{_where(ev)}: expected an integer sequence_number, found {found}",
                                         **_at(ev), got=ev.json.get("sequence_number"))
            elif prev is not None and n <= prev[1]:
                self.problem = violation(f"{_where(ev)}: sequence_number {n} does not increase on {prev[1]} at "
                                         f"{_where(prev[0])}", **_at(ev), expected=f"> {prev[1]}", got=n)
            else:
                self._prev = (ev, n)
        if self.gap is None and not self.any_missing:
            if n != self._expected:
                what = "start" if self.count == 1 else "continue"
                self.gap = violation(f"{_where(ev)}: expected sequence_number {self._expected} to {what} the stream, "
                                     f"found {n}", **_at(ev), expected=self._expected, got=n)
            else:
                self._expected = n + 1


class StreamModel(StreamState):
    """What one stream said, built in a single pass; ordering violations are filed by rule id.

    Fed one event at a time (conformance/streamstate.py), it keeps the items and their parts, the running
    text streamed into them, the lifecycle and terminal events, and per rule the first violation and a
    count: nothing that grows with the number of events beyond the text itself."""

    def __init__(self, ex: Exchange) -> None:
        super().__init__(ex)
        self.recorded_at = ex.recorded_at
        self.resumed_after = _resumed_after(ex)  # `starting_after` of a resumed stream (GET ...?stream=true)
        self.first_event: SSEEvent | None = None  # the first JSON event (keep-alives aside)
        self.last_event: SSEEvent | None = None
        self.lifecycle: list[SSEEvent] = []
        self.terminals: list[SSEEvent] = []
        self.errors: list[SSEEvent] = []
        self.after_error: dict[int, SSEEvent] = {}  # error event index -> the event that followed it
        self.items: list[Item] = []  # in the order they were added (or first referred to)
        self.by_index: dict[int, Item] = {}
        self.by_id: dict[Any, Item] = {}
        self.open_items: dict[int, Item] = {}  # id(item) -> added items not yet closed, in the order added
        self.open_at_terminal: list[Item] = []
        self.first_output: SSEEvent | None = None
        self.last_added_index: int | None = None
        self.findings: dict[str, tuple[Finding, int]] = {}  # rule -> (first violation, how many)
        self.sequence = _Sequence(self.resumed_after)
        self.first_response: tuple[SSEEvent, dict[str, Any]] | None = None  # first Response's STABLE_RESPONSE_KEYS
        self.server_closed = next((n for n in ex.notes if n.startswith(SERVER_CLOSED_NOTE)), None)

    def feed(self, ev: SSEEvent) -> None:
        if not isinstance(ev.json, dict):
            return  # framing's (checks/framing.py)
        keepalive = _keepalive(ev.type or "")
        # OpenAI keep-alives take a sequence_number of their own, so the numbering is judged over them too.
        if not keepalive or "sequence_number" in ev.json:
            self.sequence.feed(ev)
        if keepalive:
            return
        self.first_event = self.first_event or ev
        self.last_event = ev
        if self.errors and self.errors[-1].index not in self.after_error:
            self.after_error[self.errors[-1].index] = ev
        self._walk(ev)

    def close(self, parsed: ParsedStream) -> None:
        super().close(parsed)
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
        found = self.findings.get(rule)
        if found is None:
            self.findings[rule] = (Finding(f"{_where(ev)}: {message}", {**_at(ev), **evidence}), 1)
        else:
            self.findings[rule] = (found[0], found[1] + 1)

    def outcome(self, rule: str) -> Outcome:
        found = self.findings.get(rule)
        if not found:
            return ok()
        first, count = found
        more = f" (and {count - 1} more)" if count > 1 else ""
        return violation(first.message + more, **first.evidence, violations=count)

    # --- the walk -------------------------------------------------------------------------------------

    def _walk(self, ev: SSEEvent) -> None:
        t, d = ev.type or "", ev.json
        if self.terminals:
            first = self.terminals[0]
            self.flag("stream.nothing-after-terminal", ev, f"sent after the terminal {_where(first)}",
                      terminal_event_index=first.index)
        if t in LIFECYCLE or t in TERMINAL_STATUS:
            self._response_fields(ev)
        if t in LIFECYCLE:
            self._lifecycle(ev)
        elif t in TERMINAL_STATUS:
            if not self.terminals:
                self.open_at_terminal = list(self.open_items.values())
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

    def _response_fields(self, ev: SSEEvent) -> None:
        """The Response's identity and configuration stay what the first lifecycle event said."""
        resp = ev.json.get("response")
        if not isinstance(resp, dict):
            return
        if self.first_response is None:
            self.first_response = (ev, {k: resp.get(k, _ABSENT) for k in STABLE_RESPONSE_KEYS})
            return
        first, kept = self.first_response
        for key, value in kept.items():
            now = resp.get(key, _ABSENT)
            if now != value:
                self.flag("stream.response-fields-stable", ev,
                          f"response.{key} is {_shown_value(now)}, but {_where(first)} said {_shown_value(value)}",
                          key=key)
                return

    def _lifecycle(self, ev: SSEEvent) -> None:
        rule, t = "stream.lifecycle-order", ev.type
        seen = [e.type for e in self.lifecycle]
        status = _dict(ev.json.get("response")).get("status")
        if isinstance(status, str) and status not in LIFECYCLE_STATUSES:
            self.flag("stream.lifecycle-status", ev, f"response.status is {status!r} in {t}; a response being "
                      "created or in progress is 'queued' or 'in_progress'", got=status)
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
        status = item.get("status")
        if status in FINISHED_ITEM_STATUSES and not _born_complete(item.get("type")):
            self.flag("stream.item-added-status", ev, f"the {item.get('type')} item is announced with status "
                      f"{status!r}; an item being added has not been produced yet", got=status)
        first = next(iter(self.open_items.values()), None)
        if first is not None:
            assert first.added is not None
            self.flag("stream.items-not-interleaved", ev, f"a new item is added while {first.label()} (added at "
                      f"{_where(first.added)}) is not done", open_output_index=first.output_index)
        new = Item(oi, ev)
        self.items.append(new)
        self.open_items[id(new)] = new
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
        elif suffix in ("completed", "failed") and "." in prefix and t in schemas.event_types() and item.open:
            item.closed_by = ev  # e.g. response.mcp_list_tools.completed: the item's own completion event
            self.open_items.pop(id(item), None)

    def _item_done(self, item: Item, ev: SSEEvent) -> None:
        if item.done is not None:
            return  # already reported as an event for a done item
        item.done = ev
        self.open_items.pop(id(item), None)
        if item.added is not None:
            got, expected = _identity(item.done_item), _identity(item.added_item)
            if got != expected:
                self.flag("stream.item-done-identity", ev,
                          f"the done item's (type, id, call_id) {got} differs from {expected} at {_where(item.added)}"
                          " (call_id counts where the SDK requires one)",
                          expected=list(expected), got=list(got))
            for key in STABLE_ITEM_KEYS:
                if key in item.added_item and item.done_item.get(key) != item.added_item[key]:
                    self.flag("stream.item-done-fields-stable", ev,
                              f"the done {item.type} item's {key} is {item.done_item.get(key)!r}, but "
                              f"{_where(item.added)} announced {item.added_item[key]!r}",
                              key=key, expected=item.added_item[key], got=item.done_item.get(key))
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
            expected = item.parts_added.get(family, 0)
            if index is not None and item.added is not None and index != expected:
                self.flag("stream.part-index-sequential", ev,
                          f"{INDEX_KEY[family]} {index} is the part #{expected} added to {item.label()}; each item's "
                          f"parts are numbered from 0", expected=expected, got=index)
            item.parts_added[family] = expected + 1
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
            _append(part.deltas, delta if isinstance(delta, str) else "")
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
            _append(item.arg_deltas, delta if isinstance(delta, str) else "")
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


def _stream_check(
    id: str, level: Level, requirement: str, source: str
) -> Callable[[Callable[[StreamModel], Outcome | None]], Callable[[Exchange], Outcome | None]]:
    return stream_check(id, level, requirement, source, AREA, StreamModel)


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
    first = m.first_event
    if first is None:
        return violation("the stream has no JSON events; expected response.created first")
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
    "docs/rules.md#stream-grammar; vLLM #38190 (stream ends without response.failed on error); truncated or hung streams; "
    "docs/rules.md#streams-cut-by-the-server (gpt-oss's server drops the connection mid-stream)",
)
def terminal_event(m: StreamModel) -> Outcome | None:
    for err in m.errors:
        nxt = m.after_error.get(err.index)
        if nxt is None or nxt.type != "response.failed":
            found = _where(nxt) if nxt else "the end of the stream"
            return violation(f"{_where(err)}: an error event must be followed by response.failed, found {found}",
                             **_at(err))
    if not m.terminals:
        last = m.last_event
        after = f"after {_where(last)}" if last else "with no events"
        how = f"{m.server_closed}: " if m.server_closed else ""
        return violation(
            f"{how}the stream ended {after} without response.completed, response.incomplete or response.failed "
            "(truncated or hung)", **(_at(last) if last else {}), server_closed=bool(m.server_closed),
        )
    if len(m.terminals) > 1:
        listed = ", ".join(_where(e) for e in m.terminals)
        return violation(f"{len(m.terminals)} terminal events ({listed}); expected exactly one",
                         **_at(m.terminals[1]), terminal_events=[e.index for e in m.terminals])
    return ok()


_walk_rule(
    "stream.lifecycle-status", Level.MUST,
    "response.created, response.queued and response.in_progress carry a response whose status is queued or "
    "in_progress.",
    "docs/rules.md#stream-grammar grammar; every OpenAI recording; a client that sees 'completed' early stops reading",
)


_walk_rule(
    "stream.response-fields-stable", Level.SHOULD,
    "The Response's created_at, model and request configuration (instructions, tools, tool_choice, "
    "temperature, max_output_tokens, metadata, ...) are the same in every lifecycle event and the terminal event.",
    "docs/rules.md#stream-grammar (one response, announced then completed); every recorded stream, OpenAI's and vendors'; "
    "llama.cpp's created/in_progress carry only {id, object, status}",
)


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
    "The output_item.done item has the same type and id as the output_item.added one, and the same call_id "
    "where the item type's SDK model requires one.",
    "docs/rules.md#item-identity; openai-python raises 'Completed output item identity changed'; OpenAI re-issues "
    "the optional call_id of tool_search_call items",
)


@_stream_check(
    "stream.items-done-before-terminal", Level.MUST,
    "Every added item gets its response.output_item.done (or its own completion event, such as "
    "response.mcp_list_tools.completed) before response.completed or response.incomplete.",
    "docs/rules.md#real-traffic and #stream-grammar; openai-python raises 'Cannot complete response with unfinished output items'; SGLang #12652; "
    "OpenAI closes some mcp_list_tools items with response.mcp_list_tools.completed only",
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
        f"{_where(m.terminal)}: no response.output_item.done (nor the item's own completion event) for {labels} (first added at {_where(first.added)})",
        **_at(m.terminal), open_output_indexes=[i.output_index for i in m.open_at_terminal],
    )


_walk_rule(
    "stream.item-done-fields-stable", Level.MUST,
    "The output_item.done item keeps the name, role and server_label that output_item.added announced.",
    "docs/rules.md#stream-grammar (an item's identity is fixed when it is added); a client dispatches a function call by the name "
    "it saw first",
)

_walk_rule(
    "stream.item-added-status", Level.MUST,
    "An item announced by response.output_item.added is not yet finished: its status is not completed or "
    "incomplete (output-type items, `*_output`, may be born complete).",
    "docs/rules.md#items-born-complete (added items are partial snapshots); OpenAI announces model-produced items "
    "in_progress or without a status, and tool outputs (shell_call_output, program_output) completed",
)

_walk_rule(
    "stream.items-not-interleaved", Level.SHOULD,
    "Items are streamed one at a time: no output_item.added while an earlier item is not yet done.",
    "docs/rules.md#stream-grammar grammar `item*` (OpenAI never interleaves items; llama.cpp does); clients that render the open "
    "item may mix them up",
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
    "stream.part-index-sequential", Level.MUST,
    "An item's parts are added with content_index (summary_index) 0, 1, 2, … in order: the index restarts at 0 "
    "for every item, also for the message after a reasoning item.",
    "docs/rules.md#stream-grammar (content_index is the part's place in the item's content); vLLM #45742 (the "
    "message after a reasoning item keeps a non-zero content_index and openai-python raises IndexError)",
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


@_stream_check(
    "stream.sequence-number", Level.MUST,
    "Every event carries an integer sequence_number, strictly increasing through the stream.",
    "docs/rules.md#real-traffic and #stream-grammar; TensorRT-LLM #19223 (restarts); LiteLLM PR #28899 (missing); a stream recorded before "
    f"OpenAI sent it ({fielddates.FIRST_SENT['sequence_number'].since}, docs/rules.md) may lack it altogether",
)
def sequence_number(m: StreamModel) -> Outcome | None:
    seq = m.sequence
    if seq.first is None:
        return None
    if seq.all_absent:
        if not fielddates.expected("sequence_number", m.recorded_at):
            return ok(f"no event carries sequence_number, as OpenAI sent none on {str(m.recorded_at)[:10]}",
                      recorded_at=m.recorded_at)
        return violation(f"none of the {seq.count} events carries a sequence_number", **_at(seq.first))
    return seq.problem or ok()


@_stream_check(
    "stream.sequence-contiguous", Level.SHOULD,
    "sequence_number starts at 0 (at starting_after + 1 when resuming) and goes up by exactly 1.",
    "docs/rules.md#stream-grammar ('starting at 0 with steps of 1 is a SHOULD'); what OpenAI sends",
)
def sequence_contiguous(m: StreamModel) -> Outcome | None:
    seq = m.sequence
    if seq.first is None or seq.any_missing:
        return None  # stream.sequence-number reports absent numbers
    return seq.gap or ok()


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
    "(same identity and content; the final copy may add fields and re-issue opaque tokens; an item closed by its own completion event "
    "is matched by identity).",
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
    # Items closed by their own completion event (docs/rules.md#items-closed-by-their-own-completion-event) are listed too; only their identity is known.
    done = sorted((i for i in m.items if not i.open),
                  key=lambda i: (i.output_index is None, i.output_index or 0))
    if m.resumed:  # items done before the cut were not seen: match what was seen by identity
        finals = {_identity(_dict(o)): _dict(o) for o in output}
        pairs = [(i, finals.get(_identity(_known_item(i)))) for i in done]
    else:
        if len(output) != len(done):
            return violation(f"{_where(term)}: response.output has {len(output)} items, but the stream completed "
                             f"{len(done)} (output_item.done or the item's own completion event)",
                             **_at(term), expected=len(done), got=len(output))
        pairs = [(i, _dict(o)) for i, o in zip(done, output)]
    for pos, (item, final) in enumerate(pairs):
        want = _known_item(item)
        closer = item.done or item.closed_by
        assert closer is not None
        if final is None or _identity(final) != _identity(want):
            got = _identity(final) if final is not None else None
            return violation(f"{_where(term)}: output[{pos}] has (type, id, call_id) {got}, expected {_identity(want)} "
                             f"from {_where(closer)}", **_at(term), expected=list(_identity(want)), got=got)
        if item.done is None:
            continue  # closed by its own event: the added snapshot is partial, so only its identity is compared
        diff = _first_difference(want, final, f"output[{pos}]")
        if diff is not None:
            path, expected, got = diff
            return violation(f"{_where(term)}: {path} is {got}, expected {expected} as in {_where(item.done)}",
                             **_at(term), path=path)
    return ok()


def _known_item(item: Item) -> dict[str, Any]:
    """The fullest copy of an item the stream gave: the done item, else the added snapshot."""
    return item.done_item if item.done is not None else item.added_item


def _first_difference(want: Any, got: Any, path: str) -> tuple[str, str, str] | None:
    """Where ``got`` loses or changes a value of ``want``; keys only ``got`` has are fine (OpenAI may add some),
    and so are opaque tokens re-issued in each copy (schemas/opaque_fields.json, docs/rules.md#opaque-fields)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            if key in schemas.opaque_fields():
                continue
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
        # Name the fix: a response that stopped early (incomplete, failed) ends with its own terminal event.
        event = next((e for e, st in TERMINAL_STATUS.items() if st == status), None)
        fix = f"end the stream with {event} (the terminal event for status {status!r})" if event else \
            f"{term.type} carries status {expected!r}"
        return violation(f"{_where(term)}: response.status is {status!r}; {fix}", **_at(term), expected=expected,
                         got=status)
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
