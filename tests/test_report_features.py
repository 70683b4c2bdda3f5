"""The feature-support table: supported / unsupported / broken per feature, in report.md, report.html and
compare (derived from report.json results alone)."""

from __future__ import annotations

from conformance.report.compare import build, render_markdown
from conformance.report.features import FEATURES, feature_rows, features_markdown
from conformance.report.html import render_html


def _r(scenario: str, verdict: str, check: str = "", **extra: object) -> dict[str, object]:
    """A result of ``check`` (default: a check of the scenario's own family, e.g. websocket.x)."""
    check = check or scenario.split(".", 1)[0] + ".x"
    return {"check_id": check, "level": "MUST", "verdict": verdict, "scenario": scenario, "message": "",
            "evidence": {}, "area": check.split(".", 1)[0], **extra}


RESULTS = [
    _r("websocket.two-turns", "UNSUPPORTED"), _r("websocket.two-turns", "PASS", "errors.status-class"),
    _r("compact.conversation", "PASS"), _r("compact.conversation", "WARN"),
    _r("concurrency.parallel", "PASS"), _r("concurrency.parallel", "FAIL"),
    _r("inputs.image", "FAIL", "inputs.image-read"), _r("inputs.image", "UNSUPPORTED", "inputs.image-read"),
    _r("conversations.two-turns", "SKIP"), _r("input_tokens.count", "ERROR"),
]


def _status(results: list[dict[str, object]]) -> dict[str, str]:
    return {row.feature: row.status for row in feature_rows(results)}


def test_each_feature_gets_the_status_its_results_give():
    status = _status(RESULTS)
    assert status["WebSocket mode"] == "unsupported"  # a clean refusal, even with other checks passing
    assert status["compact"] == "supported"  # WARN does not make a feature unsupported
    assert status["concurrent requests"] == "broken"  # its own check FAILs
    assert status["image input"] == "broken"  # FAIL wins over UNSUPPORTED
    assert status["conversations"] == status["input_tokens"] == "not judged"
    assert status["file input"] == "not judged"  # inputs.file is not inputs.image
    assert [row.feature for row in feature_rows([])] == [f.name for f in FEATURES]


def test_a_cross_cutting_failure_shows_once_in_its_own_row():
    """Issue 22: FastAPI-style error bodies on every unknown route made every feature "broken". The error
    envelope is a rule of its own: it breaks its row, and each feature is decided by its own checks."""
    results = []
    for scenario in ("storage.retrieve", "background.cancel", "compact.conversation", "tools.chat-shape"):
        results += [_r(scenario, "PASS"), _r(scenario, "FAIL", "errors.envelope")]
    results += [_r("streaming.text", "PASS"), _r("streaming.text", "FAIL", "schema.response")]
    status = _status(results)
    assert status["storage"] == status["background"] == status["compact"] == status["tools"] == "supported"
    assert status["streaming"] == "supported"
    assert status["error envelope"] == status["response schemas"] == "broken"
    row = next(r for r in feature_rows(results) if r.feature == "error envelope")
    assert row.kind == "rule" and row.detail == "4 FAIL"
    # The stream grammar is the streaming feature's own rule, whichever scenario streamed.
    assert _status([_r("tools.streamed-arguments", "FAIL", "stream.sequence-number")])["streaming"] == "broken"


def test_a_model_dependent_miss_over_one_trial_does_not_break_a_feature():
    miss = _r("tools.auto", "FAIL", "tools.auto-called", model_dependent=True)
    row = next(r for r in feature_rows([miss, _r("tools.named", "PASS")]) if r.feature == "tools")
    assert row.status == "supported" and "model-dependent" in row.detail
    confirmed = dict(miss, evidence={"trials": 3, "passed_trials": 0})
    assert _status([confirmed, _r("tools.named", "PASS")])["tools"] == "broken"


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
