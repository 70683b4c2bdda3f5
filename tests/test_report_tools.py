"""compare, diff, the CI gate and the console."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conformance import cli
from conformance.report import gate
from conformance.report.console import ConsoleReporter
from conformance.verdicts import Verdict
from tests.test_report_support import catalog, make_report, result, sample_results, write  # noqa: F401


@pytest.fixture
def report_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the report commands, so these tests do not depend on the other commands' modules."""
    monkeypatch.setattr(cli, "COMMANDS", {k: cli.COMMANDS[k] for k in ("compare", "diff")})


def three_reports(tmp_path: Path) -> list[str]:
    good = [result("rtest.stream-order", Verdict.PASS, "a"), result("rtest.envelope", Verdict.PASS, "a")]
    mixed = [
        result("rtest.stream-order", Verdict.FAIL, "a", "bad order"),
        result("rtest.stream-order", Verdict.PASS, "b"),
        result("rtest.envelope", Verdict.WARN, "a", "odd"),
    ]
    paths = []
    for name, results in (("alpha", good), ("beta", mixed), ("gamma", sample_results())):
        paths.append(str(write(results, tmp_path / name, name=name)["json"]))
    return paths


def test_compare_three_reports(tmp_path: Path, catalog: None, report_commands: None) -> None:
    out = tmp_path / "cmp"
    assert cli.main(["compare", *three_reports(tmp_path), "--out", str(out)]) == 0
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert "| check | level | alpha | beta | gamma |" in md
    # Each non-PASS cell links to its first result's evidence in that target's report.html.
    assert ("| `rtest.stream-order` | MUST | PASS 1/1 | [**FAIL** 1/2](../beta/report.html#open=r0) "
            "| [**FAIL** 1/3](../gamma/report.html#open=r0) |") in md
    assert "| `rtest.charset` | SHOULD | — | — | [WARN 1/1](../gamma/report.html#open=r5) |" in md
    assert "| FAIL | 0 | 1 | 1 |" in md and "| PASS | 2 | 1 | 3 |" in md
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert html.count("<th>alpha</th>") == 3 and 'title="1 FAIL, 1 PASS"' in html and "not judged" in html


