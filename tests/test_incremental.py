"""conformance/incremental.py: recordings read piece by piece give the same verdicts as whole ones."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from conformance import incremental
from conformance.exchange import Transcript
from conformance.judge import judge_all
from conformance.recordings import RecordingError, load_file, save_file
from conformance.registry import all_checks
from tests import streams as s

CHECKS = all_checks()
TRICKY = ["plain", "é and 中文", "emoji 😀 split?", 'quote " and backslash \\ and \\n literal', "\\\\n", "tab\tend"]


def _stream_text() -> str:
    events = s.stream(s.message(0, TRICKY), s.function_call(1, ['{"a":', '"\\\\"}']))
    return s.render(events)


def _write(tmp_path: Path, name: str, text: str, **dump: object) -> Path:
    ex = s.exchange(text)
    ex.request.body = {"model": "m", "input": "hi", "stream": True, "metadata": {"sse": "not the stream"}}
    p = tmp_path / name
    save_file(ex, p)
    if dump:  # rewrite with other JSON formatting
        p.write_text(json.dumps(json.loads(p.read_text(encoding="utf-8")), **dump), encoding="utf-8")
    return p


def _verdicts(results: list) -> list[tuple[str, str, str]]:
    return [(r.check_id, r.verdict.value, r.message) for r in results]


@pytest.mark.parametrize("chunk", [1, 2, 5, 7, 64, 1 << 20])
@pytest.mark.parametrize("dump", [{}, {"ensure_ascii": True}, {"ensure_ascii": False, "indent": 2}],
                         ids=["saved", "ascii", "indented"])
def test_pieces_decode_to_the_same_stream_at_any_read_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           chunk: int, dump: dict) -> None:
    monkeypatch.setattr(incremental, "CHUNK", chunk)
    text = _stream_text()
    p = _write(tmp_path, "r.json", text, **dump)
    located = incremental.read_recording(p)
    assert located.sse_start is not None
    assert "".join(incremental.stream_pieces(p, located.sse_start)) == text
    whole = json.loads(p.read_text(encoding="utf-8"))
    whole["response"]["sse"] = None
    assert located.record == whole  # everything but the stream, including a "sse" key elsewhere


def _faulty_streams() -> list[str]:
    v = s.valid()
    return [
        s.render(v),
        s.render(v) + "data: [DONE]\n\n",
        s.render(v[:5]),  # cut short
        s.render(v).rstrip("\n"),  # last event unterminated
        s.render(v[:3]) + s.render(v[3:], numbered=False),
        "event: x\ndata: {not json\n\n" + s.render(v),
        ": comment\n\n" + s.render(list(reversed(v))),
    ]


@pytest.mark.parametrize("text", _faulty_streams())
def test_incremental_verdicts_equal_whole_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(incremental, "CHUNK", 97)
    p = _write(tmp_path, "r.json", text)
    results, events, ex = incremental.judge_recording(p, "r.json", CHECKS)
    expected = judge_all(CHECKS, [Transcript("r.json", [load_file(p)])])
    assert _verdicts(results) == _verdicts(expected)
    assert events == len(load_file(p).stream.events)
    assert ex.response.sse == text  # short streams keep their whole text as evidence


def test_long_streams_keep_a_bounded_prefix_as_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incremental, "EVIDENCE_CHARS", 50)
    p = _write(tmp_path, "r.json", _stream_text())
    _, _, ex = incremental.judge_recording(p, "r.json", CHECKS)
    assert ex.response.sse.startswith(_stream_text()[:50]) and "more characters cut" in ex.response.sse


def test_non_stream_recordings_are_judged_whole(tmp_path: Path) -> None:
    p = tmp_path / "plain.json"
    p.write_text(json.dumps({"request": {"method": "GET", "path": "/v1/responses/r"},
                             "response": {"status": 404, "headers": {}, "body": {"error": None}, "sse": None}}))
    results, events, ex = incremental.judge_recording(p, "plain.json", CHECKS)
    assert events == 0 and not ex.is_stream and results


@pytest.mark.parametrize("content", ['{"request": ', '{"request": {}, "response": {"sse": "abc', "[1, 2",
                                     '{"request": {"method": "POST", "path": "/v1/responses"}, '
                                     '"response": {"status": 200, "sse": "bad \\x escape"}}'])
def test_broken_files_name_the_file(tmp_path: Path, content: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(RecordingError, match="bad.json|unterminated"):  # never a traceback
        incremental.judge_recording(p, "bad.json", CHECKS)


def test_every_exchange_check_reads_streams_through_a_state() -> None:
    """A check reading ex.stream's events directly would see none in an incremental replay."""
    direct = re.compile(r"\bex\.stream\b")
    for c in CHECKS:
        if c.scope == "exchange" and c.state is None:
            assert not direct.search(inspect.getsource(c.func)), c.id


def test_the_generated_benchmark_stream_passes_every_check_and_keeps_no_events(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", Path(__file__).parent.parent / "benchmarks/generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    p = tmp_path / "gen.json"
    assert generate.write(2500, p) == 2500
    results, events, ex = incremental.judge_recording(p, "gen.json", CHECKS)
    assert events == 2500
    assert {r.verdict.value for r in results} == {"PASS"}, [r.message for r in results if r.verdict.value != "PASS"]
    assert ex.stream.events == [] and ex.stream.count == 2500  # judged as the events went past, none kept
