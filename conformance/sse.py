"""A WHATWG event-stream parser that keeps what the framing checks need.

httpx-sse's decoder defaults a missing ``event:`` line to "message" and drops comments, so it cannot tell
whether an endpoint sent ``event:`` lines, comments or ``[DONE]``. This parser follows the same WHATWG
rules (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation) and
records those facts. It is incremental: feed it chunks split anywhere, even inside a CRLF pair.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from conformance.jsonsafe import loads as strict_json

DONE_SENTINEL = "[DONE]"
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass
class SSEEvent:
    index: int  # position among the stream's events (comments and [DONE] not counted)
    event: str | None  # the `event:` field as sent; None when the event had no `event:` line
    data: str  # `data:` lines joined with "\n"
    line: int  # 1-based line number of the event's first line in the raw text
    id: str | None = None
    retry: int | None = None
    offset_s: float | None = None  # arrival time since the request was sent, when recorded live
    json: Any = None  # `data` parsed as JSON, or None
    json_error: str | None = None  # why `data` is not JSON, or None
    type: str | None = None  # data.type when data is a JSON object (set with `json`, read for every check)


@dataclass
class ParsedStream:
    events: list[SSEEvent] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    done_marker: bool = False  # a `data: [DONE]` event was sent
    events_after_done: int = 0  # events that followed [DONE]
    bom: bool = False
    crlf: bool = False  # CR or CRLF line endings were used
    unterminated: bool = False  # the last event was not followed by a blank line (dispatched anyway)
    count: int = 0  # events dispatched (equals len(events) unless the parser was told not to keep them)

    def typed(self) -> list[SSEEvent]:
        """Events whose data parsed to a JSON object."""
        return [e for e in self.events if isinstance(e.json, dict)]


class StreamParser:
    """Incremental parser: ``feed(chunk)`` any number of times, then ``close()``.

    ``keep=False`` keeps neither events nor comments in ``result`` (only the framing facts and the count):
    a caller that judges each event as it comes (conformance/incremental.py) then uses memory flat in the
    stream's length."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.result = ParsedStream()
        self._buf = ""
        self._started = False
        self._pending_cr = False
        self._line_no = 0
        self._reset_event()

    def _reset_event(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._first_line: int | None = None
        self._has_fields = False

    def feed(self, chunk: str, offset_s: float | None = None) -> list[SSEEvent]:
        """Parse a chunk; return the events it completed (stamped with ``offset_s``)."""
        if not chunk:  # an empty read must not forget a CR waiting for its LF
            return []
        if not self._started:
            self._started = True
            if chunk.startswith("\ufeff"):
                self.result.bom = True
                chunk = chunk[1:]
        text = self._buf + chunk
        self._buf = ""
        out: list[SSEEvent] = []
        i = 0
        if self._pending_cr and text.startswith("\n"):
            i = 1  # the LF of a CRLF pair split across chunks
        self._pending_cr = False
        if "\r" not in text:  # LF line ends only (every recorded stream): split in C
            lines = text[i:].split("\n")
            self._buf = lines.pop()
            for one in lines:
                if one.startswith("data:") and self._has_fields:  # the hot case: a data line inside an event
                    self._line_no += 1
                    self._data.append(one[6:] if one.startswith("data: ") else one[5:])
                else:
                    self._line(one, out, offset_s)
            return out
        start = i
        n = len(text)
        # The regex finds line ends in C; a Python loop per character was the parser's main cost.
        for m in _LINE_END.finditer(text, i):
            end = m.group()
            if end != "\n":
                self.result.crlf = True
                if end == "\r" and m.end() == n:
                    self._pending_cr = True  # its LF may open the next chunk
            self._line(text[start:m.start()], out, offset_s)
            start = m.end()
        self._buf = text[start:]
        return out

    def close(self, offset_s: float | None = None) -> ParsedStream:
        self.end(offset_s)
        return self.result

    def end(self, offset_s: float | None = None) -> list[SSEEvent]:
        """Finish the stream; return the events that only its end completed (a last, unterminated event)."""
        out: list[SSEEvent] = []
        if self._buf:
            self._line(self._buf, out, offset_s)
            self._buf = ""
        if self._has_fields:
            self.result.unterminated = True
            self._dispatch(out, offset_s)
        return out

    def _line(self, line: str, out: list[SSEEvent], offset_s: float | None) -> None:
        self._line_no += 1
        if line == "":
            self._dispatch(out, offset_s)
            return
        if line.startswith(":"):
            if self.keep:
                self.result.comments.append(line[1:].lstrip(" "))
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if self._first_line is None:
            self._first_line = self._line_no
        self._has_fields = True
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():  # WHATWG: ASCII digits only ("²".isdigit() is True)
                self._retry = int(value)
        # Unknown field names are ignored, as WHATWG says.

    def _dispatch(self, out: list[SSEEvent], offset_s: float | None) -> None:
        if not self._has_fields:
            self._reset_event()
            return
        data = "\n".join(self._data)
        if self._data and len(data) < 64 and data.strip() == DONE_SENTINEL:
            self.result.done_marker = True
        elif self._data:  # WHATWG: an event with no data lines is not dispatched
            if self.result.done_marker:
                self.result.events_after_done += 1
            ev = SSEEvent(
                index=self.result.count,
                event=self._event,
                data=data,
                line=self._first_line or self._line_no,
                id=self._id,
                retry=self._retry,
                offset_s=offset_s,
            )
            try:
                ev.json = strict_json(data)  # NaN, 1e999 or deep nesting: not JSON, never a crash
            except ValueError as exc:
                ev.json_error = f"{exc.__class__.__name__}: {exc}"
            else:
                if isinstance(ev.json, dict):
                    ev.type = ev.json.get("type")
            self.result.count += 1
            if self.keep:
                self.result.events.append(ev)
            out.append(ev)
        self._reset_event()


def parse_stream(text: str, offsets: Iterable[float | None] | None = None) -> ParsedStream:
    """Parse a whole event-stream body. ``offsets`` (one per event, as recorded live) stamp arrival times."""
    parser = StreamParser()
    parser.feed(text)
    result = parser.close()
    if offsets is not None:
        for ev, off in zip(result.events, offsets):
            ev.offset_s = off
    return result
