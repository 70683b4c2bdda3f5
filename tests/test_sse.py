"""The SSE parser (conformance/sse.py): WHATWG line rules, framing facts, and chunking independence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.sse import ParsedStream, StreamParser, parse_stream


def feed_chunks(chunks: list[str]) -> ParsedStream:
    parser = StreamParser()
    for c in chunks:
        parser.feed(c)
    return parser.close()


def split_at(text: str, *cuts: int) -> list[str]:
    bounds = [0, *sorted(cuts), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


OPENAI_LIKE = (
    'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n'
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi"}\n\n'
    'event: response.completed\ndata: {"type":"response.completed","sequence_number":2}\n\n'
)


def test_openai_like_stream() -> None:
    s = parse_stream(OPENAI_LIKE)
    assert [e.event for e in s.events] == ["response.created", "response.output_text.delta", "response.completed"]
    assert [e.type for e in s.events] == [e.event for e in s.events]
    assert [e.index for e in s.events] == [0, 1, 2]
    assert [e.line for e in s.events] == [1, 4, 7]
    assert s.events[1].json == {"type": "response.output_text.delta", "delta": "hi"}
    assert not (s.comments or s.done_marker or s.bom or s.crlf or s.unterminated)
    assert s.typed() == s.events


def test_multi_line_data_joined_with_newline() -> None:
    s = parse_stream('data: {"type":\ndata:  "x"}\n\n')
    assert s.events[0].data == '{"type":\n "x"}'  # only the one space after the colon is stripped
    assert s.events[0].json == {"type": "x"}


def test_field_without_space_and_without_colon() -> None:
    s = parse_stream("data:abc\ndata\n\n")
    assert s.events[0].data == "abc\n"  # a bare `data` line appends an empty line


def test_comments_are_kept_and_do_not_make_events() -> None:
    s = parse_stream(': keep-alive\n\n:another\nevent: a\ndata: {"type":"a"}\n\n')
    assert s.comments == ["keep-alive", "another"]
    assert len(s.events) == 1 and s.events[0].line == 4


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_line_endings(eol: str) -> None:
    text = OPENAI_LIKE.replace("\n", eol)
    s = parse_stream(text)
    assert [(e.event, e.data, e.line) for e in s.events] == [
        (e.event, e.data, e.line) for e in parse_stream(OPENAI_LIKE).events
    ]
    assert s.crlf is (eol != "\n")


def test_bom_is_stripped_once() -> None:
    s = parse_stream('\ufeffevent: a\ndata: {"type":"a"}\n\n')
    assert s.bom and s.events[0].event == "a"
    # Only a leading BOM is special; a later one is part of the field name, so that line is ignored.
    s2 = parse_stream('data: {}\n\n\ufeffevent: a\ndata: {"type":"a"}\n\n')
    assert not s2.bom and s2.events[1].event is None


def test_last_event_without_trailing_blank_line_is_dispatched_and_flagged() -> None:
    s = parse_stream('event: a\ndata: {"type":"a"}\n\nevent: b\ndata: {"type":"b"}')
    assert [e.event for e in s.events] == ["a", "b"] and s.unterminated
    assert not parse_stream(OPENAI_LIKE).unterminated


def test_done_marker_and_events_after_it() -> None:
    s = parse_stream('data: {"type":"a"}\n\ndata: [DONE]\n\n')
    assert s.done_marker and len(s.events) == 1 and s.events_after_done == 0
    s2 = parse_stream('data: [DONE]\n\ndata: {"type":"late"}\n\n')
    assert s2.done_marker and s2.events_after_done == 1 and s2.events[0].type == "late"


def test_events_without_event_line() -> None:
    s = parse_stream('data: {"type":"response.created"}\n\n')
    assert s.events[0].event is None and s.events[0].type == "response.created"


def test_invalid_json_and_non_object_json() -> None:
    s = parse_stream("data: {oops\n\ndata: [1]\n\n")
    assert s.events[0].json is None and s.events[0].json_error and s.events[0].type is None
    assert s.events[1].json == [1] and s.events[1].json_error is None
    assert s.typed() == []


def test_event_without_data_is_not_dispatched() -> None:
    s = parse_stream("event: ping\n\nid: 7\nretry: 100\ndata: {}\n\n")
    assert len(s.events) == 1 and s.events[0].id == "7" and s.events[0].retry == 100


def test_retry_needs_ascii_digits() -> None:
    assert parse_stream("retry: \u00b2\ndata: {}\n\n").events[0].retry is None


MIXED = ':hello\r\n\r\nevent: a\r\ndata: {"type":"a",\r\ndata: "n":1}\r\n\r\nevent: b\rdata: {"type":"b"}\r\rdata: [DONE]\n\n'


@pytest.mark.parametrize("text", [OPENAI_LIKE, OPENAI_LIKE.replace("\n", "\r\n"), MIXED])
def test_every_two_chunk_split_gives_the_same_result(text: str) -> None:
    whole = parse_stream(text)
    for k in range(len(text) + 1):
        assert feed_chunks(split_at(text, k)) == whole, f"split at {k}"


@pytest.mark.parametrize("text", [OPENAI_LIKE.replace("\n", "\r\n"), MIXED])
def test_one_character_chunks_and_empty_reads(text: str) -> None:
    whole = parse_stream(text)
    assert feed_chunks(list(text)) == whole
    # An empty read between a CR and its LF must not turn the pair into two line endings.
    assert feed_chunks([c for ch in text for c in (ch, "")]) == whole


def test_crlf_split_between_chunks() -> None:
    text = 'data: {"type":"a"}\r\n\r\n'
    cut = text.index("\n")  # after the first CR
    assert text[cut - 1] == "\r"
    s = feed_chunks(split_at(text, cut))
    assert len(s.events) == 1 and s == parse_stream(text)


def test_feed_returns_completed_events_with_offsets() -> None:
    parser = StreamParser()
    assert parser.feed('data: {"type":"a"}\n', 0.1) == []
    done = parser.feed("\n", 0.2)
    assert [e.type for e in done] == ["a"] and done[0].offset_s == 0.2


def test_parse_stream_stamps_recorded_offsets() -> None:
    s = parse_stream(OPENAI_LIKE, [0.5, 0.6, 0.7])
    assert [e.offset_s for e in s.events] == [0.5, 0.6, 0.7]


def _openai_streams(recordings_dir: Path) -> list[tuple[str, str]]:
    out = []
    for f in sorted((recordings_dir / "openai").glob("*.json")):
        sse = json.loads(f.read_text(encoding="utf-8"))["response"]["sse"]
        if sse is not None:
            out.append((f.name, sse))
    return out


def test_openai_recordings_parse_the_same_whole_and_split(recordings_dir: Path) -> None:
    streams = _openai_streams(recordings_dir)
    assert len(streams) > 200
    for name, sse in streams:
        whole = parse_stream(sse)
        assert whole.events and all(e.event == e.type for e in whole.events), name
        assert not (whole.comments or whole.done_marker or whole.unterminated), name
        n = len(sse)
        for cuts in [(1,), (n // 2,), (n // 3, 2 * n // 3), (7, 8, 9, n - 2, n - 1)]:
            assert feed_chunks(split_at(sse, *cuts)) == whole, (name, cuts)
        # A transport that delivers CRLF line endings, cut inside a CRLF pair.
        crlf = sse.replace("\n", "\r\n")
        cut = crlf.index("\r\n") + 1
        split = feed_chunks(split_at(crlf, cut, len(crlf) // 2))
        assert [(e.event, e.data) for e in split.events] == [(e.event, e.data) for e in whole.events], name
