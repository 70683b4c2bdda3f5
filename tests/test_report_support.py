"""Builders for the report tests: hand-made exchanges and results, and test-only catalog entries.

No tests here; the test_report_* modules import these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import registry
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.report.model import Report
from conformance.report.writers import write_all
from conformance.verdicts import Level, Result, Verdict

# Test-only check ids; the `catalog` fixture registers them for one test and removes them afterwards.
CATALOG = {
    "rtest.stream-order": ("stream", Level.MUST, "The first event of a stream is response.created.", "docs/rules.md#stream-grammar; https://example.org/spec#stream"),
    "rtest.envelope": ("errors", Level.MUST, "Errors carry {error: {message, type, param, code}}.", "docs/rules.md#real-traffic"),
    "rtest.charset": ("framing", Level.SHOULD, "The stream content type declares charset=utf-8.", "docs/rules.md#real-traffic"),
    "rtest.store": ("storage", Level.MUST, "A stored response can be retrieved.", "docs/rules.md#verdicts"),
}


@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    for check_id, (area, level, requirement, source) in CATALOG.items():
        check = registry.Check(check_id, level, requirement, source, area, "exchange", lambda ex: None)
        monkeypatch.setitem(registry._REGISTRY, check_id, check)


SSE = (
    'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n'
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n'
    'event: response.completed\ndata: {"type":"response.completed","sequence_number":2}\n\n'
)


def stream_exchange(sse: str = SSE, label: str = "stream", extra_headers: dict[str, str] | None = None) -> Exchange:
    return Exchange(
        request=RecordedRequest(
            "POST",
            "/v1/responses",
            {"content-type": "application/json", "authorization": "Bearer sk-not-a-real-key-0000", **(extra_headers or {})},
            {"model": "m", "input": "hi", "stream": True},
        ),
        response=RecordedResponse(200, {"content-type": "text/event-stream; charset=utf-8"}, None, sse),
        label=label,
        source="scenario",
        event_offsets=[0.1, 0.25, 0.5],
        elapsed_s=0.5,
    )


def error_exchange(body: Any, status: int = 400) -> Exchange:
    return Exchange(
        request=RecordedRequest("POST", "/v1/responses", {"content-type": "application/json"}, {"model": "m", "tools": []}),
        response=RecordedResponse(status, {"content-type": "application/json"}, body),
        label="create",
    )


def result(check_id: str, verdict: Verdict, scenario: str, message: str = "", exchange: Exchange | None = None, **evidence: Any) -> Result:
    area, level = CATALOG[check_id][0], CATALOG[check_id][1]
    return Result(check_id, level, verdict, scenario, message, dict(evidence), area, exchange)


def sample_results() -> list[Result]:
    """One of each verdict worth showing, across three areas."""
    bad_stream = stream_exchange(SSE.replace("response.created", "response.in_progress", 2))
    return [
        result("rtest.stream-order", Verdict.FAIL, "stream-basic", "first event is response.in_progress", bad_stream, event_index=0),
        result("rtest.stream-order", Verdict.PASS, "stream-tools"),
        result("rtest.stream-order", Verdict.PASS, "stream-json"),
        result("rtest.envelope", Verdict.ERROR, "bad-request", "no response: timeout after 30 s"),
        result("rtest.envelope", Verdict.PASS, "unknown-model"),
        result("rtest.charset", Verdict.WARN, "stream-basic", "content type declares no charset", stream_exchange()),
        result("rtest.store", Verdict.UNSUPPORTED, "store-retrieve", "GET /v1/responses/{id} answered 404", error_exchange({"error": {"message": "not found"}}, 404)),
    ]


def make_report(results: list[Result], name: str = "demo", **kw: Any) -> Report:
    return Report({"name": name, "base_url": "http://127.0.0.1:8000/v1", "model": "demo-model"}, results, duration_s=1.5, **kw)


def write(results: list[Result], directory: Path, name: str = "demo") -> dict[str, Path]:
    return write_all(make_report(results, name), directory)
