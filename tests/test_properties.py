"""Property-based tests (hypothesis): whatever the framing or the chunking, the SSE parser and the incremental
stream checker agree with a whole-stream parse, and a stream cut at any byte never crashes a check."""

from __future__ import annotations

import codecs
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import incremental
from conformance.exchange import Transcript
from conformance.judge import judge_all
from conformance.recordings import load_file, save_file
from conformance.registry import all_checks
from conformance.sse import ParsedStream, StreamParser, parse_stream
from conformance.verdicts import Verdict
from tests import streams as s

EXCHANGE_CHECKS = [c for c in all_checks() if c.scope != "transcript"]
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that stresses the framing: multi-byte UTF-8, emoji (surrogate pairs in JSON), CR, quotes, escapes.
TEXT = st.lists(st.sampled_from(list("ab :é中😀\"\\\t\r\n") + ["data:", "\r\n", "[DONE]"]), max_size=8).map("".join)


@st.composite
def event_streams(draw: Any) -> str:
    """An event stream: events with one or more data lines, comments, optional event/id/retry fields,
    LF, CR or CRLF line ends, a BOM, a [DONE] marker, an unterminated last event."""
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    parts: list[str] = ["\ufeff"] if draw(st.booleans()) else []
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["json", "lines", "comment", "done", "blank", "fields"]))
        if kind == "comment":
            parts.append(f": {draw(TEXT).replace(chr(13), '').replace(chr(10), '')}{eol}")
            continue
        if kind == "done":
            parts.append(f"data: [DONE]{eol}{eol}")
            continue
        if kind == "blank":
            parts.append(eol)
            continue
        lines = []
        if draw(st.booleans()):
            lines.append(f"event: response.output_text.delta{eol}")
        if kind == "fields":
            lines.append(f"id: {n}{eol}retry: {draw(st.integers(0, 99))}{eol}")
        if kind == "lines":
            for piece in draw(st.lists(TEXT, min_size=1, max_size=3)):
                lines.append(f"data:{piece.replace(chr(13), '').replace(chr(10), '')}{eol}")
        else:
            data = json.dumps({"type": "response.output_text.delta", "delta": draw(TEXT), "n": n},
                              ensure_ascii=draw(st.booleans()))
            lines.append(f"data: {data}{eol}")
        parts.append("".join(lines) + eol)
    text = "".join(parts)
    if draw(st.booleans()) and text.endswith(eol * 2):
        text = text[:-len(eol)]  # the last event unterminated
    return text


def cuts(draw: Any, n: int) -> list[int]:
    return sorted(set(draw(st.lists(st.integers(0, n), max_size=12))))


def _facts(p: ParsedStream) -> tuple[Any, ...]:
    events = [(e.index, e.event, e.data, e.line, e.id, e.retry, e.type, json.dumps(e.json), e.json_error is None)
              for e in p.events]
    return (events, p.comments, p.done_marker, p.events_after_done, p.bom, p.crlf, p.unterminated, p.count)


@PROPS
@given(text=event_streams(), data=st.data())
def test_sse_parser_agrees_with_a_whole_parse_under_any_chunking(text: str, data: Any) -> None:
    whole = parse_stream(text)
    raw = text.encode("utf-8")
    at = cuts(data.draw, len(raw))
    parser = StreamParser()
    decoder = codecs.getincrementaldecoder("utf-8")()  # as the live client decodes what arrives
    for a, b in zip([0, *at], [*at, len(raw)]):
        parser.feed(decoder.decode(raw[a:b]))
    parser.feed(decoder.decode(b"", final=True))
    assert _facts(parser.close()) == _facts(whole)


def _verdicts(results: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((r.check_id, r.verdict.value, r.message) for r in results)


@st.composite
def judged_streams(draw: Any) -> str:
    """Valid streams and streams broken in the ways the checks look for."""
    events = s.valid()
    how = draw(st.sampled_from(["valid", "drop", "duplicate", "swap", "retype"]))
    if how != "valid":
        i = draw(st.integers(0, len(events) - 1))
        j = draw(st.integers(0, len(events) - 1))
        if how == "drop":
            del events[i]
        elif how == "duplicate":
            events.insert(j, dict(events[i]))
        elif how == "swap":
            events[i], events[j] = events[j], events[i]
        else:
            events[i] = {**events[i], "type": draw(st.sampled_from(["keepalive", "response.hologram.delta", "error"]))}
    return s.render(events, numbered=draw(st.booleans()))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=judged_streams(), piece=st.integers(1, 4096))
def test_incremental_checker_agrees_with_a_whole_stream_judgement(text: str, piece: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        save_file(s.exchange(text), path)
        whole = judge_all(EXCHANGE_CHECKS, [Transcript("r", [load_file(path)])])
        before = incremental.CHUNK
        incremental.CHUNK = piece  # read the file in pieces of any size
        try:
            pieced, _, _ = incremental.judge_recording(path, "r", EXCHANGE_CHECKS)
        finally:
            incremental.CHUNK = before
    assert _verdicts(pieced) == _verdicts(whole)


CUT_SOURCE = s.render(s.stream(s.reasoning(0, ["Think", "ing."]), s.message(1, ["Hé", "llo 😀", "!"]),
                               s.function_call(2, ['{"city"', ':"Paris"}'])))


@PROPS
@given(cut=st.integers(0, len(CUT_SOURCE.encode("utf-8"))))
def test_a_stream_cut_at_any_byte_never_crashes_a_check(cut: int) -> None:
    text = CUT_SOURCE.encode("utf-8")[:cut].decode("utf-8", errors="replace")
    results = judge_all(EXCHANGE_CHECKS, [Transcript("cut", [s.exchange(text)])])
    crashed = [f"{r.check_id}: {r.message}" for r in results if r.verdict is Verdict.ERROR]
    assert crashed == []
    # Cut before the terminal event's JSON is whole, the stream has no terminal event; after it, the event
    # still counts (a last event without its blank line is dispatched at the end).
    terminal = [r for r in results if r.check_id == "stream.terminal-event"]
    whole = cut > CUT_SOURCE.encode("utf-8").rindex(b"}")
    assert terminal and terminal[0].verdict is (Verdict.PASS if whole else Verdict.FAIL)
