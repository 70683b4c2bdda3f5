"""Reports stay valid, bounded JSON whatever the endpoint sent, and the key is redacted before anything is cut."""

from __future__ import annotations

import json
from pathlib import Path

from conformance import redact
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.report import gate
from conformance.report.common import one_line
from conformance.report.model import MAX_EVIDENCE_CHARS, Report
from conformance.report.writers import write_all
from conformance.verdicts import Level, Result, Verdict
from tests.test_report_support import catalog  # noqa: F401

KEY = "sk-bounds-" + "Zq8Wm3Xr5Tn7Yv2Ub4Lc6Pk9Hd1Jf0Ga"


def _huge_exchange() -> Exchange:
    sse = "".join(f'event: x\ndata: {{"type": "x", "i": {i}}}\n\n' for i in range(50_000))  # ~1.7 MB
    body = {"object": "list", "data": list(range(100_000)), "deep": [[[[[[1]]]]]], "s": "y" * 2_000_000}
    return Exchange(
        request=RecordedRequest("POST", "/v1/responses", {"x-h": "v" * 100_000}, {"input": "z" * 1_000_000}),
        response=RecordedResponse(200, {f"x-{i}": "v" for i in range(5000)}, body, sse, "t" * 5_000_000),
        event_offsets=[0.001 * i for i in range(50_000)],
        notes=["n" * 100_000] * 300,
    )


def _results(n: int) -> list[Result]:
    ex = _huge_exchange()
    return [Result("rtest.stream-order", Level.MUST, Verdict.FAIL, "hostile", "m" * 50_000,
                   {"got": float("nan"), "inf": float("inf"), "neg": [float("-inf")], "big": "g" * 1_000_000},
                   "stream", ex) for _ in range(n)]


def test_report_json_is_valid_and_bounded(tmp_path: Path, catalog: None) -> None:
    paths = write_all(Report(target={"name": "t", "base_url": "http://x/v1", "model": float("nan")},
                             results=_results(40)), tmp_path)
    text = paths["json"].read_text()
    data = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))  # strict: no NaN
    assert len(text) < 5_000_000, len(text)
    first = data["results"][0]
    assert first["evidence"]["got"] == "nan" and first["evidence"]["inf"] == "inf"
    rec = first["evidence"]["exchange"]
    assert "cut:" in rec["response"]["sse"] and len(rec["response"]["sse"]) < MAX_EVIDENCE_CHARS + 200
    assert isinstance(rec["response"]["body"], str) and "characters in all" in rec["response"]["body"]
    assert all(isinstance(o, float) for o in rec["response"]["event_offsets_s"])
    # Past the report's evidence budget, later results keep a summary of their exchange.
    assert "omitted" in data["results"][-1]["evidence"]["exchange"]
    assert data["results"][-1]["evidence"]["exchange"]["request"]["path"] == "/v1/responses"
    for fmt in ("md", "html", "junit"):
        assert paths[fmt].stat().st_size < 10_000_000, fmt


def test_key_is_redacted_before_any_cut(tmp_path: Path, catalog: None) -> None:
    redact.register_secret(KEY)
    message = "x" * 150 + f" you sent Bearer {KEY} and {json.dumps(KEY)} / {KEY.replace('-', '%2D')}"
    assert KEY[10:20] not in one_line(message, 160)  # cut at 160: the key straddles the cut
    assert "<redacted>" in redact.scrub(f"key={json.dumps(KEY)[1:-1]}")
    ex = Exchange(RecordedRequest("POST", "/v1/responses"), RecordedResponse(400, {"x-echo": KEY}, None, None,
                                                                             message))
    report = Report(target={"name": "t"}, results=[
        Result("rtest.stream-order", Level.MUST, Verdict.FAIL, "s", message, {"got": message}, "stream", ex)])
    paths = write_all(report, tmp_path)
    gate_line = gate._line("", {"verdict": "FAIL", "check_id": "c", "scenario": "s", "message": message})
    outputs = [p.read_text() for p in paths.values()] + [gate_line]
    for out in outputs:
        for i in range(len(KEY) - 10):
            assert KEY[i:i + 10] not in out
