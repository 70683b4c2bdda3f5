"""The feature-support table: supported / unsupported / broken per feature, in report.md, report.html and
compare (derived from report.json results alone)."""

from __future__ import annotations

from conformance.report.compare import build, render_markdown
from conformance.report.features import FEATURES, feature_rows, features_markdown
from conformance.report.html import render_html


def _r(scenario: str, verdict: str, check: str = "x.y") -> dict[str, object]:
    return {"check_id": check, "level": "MUST", "verdict": verdict, "scenario": scenario, "message": "",
            "evidence": {}, "area": "x"}


RESULTS = [
    _r("websocket.two-turns", "UNSUPPORTED"), _r("websocket.two-turns", "PASS", "errors.status-class"),
    _r("compact.conversation", "PASS"), _r("compact.conversation", "WARN"),
    _r("concurrency.parallel", "PASS"), _r("concurrency.parallel", "FAIL", "stream.terminal-event"),
    _r("inputs.image", "FAIL"), _r("inputs.image", "UNSUPPORTED"),
    _r("conversations.two-turns", "SKIP"), _r("input_tokens.count", "ERROR"),
]


def _status(results: list[dict[str, object]]) -> dict[str, str]:
    return {row.feature: row.status for row in feature_rows(results)}


def test_each_feature_gets_the_status_its_results_give():
    status = _status(RESULTS)
    assert status["WebSocket mode"] == "unsupported"  # a clean refusal, even with other checks passing
    assert status["compact"] == "supported"  # WARN does not make a feature unsupported
    assert status["concurrent requests"] == "broken"  # a broken stream under concurrency
    assert status["image input"] == "broken"  # FAIL wins over UNSUPPORTED
    assert status["conversations"] == status["input_tokens"] == "not judged"
    assert status["file input"] == "not judged"  # inputs.file is not inputs.image
    assert [row.feature for row in feature_rows([])] == [f[0] for f in FEATURES]


def test_report_md_and_html_open_with_the_table():
    md = "\n".join(features_markdown(RESULTS))
    assert "| concurrent requests | six requests at once | **broken** | 1 FAIL, 1 PASS |" in md
    data = {"target": {"name": "t"}, "results": RESULTS, "summary": {v: 0 for v in
            ("PASS", "FAIL", "WARN", "UNSUPPORTED", "SKIP", "ERROR", "FLAKY")}, "checks": {}}
    html = render_html(data)
    assert html.index('class="features"') < html.index('aria-label="filters"')
    assert '<td class="support broken">broken</td>' in html


def test_compare_shows_features_across_targets():
    a = {"target": {"name": "a"}, "results": RESULTS}
    b = {"target": {"name": "b"}, "results": [_r("websocket.two-turns", "PASS")]}
    columns, rows = build([a, b], ["a/report.json", "b/report.json"])
    md = render_markdown(columns, rows, [feature_rows(a["results"]), feature_rows(b["results"])])
    assert "| WebSocket mode | unsupported | supported |" in md
    assert "| concurrent requests | **broken** | not judged |" in md
