"""Recordings format (conformance/recordings.py) and secret redaction (conformance/redact.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conformance import redact
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.recordings import RecordingError, exchange_to_record, iter_paths, load_file, save_file

SSE = 'event: response.created\ndata: {"type":"response.created"}\n\n'


@pytest.fixture(autouse=True)
def no_registered_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # register_secret() is process-global; give every test a clean set and leave none behind.
    monkeypatch.setattr(redact, "_SECRET_VALUES", set())


def make_exchange(**overrides: object) -> Exchange:
    ex = Exchange(
        request=RecordedRequest(
            method="POST",
            path="/v1/responses",
            headers={"content-type": "application/json", "accept": "text/event-stream"},
            body={"model": "m", "input": "hi", "stream": True},
            query={"stream": "true"},
        ),
        response=RecordedResponse(status=200, headers={"content-type": "text/event-stream"}, sse=SSE),
        label="stream",
        source="scenario/basic",
        recorded_from="reference",
        recorded_at="2026-01-02T03:04:05Z",
        features=["streaming"],
        notes=["hand-made"],
        elapsed_s=0.25,
        event_offsets=[0.125],
        transport_error="idle-timeout: 5s",
    )
    return dataclasses.replace(ex, **overrides)


def test_round_trip(tmp_path: Path) -> None:
    ex = make_exchange()
    path = tmp_path / "ex.json"
    save_file(ex, path)
    loaded = load_file(path)
    # The loader names an exchange after the file it came from.
    assert loaded.source == str(path)
    assert dataclasses.replace(loaded, source=ex.source) == ex
    assert loaded.stream == ex.stream and loaded.stream is not None and loaded.stream.events[0].offset_s == 0.125


def test_round_trip_non_stream_and_raw_text(tmp_path: Path) -> None:
    ex = Exchange(
        request=RecordedRequest(method="GET", path="/v1/responses/resp_1"),
        response=RecordedResponse(status=502, headers={"content-type": "text/html"}, text="<html>bad gateway</html>"),
    )
    save_file(ex, tmp_path / "x.json")
    assert dataclasses.replace(load_file(tmp_path / "x.json"), source="") == ex


def test_loads_every_shared_recording(recordings_dir: Path) -> None:
    files = list(iter_paths([str(recordings_dir / "openai"), str(recordings_dir / "vendors")]))
    assert len(files) == 787 + 86
    for f in files:
        ex = load_file(f)
        assert ex.request.method and ex.response.status is not None


def test_header_redaction_on_save(tmp_path: Path) -> None:
    ex = make_exchange(
        request=RecordedRequest(
            method="POST",
            path="/v1/responses",
            headers={"Authorization": "Bearer sk-live-123456", "api-key": "azure-key-9999", "X-Api-Key": "k-777777"},
        )
    )
    save_file(ex, tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    assert "sk-live-123456" not in text and "azure-key-9999" not in text and "k-777777" not in text
    headers = json.loads(text)["request"]["headers"]
    assert headers == {"Authorization": "<redacted>", "api-key": "<redacted>", "X-Api-Key": "<redacted>"}


def test_registered_secret_is_scrubbed_everywhere() -> None:
    redact.register_secret("sk-echoed-abcdef")
    redact.register_secret("abc")  # too short to be a key: never registered, so ordinary text survives
    ex = make_exchange(
        request=RecordedRequest(method="POST", path="/v1/responses", headers={"x-custom": "token sk-echoed-abcdef"}),
        response=RecordedResponse(
            status=401,
            headers={"content-type": "application/json"},
            body={"error": {"message": "Incorrect API key provided: sk-echoed-abcdef", "type": "abc"}},
        ),
    )
    rec = exchange_to_record(ex)
    assert "sk-echoed-abcdef" not in json.dumps(rec)
    assert rec["request"]["headers"]["x-custom"] == "token <redacted>"
    assert rec["response"]["body"]["error"] == {"message": "Incorrect API key provided: <redacted>", "type": "abc"}


def test_custom_secret_header() -> None:
    redact.register_secret_header("X-Gateway-Token")
    try:
        assert redact.redact_headers({"x-gateway-token": "t0ps3cret", "accept": "*/*"}) == {
            "x-gateway-token": "<redacted>",
            "accept": "*/*",
        }
    finally:
        redact._SECRET_HEADERS.discard("x-gateway-token")


BAD_FILES = {
    "invalid.json": ("{not json", "invalid JSON"),
    "array.json": ("[]", "top level is not a JSON object"),
    "nohalves.json": ('{"request": {}}', "needs 'request' and 'response'"),
    "nomethod.json": ('{"request": {"path": "/"}, "response": {}}', "'method' and 'path'"),
    "status.json": ('{"request": {"method": "GET", "path": "/"}, "response": {"status": "200"}}', "status"),
    "boolstatus.json": ('{"request": {"method": "GET", "path": "/"}, "response": {"status": true}}', "status"),
    "sse.json": ('{"request": {"method": "GET", "path": "/"}, "response": {"sse": ["x"]}}', "sse"),
    "reqheaders.json": ('{"request": {"method": "GET", "path": "/", "headers": ["a"]}, "response": {}}', "headers"),
    "features.json": ('{"request": {"method": "GET", "path": "/"}, "response": {}, "features": 5}', "features"),
    "offsets.json": ('{"request": {"method": "GET", "path": "/"}, "response": {"event_offsets_s": ["x"]}}', "offsets"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_errors_name_the_file(tmp_path: Path, name: str) -> None:
    content, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(RecordingError) as info:
        load_file(path)
    assert str(path) in str(info.value) and reason in str(info.value)


def test_unreadable_and_missing_files_name_the_file(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"x": "\xe9"}')
    with pytest.raises(RecordingError, match="latin1.json: not UTF-8"):
        load_file(latin1)
    with pytest.raises(RecordingError, match="missing.json: cannot read"):
        load_file(tmp_path / "missing.json")
    with pytest.raises(RecordingError, match="nowhere: no such file"):
        list(iter_paths([str(tmp_path / "nowhere")]))


def test_iter_paths_expands_directories_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for rel in ["b/2.json", "a.json", "b/1.json", "notes.txt"]:
        (tmp_path / rel).write_text("{}")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_paths([str(tmp_path)])] == ["a.json", "b/1.json", "b/2.json"]