def test_compare_same_target_name_gets_distinct_columns(tmp_path: Path, catalog: None, report_commands: None) -> None:
    paths = [str(write(sample_results(), tmp_path / str(i), name="vllm")["json"]) for i in range(3)]
    assert cli.main(["compare", *paths, "--out", str(tmp_path / "cmp")]) == 0
    assert "| vllm (1) | vllm (2) | vllm (3) |" in (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("content", [None, "not json", '{"format": "something-else/1"}', '{"format": "responses-conformance-report/1", "target": {}, "results": [{"check_id": 1}]}'])
def test_compare_bad_input_exits_2_naming_the_file(
    tmp_path: Path, catalog: None, report_commands: None, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    good = three_reports(tmp_path)
    assert cli.main(["compare", *good, str(bad), "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err
    assert not (tmp_path / "cmp" / "compare.html").exists()


def test_diff_reports_regressions_and_fixes(tmp_path: Path, catalog: None, report_commands: None, capsys: pytest.CaptureFixture[str]) -> None:
    old = write([result("rtest.stream-order", Verdict.PASS, "a"), result("rtest.envelope", Verdict.FAIL, "a", "bad")], tmp_path / "old")["json"]
    new = write([result("rtest.stream-order", Verdict.FAIL, "a", "now bad"), result("rtest.envelope", Verdict.PASS, "a")], tmp_path / "new")["json"]
    assert cli.main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "1 regressions\n  rtest.stream-order [a]: PASS -> FAIL: now bad" in out
    assert "1 fixes\n  rtest.envelope [a]: FAIL -> PASS" in out
    assert cli.main(["diff", str(new), str(new)]) == 0
    assert cli.main(["diff", str(new), str(tmp_path / "missing.json")]) == 2


def known_failure_reports(tmp_path: Path) -> tuple[Path, object, object]:
    baseline = write([result("rtest.stream-order", Verdict.FAIL, "a", "known"), result("rtest.envelope", Verdict.PASS, "a")], tmp_path / "base")["json"]
    same = make_report([result("rtest.stream-order", Verdict.FAIL, "a", "known"), result("rtest.envelope", Verdict.PASS, "a")])
    worse = make_report([result("rtest.stream-order", Verdict.FAIL, "a", "known"), result("rtest.envelope", Verdict.FAIL, "a", "new")])
    return baseline, same, worse


def test_without_options_every_fail_counts(tmp_path: Path, catalog: None) -> None:
    _, same, _ = known_failure_reports(tmp_path)
    assert gate.exit_status(same)[0] == 1
    assert gate.exit_status(make_report([result("rtest.envelope", Verdict.WARN, "a")]))[0] == 0


def test_baseline_gate(tmp_path: Path, catalog: None) -> None:
    baseline, same, worse = known_failure_reports(tmp_path)
    code, lines = gate.exit_status(same, baseline_path=str(baseline))
    assert code == 0 and any("in baseline FAIL rtest.stream-order [a]" in line for line in lines)
    code, lines = gate.exit_status(worse, baseline_path=str(baseline))
    assert code == 1 and any("NEW FAIL rtest.envelope [a]: new" in line for line in lines)
    assert lines[-1] == "gate: exit status 1"
    # The gate also reads the report as report.json data.
    assert gate.exit_status(json.loads(Path(baseline).read_text()), baseline_path=str(baseline))[0] == 0


MANIFEST = """
target = "demo"
[expected."rtest.stream-order"]
reason = "the server sends in_progress first"
link = "https://github.com/example/server/issues/1"
[expected."rtest.store"]
reason = "scoped to one scenario"
scenarios = ["store-retrieve"]
"""


def test_expected_failures_gate(tmp_path: Path, catalog: None) -> None:
    _, same, worse = known_failure_reports(tmp_path)
    manifest = tmp_path / "expected.toml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    code, lines = gate.exit_status(same, expected_path=str(manifest))
    assert code == 0
    assert any("expected FAIL rtest.stream-order [a]: known (the server sends in_progress first; https://github.com" in line for line in lines)
    assert any("rtest.store is listed" in line and "does not fail now" in line for line in lines)
    assert gate.exit_status(worse, expected_path=str(manifest))[0] == 1
    # Scoped to a scenario: the same check failing elsewhere counts.
    elsewhere = make_report([result("rtest.store", Verdict.FAIL, "store-chain", "lost")])
    assert gate.exit_status(elsewhere, expected_path=str(manifest))[0] == 1
    there = make_report([result("rtest.store", Verdict.ERROR, "store-retrieve", "lost")])
    assert gate.exit_status(there, expected_path=str(manifest))[0] == 0


def test_expected_failures_json_and_bad_manifests(tmp_path: Path, catalog: None) -> None:
    _, same, _ = known_failure_reports(tmp_path)
    good = tmp_path / "expected.json"
    good.write_text(json.dumps({"expected": {"rtest.stream-order": {"reason": "r", "link": "https://x"}}}), encoding="utf-8")
    assert gate.exit_status(same, expected_path=str(good))[0] == 0
    other = make_report(same.results, name="other")
    assert "gate: warning" not in " ".join(gate.exit_status(other, expected_path=str(good))[1])
    for name, text in (("a.toml", "expected = 1"), ("b.toml", '[expected."x"]\nlink = "no reason"'), ("c.json", "{")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(cli.UsageError, match=name):
            gate.exit_status(same, expected_path=str(tmp_path / name))
    with pytest.raises(cli.UsageError, match="missing.toml"):
        gate.exit_status(same, expected_path=str(tmp_path / "missing.toml"))
    with pytest.raises(cli.UsageError, match="nope.json"):
        gate.exit_status(same, baseline_path=str(tmp_path / "nope.json"))


def test_a_typo_in_the_manifest_is_an_unknown_check_id_not_a_fixed_failure(tmp_path: Path, catalog: None) -> None:
    manifest = tmp_path / "expected.toml"
    manifest.write_text('[expected."rtest.stream-ordr"]\nreason = "typo"\n', encoding="utf-8")
    _, lines = gate.exit_status(make_report([]), expected_path=str(manifest))
    typo = [line for line in lines if "rtest.stream-ordr" in line]
    assert len(typo) == 1 and "unknown check id" in typo[0] and "did you mean 'rtest.stream-order'" in typo[0]
    assert "does not fail now" not in typo[0]


def test_manifest_for_another_target_warns(tmp_path: Path, catalog: None) -> None:
    manifest = tmp_path / "expected.toml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    _, lines = gate.exit_status(make_report([], name="vllm"), expected_path=str(manifest))
    assert any("is for target 'demo'" in line for line in lines)


def test_gate_arguments() -> None:
    import argparse

    p = argparse.ArgumentParser()
    gate.add_gate_arguments(p)
    args = p.parse_args(["--baseline", "b.json", "--expected-failures", "e.toml"])
    assert (args.baseline, args.expected_failures) == ("b.json", "e.toml")
    with pytest.raises(cli.UsageError, match="e.toml"):
        gate.validate_arguments(args)
    gate.validate_arguments(p.parse_args([]))


def test_console_progress_on_stderr_summary_on_stdout(tmp_path: Path, catalog: None) -> None:
    report = make_report(sample_results())
    err, out = io.StringIO(), io.StringIO()
    c = ConsoleReporter(err=err, out=out)
    c.start(len(report.results))
    for r in report.results:
        c.advance(r)
    c.finish(report, tmp_path)
    assert "FAIL  rtest.stream-order [stream-basic]" in err.getvalue()  # failures as they happen
    text = out.getvalue()
    assert "UNSUPPORTED" in text and "report.html" in text
    # Fix this first leads: the MUST FAIL, then the SHOULD WARN, each with where its evidence is; ERRORs apart.
    assert text.index("Fix this first") < text.index("1. FAIL rtest.stream-order") < text.index("2. WARN rtest.charset")
    assert f"evidence: {tmp_path / 'report.html'}#open=r0" in text
    assert "could not judge (ERROR)" in text and "rtest.envelope" in text

    quiet_err, quiet_out = io.StringIO(), io.StringIO()
    q = ConsoleReporter(quiet=True, err=quiet_err, out=quiet_out)
    q.start(len(report.results))
    for r in report.results:
        q.advance(r)
    q.finish(report, tmp_path)
    assert quiet_err.getvalue() == ""
    assert quiet_out.getvalue().count("\n") == 1
    assert quiet_out.getvalue().startswith("responses-conformance: demo: 1 FAIL, 1 ERROR, 1 WARN, 1 UNSUPPORTED, 3 PASS in 1.5 s")


def test_console_prints_markup_literally(catalog: None) -> None:
    out = io.StringIO()
    report = make_report([result("rtest.envelope", Verdict.FAIL, "[bold]s[/bold]", "[red]x[/red]")])
    ConsoleReporter(out=out, err=io.StringIO()).finish(report)
    assert "[red]x[/red]" in out.getvalue()
