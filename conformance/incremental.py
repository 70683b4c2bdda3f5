"""Judge a recording without holding its stream: read the file piece by piece, parse each SSE event once,
feed it to every stream check's state (conformance/streamstate.py), and drop it.

A recording is one JSON object whose `response.sse` string holds the whole event stream (hundreds of MB for a
long stream). `read_recording` scans the file's bytes once to find that string and builds every other
field from the small rest of the file (`skeleton`); `stream_pieces` then decodes the string in ~1 MB
pieces, each cut right after an escaped newline (`\\n`), so no JSON escape, surrogate pair or UTF-8
sequence is ever split. Memory stays flat in the stream's length: only the checks' states (counters, first
violations, the items and the text streamed into them) and a bounded prefix of the raw stream, kept as
evidence for the report, remain.

`judge()` (conformance/judge.py) still decides every verdict: the states fed here are installed where
`streamstate.state_of` finds them, so a stream check judged through `judge()` reads the state instead of
parsing the stream again.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from conformance.exchange import Exchange, Transcript
from conformance.judge import judge
from conformance.recordings import NotResponses, RecordingError, exchange_from_record, not_responses
from conformance.registry import Check
from conformance.report.model import MAX_EVIDENCE_CHARS
from conformance.sse import StreamParser
from conformance.streamstate import StreamState, install
from conformance.verdicts import Result

CHUNK = 1 << 20  # bytes read at a time
# Raw stream text kept as the report's evidence: just under what report/model.py keeps of any body.
EVIDENCE_CHARS = MAX_EVIDENCE_CHARS - 100
# JSON string content up to the first unescaped quote (or the end of what has been read). The possessive
# form (Python 3.11+) scans about twice as fast: it never backtracks into a run it has matched.
try:
    _STRING_BODY = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+', re.S)
except re.error:
    _STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.S)


@dataclass
class Located:
    """A recording whose `response.sse` string was found: everything else parsed, the string left in place."""

    record: dict[str, Any]  # the recording with response.sse set to null
    sse_start: int | None  # byte offset just after the opening quote of response.sse, or None (no stream)


def read_recording(path: str | os.PathLike[str]) -> Located:
    """Scan a recording once. Raises RecordingError naming the file when it is not a JSON recording."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            return _scan(f, p)
    except OSError as exc:
        raise RecordingError(f"{p}: cannot read ({exc.strerror or exc})") from None


def _scan(f: BinaryIO, p: Path) -> Located:
    skeleton: list[bytes] = []
    # Per open container: [kind ("{" or "["), the current key (objects), whether a key comes next].
    stack: list[list[Any]] = []
    buf, pos, base = b"", 0, 0  # buf holds file bytes [base, base + len(buf)); pos indexes buf
    sse_start: int | None = None
    while True:
        if pos >= len(buf):
            base += len(buf)
            buf, pos = f.read(CHUNK), 0
            if not buf:
                break
        c = buf[pos:pos + 1]
        if c == b'"':
            # The string that is response.sse is skipped, never held; every other one is kept whole.
            is_sse = (len(stack) == 2 and stack[0][1] == "response" and stack[1][0] == "{" and not stack[1][2]
                      and stack[1][1] == "sse")
            if is_sse:
                sse_start = base + pos + 1
                end, buf, base = _skip_string(f, buf, pos + 1, base)
                skeleton.append(b"null")
            else:
                end, buf = _string_end(f, buf, pos + 1, p)
                token = buf[pos:end + 1]
                skeleton.append(token)
                if stack and stack[-1][0] == "{" and stack[-1][2]:
                    stack[-1][1] = _decode(token, p)
            pos = end + 1
            continue
        if c in (b"{", b"["):
            stack.append([c.decode(), None, c == b"{"])
        elif c in (b"}", b"]"):
            if stack:
                stack.pop()
        elif c == b":" and stack:
            stack[-1][2] = False
        elif c == b"," and stack and stack[-1][0] == "{":
            stack[-1][2] = True
        skeleton.append(c)
        pos += 1
    try:
        record = json.loads(b"".join(skeleton))
    except ValueError as exc:
        raise RecordingError(f"{p}: invalid JSON ({exc})") from None
    return Located(record, sse_start)


def _decode(token: bytes, p: Path) -> Any:
    try:
        return json.loads(token)
    except ValueError as exc:
        raise RecordingError(f"{p}: invalid JSON ({exc})") from None


def _string_end(f: BinaryIO, buf: bytes, pos: int, p: Path) -> tuple[int, bytes]:
    """(index of the closing quote, buf extended as needed) of the string whose content starts at buf[pos]."""
    while True:
        m = _STRING_BODY.match(buf, pos)
        end = m.end() if m else pos
        if end < len(buf) and buf[end:end + 1] == b'"':
            return end, buf
        more = f.read(CHUNK)
        if not more:
            raise RecordingError(f"{p}: invalid JSON (unterminated string)")
        buf += more  # rescanned from the string's start: an escape may straddle the reads


