"""The compatibility matrix (`responses-conformance matrix`) and the real servers' baselines, without any server.

The published docs/compatibility.md must be what the command makes from the committed reports: regenerate
with `responses-conformance matrix` (reports unchanged) or `python -m conformance.servers.baseline --update`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main as cli_main
from conformance.matrix import build, render_html, render_markdown, saved_reports, write
from conformance.reference.profiles import PROFILES
from conformance.report.gate import load_manifest
from conformance.report.common import rank
from conformance.report.model import Report
from conformance.servers.baseline import SERVERS, differences, load_baseline, render_baseline
from conformance.verdicts import Level, Result, Verdict

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "docs" / "compatibility"

MUST_RULE = "stream.sequence-number"  # a MUST server rule
SHOULD_RULE = "errors.code-string"  # a SHOULD server rule
MODEL_CHECK = "basic.echo"  # model-dependent


def _report(name: str, verdicts: dict[str, Verdict], emulation: bool = False) -> dict[str, Any]:
    from conformance.registry import get

    results = [Result(c, get(c).level, v, f"{c}.scenario", "why" if v is not Verdict.PASS else "", area=get(c).area)
               for c, v in verdicts.items()]
    target = {"name": name, "base_url": "http://127.0.0.1/v1", "model": "m", "server": f"{name} 1.0"}
    if emulation:
        target["emulation"] = True
    return Report(target, results).to_json()


def _save(tmp: Path, name: str, data: dict[str, Any]) -> str:
    d = tmp / "compat" / name
    d.mkdir(parents=True)
    (d / "report.json").write_text(json.dumps(data))
    (d / "report.html").write_text("<html></html>")
    return str(d / "report.json")


@pytest.fixture
def two(tmp_path: Path) -> list[str]:
    return [
        _save(tmp_path, "emu", _report("emu", {MUST_RULE: Verdict.PASS, SHOULD_RULE: Verdict.PASS,
                                               MODEL_CHECK: Verdict.PASS}, emulation=True)),
        _save(tmp_path, "real", _report("real", {MUST_RULE: Verdict.FAIL, SHOULD_RULE: Verdict.WARN,
                                                 MODEL_CHECK: Verdict.FAIL})),
    ]


def test_real_servers_come_first_and_emulations_are_labelled(tmp_path: Path, two: list[str]) -> None:
    m = build(two, tmp_path, tmp_path / "compat" / "badges")
    assert [(c.label, c.emulation) for c in m.columns] == [("real", False), ("emu", True)]
    md = render_markdown(m)
    assert "emu *(emulation)*" in md and "real *(emulation)*" not in md
    assert "| **real** |" in md and "real 1.0" in md  # the header row: server and version


def test_server_rules_and_model_checks_are_apart_must_first(tmp_path: Path, two: list[str]) -> None:
    m = build(two, tmp_path, tmp_path / "compat" / "badges")
    assert [r.check_id for r in m.server_rows] == [MUST_RULE, SHOULD_RULE]  # MUST before SHOULD
    assert [r.check_id for r in m.model_rows] == [MODEL_CHECK]
    # The model's FAIL does not lower the server's MUST pass rate.
    real, emu = m.columns
    assert (real.must_passed, real.must_judged, emu.must_passed, emu.must_judged) == (0, 1, 1, 1)


def test_every_cell_links_to_its_evidence(tmp_path: Path, two: list[str]) -> None:
    m = build(two, tmp_path, tmp_path / "compat" / "badges")
    for row in m.server_rows + m.model_rows:
        for col, cell in zip(m.columns, row.cells):
            assert cell is not None and cell.href and cell.href.startswith(f"compat/{col.label}/report.html")
    fail = m.server_rows[0].cells[0]
    assert fail is not None and fail.href == "compat/real/report.html#open=r0"  # a FAIL opens at its result
    md = render_markdown(m)
    assert "[**FAIL** 1/1](compat/real/report.html#open=r0)" in md
    assert 'href="compat/real/report.html#open=r0"' in render_html(m)


def test_feature_table_counts_supported_unsupported_broken(tmp_path: Path) -> None:
    data = _report("t", {"storage.retrieve-matches": Verdict.UNSUPPORTED, "stream.sequence-number": Verdict.FAIL})
    data["results"][1]["scenario"] = "streaming.basic"
    m = build([_save(tmp_path, "t", data)], tmp_path, tmp_path / "b")
    (col,) = m.columns
    assert {f.feature: f.status for f in col.features}["storage"] == "unsupported"
    assert {f.feature: f.status for f in col.features}["streaming"] == "broken"
    md = render_markdown(m)
    assert "| *broken* | count | 1 |" in md and "| *unsupported* | count | 1 |" in md


def test_write_makes_markdown_html_and_a_badge_per_target(tmp_path: Path, two: list[str]) -> None:
    m = write(two, tmp_path / "out", tmp_path / "compat")
    for c in m.columns:
        svg = (tmp_path / "compat" / "badges" / f"{c.slug}.svg").read_text()
        assert svg.startswith("<?xml") and "<svg" in svg and c.must_rate in svg
    assert (tmp_path / "out" / "compatibility.html").read_text().startswith("<!doctype html>")
    assert "](../compat/badges/real.svg)" in (tmp_path / "out" / "compatibility.md").read_text()


def test_the_matrix_command(tmp_path: Path, two: list[str]) -> None:
    out = tmp_path / "docs"
    assert cli_main(["matrix", *two, "--out", str(out), "--reports-dir", str(tmp_path / "compat")]) == 0
    assert (out / "compatibility.md").is_file()
    assert cli_main(["matrix", "--reports-dir", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert cli_main(["matrix", "--target", "x", "--out", str(out)]) == 2


# -- baselines ------------------------------------------------------------------------------------------------

def test_a_verdict_change_either_way_is_named(tmp_path: Path) -> None:
    was = _report("real", {MUST_RULE: Verdict.FAIL, SHOULD_RULE: Verdict.PASS, MODEL_CHECK: Verdict.PASS})
    (tmp_path / "real.toml").write_text(render_baseline("real", was))
    baseline = load_baseline(tmp_path / "real.toml")
    assert differences(was, baseline) == []
    now = _report("real", {MUST_RULE: Verdict.PASS, SHOULD_RULE: Verdict.WARN, MODEL_CHECK: Verdict.FAIL})
    assert differences(now, baseline) == [f"{SHOULD_RULE}: WARN, baseline PASS (changed)",
                                          f"{MUST_RULE}: PASS, baseline FAIL (better)"]  # the model's FAIL is not held
    gone = _report("real", {MUST_RULE: Verdict.FAIL, MODEL_CHECK: Verdict.ERROR})
    assert differences(gone, baseline) == [f"{SHOULD_RULE}: not judged any more (baseline PASS)",
                                           f"{MODEL_CHECK}: ERROR (model-dependent; baseline PASS)"]
    # A loose rule (the model's luck on that server) is held only against ERROR.
    assert differences(now, baseline, frozenset({SHOULD_RULE})) == [f"{MUST_RULE}: PASS, baseline FAIL (better)"]


def test_a_baseline_is_an_expected_failures_file(tmp_path: Path) -> None:
    was = _report("real", {MUST_RULE: Verdict.FAIL, SHOULD_RULE: Verdict.PASS})
    path = tmp_path / "real.toml"
    path.write_text(render_baseline("real", was))
    manifest = load_manifest(path)
    assert list(manifest.expected) == [MUST_RULE] and manifest.target == "real"
    assert manifest.expected[MUST_RULE].scenarios == (f"{MUST_RULE}.scenario",)


# -- the published matrix ---------------------------------------------------------------------------------------

def test_published_matrix_covers_the_real_servers_and_every_profile() -> None:
    labels = {str(json.loads(Path(p).read_text())["target"]["name"]): json.loads(Path(p).read_text())["target"]
              for p in saved_reports(PUBLISHED)}
    assert {"llama.cpp", "vLLM", "LiteLLM"} <= set(labels)
    assert {f"{p}-profile" for p in PROFILES} <= {n for n, t in labels.items() if t.get("emulation")}
    for name in SERVERS:
        assert load_baseline(PUBLISHED / "baselines" / f"{name}.toml")["verdicts"], name


def test_published_matrix_is_current() -> None:
    """docs/compatibility.md and .html as the matrix command makes them from the committed reports."""
    m = build(saved_reports(PUBLISHED), ROOT / "docs", PUBLISHED / "badges")
    stale = [name for name, text in (("compatibility.md", render_markdown(m)), ("compatibility.html", render_html(m)))
             if (ROOT / "docs" / name).read_text(encoding="utf-8") != text]
    assert not stale, f"docs/{stale} are stale: run `responses-conformance matrix` and commit the result"


def test_published_matrix_agrees_with_the_reports_and_baselines_cell_by_cell() -> None:
    """Every cell is its report's worst verdict for that check; a real server's column is its baseline."""
    paths = saved_reports(PUBLISHED)
    m = build(paths, ROOT / "docs", PUBLISHED / "badges")
    by_label = {c.label: i for i, c in enumerate(m.columns)}
    for path in paths:
        data = json.loads(Path(path).read_text())
        i = by_label[data["target"]["name"]]
        worst_of: dict[str, str] = {}
        for r in data["results"]:
            now = worst_of.get(r["check_id"])
            worst_of[r["check_id"]] = max(filter(None, (now, r["verdict"])), key=rank)
        cells = {row.check_id: row.cells[i] for row in m.server_rows + m.model_rows}
        assert {k: c.worst for k, c in cells.items() if c is not None} == worst_of, path
    for name in SERVERS:
        baseline = load_baseline(PUBLISHED / "baselines" / f"{name}.toml")
        i = by_label[str(baseline["target"])]
        column = {row.check_id: row.cells[i].worst for row in m.server_rows + m.model_rows if row.cells[i]}
        assert column == {**baseline["verdicts"], **baseline["model"]}, name
