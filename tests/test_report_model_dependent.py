"""Model-dependent checks are a class of their own in the reports (issue 22, point 2): ranked after the protocol
rules in "Fix this first" and labelled as the model's, a hint to use --trials, and a flip of one over fewer trials
than CONFIRM_TRIALS is FLAKY for the CI gate and `diff`, never a regression."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conformance import cli
from conformance.report import gate
from conformance.report.common import CONFIRM_TRIALS, fix_first
from conformance.report.console import ConsoleReporter
from conformance.report.markdown import render_markdown
from conformance.verdicts import Result, Verdict
from tests.test_report_support import catalog, make_report, result, write  # noqa: F401


def model(verdict: Verdict, scenario: str = "a", message: str = "", trials: int = 1) -> Result:
    """A result of a model-dependent check (rtest.store stands in for one)."""
    r = result("rtest.store", verdict, scenario, message)
    r.model_dependent = True
    if trials > 1:
        r.evidence.update(trials=trials, passed_trials=0 if verdict is Verdict.FAIL else trials)
    return r


def test_fix_first_ranks_protocol_rules_before_model_dependent_checks(catalog: None) -> None:
    results = [model(Verdict.FAIL, s, "does not recall the code word") for s in ("a", "b", "c")]
    results.append(result("rtest.charset", Verdict.WARN, "a", "no charset"))  # a SHOULD of the protocol
    data = make_report(results).to_json()
    assert [r.get("model_dependent") for r in data["results"]] == [True, True, True, None]
    got = [(p.check_id, p.model_dependent) for p in fix_first(data["results"])]
    # The MUST model-dependent check hits more scenarios, but the protocol's SHOULD comes first.
    assert got == [("rtest.charset", False), ("rtest.store", True)]
    md = render_markdown(data)
    assert "model-dependent: may be the model's failure, not the endpoint's" in md
    assert f"Run with --trials {CONFIRM_TRIALS}" in md


def test_console_labels_model_checks_and_hints_at_trials(catalog: None) -> None:
    out = io.StringIO()
    ConsoleReporter(out=out, err=io.StringIO()).finish(make_report([model(Verdict.FAIL, message="no code word")]))
    text = out.getvalue()
    assert "rtest.store (MUST, 1 scenario; model-dependent: may be the model's failure" in " ".join(text.split())
    assert f"--trials {CONFIRM_TRIALS}" in text
    # No hint once the failure held over enough trials: then it is the endpoint's.
    out = io.StringIO()
    ConsoleReporter(out=out, err=io.StringIO()).finish(make_report([model(Verdict.FAIL, trials=CONFIRM_TRIALS)]))
    assert "--trials" not in out.getvalue()


def test_baseline_gate_calls_a_model_flip_over_one_trial_flaky(tmp_path: Path, catalog: None) -> None:
    baseline = write([model(Verdict.PASS), result("rtest.envelope", Verdict.PASS, "a")], tmp_path / "base")["json"]
    flipped = make_report([model(Verdict.FAIL, message="no code word"), result("rtest.envelope", Verdict.PASS, "a")])
    code, lines = gate.exit_status(flipped, baseline_path=str(baseline))
    assert code == 0, lines
    assert "1 FLAKY" in lines[0] and "0 new" in lines[0]
    assert any("FLAKY FAIL rtest.store [a]" in line for line in lines)
    # Over CONFIRM_TRIALS trials, every one failing, the flip is the endpoint's: a regression.
    confirmed = make_report([model(Verdict.FAIL, trials=CONFIRM_TRIALS), result("rtest.envelope", Verdict.PASS, "a")])
    assert gate.exit_status(confirmed, baseline_path=str(baseline))[0] == 1
    # A protocol rule that flips is always new.
    broken = make_report([model(Verdict.PASS), result("rtest.envelope", Verdict.FAIL, "a", "bad")])
    assert gate.exit_status(broken, baseline_path=str(baseline))[0] == 1
    # Without a baseline every FAIL still counts.
    assert gate.exit_status(flipped)[0] == 1


def test_expected_failure_of_a_model_check_passing_once_is_not_called_fixed(tmp_path: Path, catalog: None) -> None:
    manifest = tmp_path / "expected.toml"
    manifest.write_text('[expected."rtest.store"]\nreason = "the small model forgets"\n', encoding="utf-8")
    code, lines = gate.exit_status(make_report([model(Verdict.PASS)]), expected_path=str(manifest))
    assert code == 0
    assert any("FLAKY, not proof of a fix" in line for line in lines)
    assert not any("remove it when fixed" in line for line in lines)
    code, lines = gate.exit_status(make_report([model(Verdict.PASS, trials=CONFIRM_TRIALS)]), expected_path=str(manifest))
    assert any("remove it when fixed" in line for line in lines)


def test_diff_calls_a_model_flip_over_one_trial_flaky(tmp_path: Path, catalog: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "COMMANDS", {"diff": cli.COMMANDS["diff"]})
    old = write([model(Verdict.PASS)], tmp_path / "old")["json"]
    new = write([model(Verdict.FAIL, message="no code word")], tmp_path / "new")["json"]
    assert cli.main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "0 regressions" in out and "1 FLAKY" in out and "rtest.store [a]: PASS -> FAIL" in out
    assert cli.main(["diff", str(new), str(old)]) == 0  # and back: not a fix either
    assert "0 fixes" in capsys.readouterr().out
    confirmed = write([model(Verdict.FAIL, trials=CONFIRM_TRIALS)], tmp_path / "confirmed")["json"]
    assert cli.main(["diff", str(old), str(confirmed)]) == 1


def test_judge_marks_results_of_model_dependent_checks() -> None:
    """The flag travels from the registry to report.json, over one trial and over several (FLAKY)."""
    from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
    from conformance.judge import judge, judge_trials
    from conformance.registry import get

    def trial(text: str) -> Transcript:
        body = {"id": "resp_1", "object": "response", "status": "completed", "output": [
            {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": text, "annotations": []}]}]}
        ex = Exchange(RecordedRequest("POST", "/v1/responses"),
                      RecordedResponse(200, {"content-type": "application/json"}, body), label="create")
        return Transcript(scenario="basic.string-input", exchanges=[ex], params={"nonce": "ECHO-123456"})

    check = get("basic.echo")
    assert check.model_dependent
    one = judge(check, trial("nothing"))
    assert one is not None and one.verdict is Verdict.FAIL and one.to_json()["model_dependent"] is True
    flaky = judge_trials(check, [trial("ECHO-123456"), trial("nothing")])
    assert flaky is not None and flaky.verdict is Verdict.FLAKY and flaky.model_dependent
    assert "model_dependent" not in judge(get("schema.response"), trial("x")).to_json()