def _skip_string(f: BinaryIO, buf: bytes, pos: int, base: int) -> tuple[int, bytes, int]:
    """Skip the string whose content starts at buf[pos] without holding it: (closing quote index, buf, base).

    The scan stops at the end of what was read, or before a lone trailing backslash whose escape the next
    read completes; only that backslash is carried over."""
    while True:
        m = _STRING_BODY.match(buf, pos)
        end = m.end() if m else pos
        if end < len(buf) and buf[end:end + 1] == b'"':
            return end, buf, base
        more = f.read(CHUNK)
        if not more:
            raise RecordingError("invalid JSON (unterminated response.sse string)")
        base += end
        buf, pos = buf[end:] + more, 0


def stream_pieces(path: str | os.PathLike[str], start: int) -> Iterator[str]:
    """The decoded text of the JSON string whose content starts at byte ``start``, piece by piece."""
    with Path(path).open("rb") as f:
        f.seek(start)
        pending = b""
        scanned = 0  # pending[:scanned] is whole escapes and characters, with no escaped newline to cut at
        while True:
            more = f.read(CHUNK)
            if not more:
                raise RecordingError(f"{path}: unterminated response.sse string")
            pending += more
            m = _STRING_BODY.match(pending, scanned)
            end = m.end() if m else scanned
            if end < len(pending) and pending[end:end + 1] == b'"':
                if end:
                    yield _decode_piece(pending[:end], path)
                return
            cut = _last_newline_escape(pending, max(0, scanned - 1), end)
            scanned = end
            if cut:
                yield _decode_piece(pending[:cut], path)
                pending, scanned = pending[cut:], end - cut


def _decode_piece(raw: bytes, path: str | os.PathLike[str]) -> str:
    try:
        return json.loads(b'"' + raw + b'"')
    except ValueError as exc:
        raise RecordingError(f"{path}: invalid JSON in response.sse ({exc})") from None


def _last_newline_escape(data: bytes, lo: int, hi: int) -> int:
    """Just after the last escaped newline (`\\n` after an even run of other backslashes) in data[lo:hi];
    0 if none."""
    i = data.rfind(b"\\n", lo, hi)
    while i >= 0:
        run = 1
        while i - run >= 0 and data[i - run] == 0x5C:  # backslash
            run += 1
        if run % 2 == 1:
            return i + 2
        i = data.rfind(b"\\n", lo, i)
    return 0


def judge_recording(path: str | os.PathLike[str], name: str,
                    checks: list[Check]) -> tuple[list[Result], int, Exchange]:
    """Every check's verdict on one recording, reading its stream piece by piece:
    (results, SSE events, the exchange as judged). Raises RecordingError (not a recording) or NotResponses
    (a recording of another API), each naming the file."""
    located = read_recording(path)
    ex = exchange_from_record(located.record, str(path))
    other = not_responses(ex)
    if other:
        raise NotResponses(f"{path}: {other}")
    if located.sse_start is None:
        return _judge(checks, Transcript(scenario=name, exchanges=[ex])), 0, ex
    ex.response.sse = ""  # a stream: is_stream holds; the text itself is never held (see below)
    states = _states(checks, ex)
    parser = StreamParser(keep=False)
    prefix: list[str] = []
    kept = total = 0
    offsets = iter(ex.event_offsets) if ex.event_offsets is not None else None
    for piece in stream_pieces(path, located.sse_start):
        total += len(piece)
        if kept < EVIDENCE_CHARS:
            prefix.append(piece[:EVIDENCE_CHARS - kept])
            kept += len(prefix[-1])
        for ev in parser.feed(piece):
            if offsets is not None:
                ev.offset_s = next(offsets, None)
            for st in states:
                st.feed(ev)
    for ev in parser.end():  # a last event with no blank line after it
        for st in states:
            st.feed(ev)
    parsed = parser.result
    for st in states:
        st.close(parsed)
    # The exchange now carries the parser's facts as its stream (no events) and a bounded prefix of the raw
    # text as evidence; every state a check asks for is already fed.
    ex.__dict__["stream"] = parsed
    ex.response.sse = "".join(prefix)
    if total > kept:
        ex.response.sse += f"\n... [{total - kept} more characters cut]"
    for st in states:
        install(parsed, st)
    return _judge(checks, Transcript(scenario=name, exchanges=[ex])), parsed.count, ex


def _states(checks: list[Check], ex: Exchange) -> list[StreamState]:
    classes = list(dict.fromkeys(c.state for c in checks if c.state is not None))
    return [cls(ex) for cls in classes if cls.applies(ex)]


def _judge(checks: list[Check], transcript: Transcript) -> list[Result]:
    return [r for r in (judge(c, transcript) for c in checks) if r is not None]
