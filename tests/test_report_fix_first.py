""""Fix this first", FAIL never hidden behind ERROR, incomplete runs, and compare's names and links."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from conformance import cli
from conformance.report.common import fix_first
from conformance.report.html import render_html
from conformance.report.markdown import render_markdown
from conformance.verdicts import Verdict
from tests.test_report_support import catalog, make_report, result, stream_exchange, write  # noqa: F401

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "report.schema.json").read_text())


def ranked_results() -> list:
    return [
        result("rtest.charset", Verdict.WARN, "s1", "no charset"),  # SHOULD, 3 scenarios
        result("rtest.charset", Verdict.WARN, "s2", "no charset"),
        result("rtest.charset", Verdict.WARN, "s3", "no charset"),
        result("rtest.store", Verdict.FAIL, "s1", "store lost"),  # MUST, 1 scenario
        result("rtest.envelope", Verdict.ERROR, "s1", "timeout"),  # could not judge: not a broken rule
        result("rtest.envelope", Verdict.FAIL, "s2", "bad envelope"),  # MUST, 2 scenarios (s2 twice)
        result("rtest.envelope", Verdict.FAIL, "s3", "bad envelope 2"),
        result("rtest.envelope", Verdict.FAIL, "s2", "bad envelope 3"),
        result("rtest.stream-order", Verdict.PASS, "s1"),
    ]


def test_fix_first_ranks_by_level_then_reach(catalog: None) -> None:
    data = make_report(ranked_results()).to_json()
    got = [(p.check_id, p.verdict, p.scenarios, p.results, p.message, p.anchor) for p in fix_first(data["results"])]
    assert got == [
        ("rtest.envelope", "FAIL", 2, 3, "bad envelope", "r5"),
        ("rtest.store", "FAIL", 1, 1, "store lost", "r3"),
        ("rtest.charset", "WARN", 3, 3, "no charset", "r0"),
    ]


def test_markdown_and_html_lead_with_fix_this_first_and_fail_beats_error(catalog: None) -> None:
    data = make_report(ranked_results()).to_json()
    md = render_markdown(data)
    top = md.index("## Fix this first")
    assert top < md.index("| FAIL | ERROR |")  # before the counts
    assert md.index("[`rtest.envelope`](report.html#open=r5)") < md.index("[`rtest.store`](report.html#open=r3)") \
        < md.index("[`rtest.charset`](report.html#open=r0)")
    assert "1 ERROR results beside these" in md
    html = render_html(data)
    assert html.index("Fix this first") < html.index('class="bar"')
    assert '<a href="#open=r5"><code>rtest.envelope</code></a>' in html
    # The check with 3 FAIL and 1 ERROR is badged FAIL, with the error counted beside it.
    art = re.search(r'<article class="check (\w+)" id="c-rtest.envelope">.*?</h3>', html, re.S)
    assert art and art.group(1) == "FAIL" and '<span class="also">+1 ERROR</span>' in art.group(0)
    # It opens on problems: the page carries the default filter its script applies.
    assert 'data-default="FAIL,ERROR,WARN,FLAKY"' in html
    clean = render_html(make_report([result("rtest.store", Verdict.PASS, "s1")]).to_json())
    assert 'data-default=""' in clean and "Fix this first" not in clean


def test_the_offending_event_is_marked_for_highlighting(catalog: None) -> None:
    data = make_report([result("rtest.stream-order", Verdict.FAIL, "s", "bad", stream_exchange(), event_index=1)]).to_json()
    html = render_html(data)
    assert 'data-event="1"' in html
    # Every line of event #1 (its event: and data: lines) carries data-e="1"; the blank line after it does not.
    lines = re.findall(r'<span class="l"( data-e="(\d+)")?><span class="g">[^<]*</span>([^<]*)</span>', html)
    marked = [text for _, e, text in lines if e == "1"]
    assert marked == ["event: response.output_text.delta",
                      'data: {&#34;type&#34;:&#34;response.output_text.delta&#34;,&#34;delta&#34;:&#34;Hi&#34;}']


def test_an_incomplete_run_says_so(catalog: None) -> None:
    report = make_report([result("rtest.store", Verdict.PASS, "s1")])
    report.complete, report.stop_reason = False, "--max-duration 30 s ran out"
    data = report.to_json()
    jsonschema.validate(data, SCHEMA)
    assert data["complete"] is False
    assert "incomplete run: --max-duration 30 s ran out" in render_markdown(data)
    assert "incomplete run: --max-duration 30 s ran out" in render_html(data)
    done = make_report([result("rtest.store", Verdict.PASS, "s1")]).to_json()
    assert done["complete"] is True and "incomplete run" not in render_markdown(done) + render_html(done)


@pytest.fixture
def compare_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"compare": cli.COMMANDS["compare"]})


def test_compare_names_targets_and_links_cells_to_evidence(tmp_path: Path, catalog: None, compare_only: None) -> None:
    errs_and_fails = [result("rtest.envelope", Verdict.ERROR, f"e{i}", "timeout") for i in range(4)]
    errs_and_fails += [result("rtest.envelope", Verdict.FAIL, f"f{i}", "bad") for i in range(11)]
    a = write(errs_and_fails, tmp_path / "gw", name="my-gateway")["json"]
    # A report whose target has no name of its own (its name is its URL) is named by its folder.
    b = write([result("rtest.envelope", Verdict.PASS, "x")], tmp_path / "vllm-box", name="http://127.0.0.1:8000/v1")["json"]
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(a), str(b), "--out", str(out)]) == 0
    md = (out / "compare.md").read_text()
    assert "| check | level | my-gateway | vllm-box |" in md
    assert "| `rtest.envelope` | MUST | [**FAIL** 11/15 (+4 ERROR)](../gw/report.html#open=r4) | PASS 1/1 |" in md
    html = (out / "compare.html").read_text()
    assert '<a href="../gw/report.html#open=r4"><span class="badge FAIL">FAIL</span> 11/15</a>' in html
    assert "<th>my-gateway</th>" in html and "<th>http://127.0.0.1:8000/v1</th>" not in html
