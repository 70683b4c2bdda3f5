"""`responses-conformance replay`: exit codes, one-line errors for bad input, report.json, verdicts on recordings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from conformance import cli

MY_MODULES = {"conformance.checks.framing", "conformance.checks.errors", "conformance.checks.storage"}
XAI_ERROR = "ruby_llm__chat_error_handling_with_xai_grok-4-1-fast-non-reasoning_raises_appropriate_auth_error__0.json"
BEDROCK_STREAM = "ruby_llm__providers_bedrock_mantle_responses_chat_streams_through_the_responses_surface__0.json"


def replay_only() -> pytest.MonkeyPatch:
    # cli.build_parser() imports every subcommand's module; the in-process tests exercise replay alone so they
    # do not depend on the other commands (the subprocess test runs the real entry point with all of them).
    mp = pytest.MonkeyPatch()
    mp.setattr(cli, "COMMANDS", {"replay": cli.COMMANDS["replay"]})
    return mp


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(cli, "COMMANDS", {"replay": cli.COMMANDS["replay"]})
    yield lambda *argv: cli.main(["replay", *argv])


def replay_dir(src: Path, report_dir: Path) -> tuple[int, dict[str, Any]]:
    mp = replay_only()
    try:
        code = cli.main(["replay", str(src), "--report-dir", str(report_dir), "--quiet"])
    finally:
        mp.undo()
    return code, json.loads((report_dir / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def openai_report(recordings_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    return replay_dir(recordings_dir / "openai", tmp_path_factory.mktemp("openai"))


@pytest.fixture(scope="module")
def vendors_report(recordings_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    return replay_dir(recordings_dir / "vendors", tmp_path_factory.mktemp("vendors"))


def my_check_ids() -> set[str]:
    from conformance.registry import all_checks

    return {c.id for c in all_checks() if c.func.__module__ in MY_MODULES and c.scope == "exchange"}


def bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, the file the message must name)."""
    (tmp / "invalid.json").write_text("{oops")
    (tmp / "array.json").write_text("[1, 2]")
    (tmp / "halves.json").write_text('{"request": {"method": "GET", "path": "/"}}')
    (tmp / "empty").mkdir()
    mixed = tmp / "mixed"
    mixed.mkdir()
    (mixed / "a_good.json").write_text(
        json.dumps({"request": {"method": "GET", "path": "/v1/responses/resp_1"}, "response": {"status": 404}})
    )
    (mixed / "b_bad.json").write_text("not json at all")
    return {
        "missing": ([str(tmp / "nope.json")], str(tmp / "nope.json")),
        "invalid-json": ([str(tmp / "invalid.json")], str(tmp / "invalid.json")),
        "not-an-object": ([str(tmp / "array.json")], str(tmp / "array.json")),
        "no-response": ([str(tmp / "halves.json")], str(tmp / "halves.json")),
        "empty-dir": ([str(tmp / "empty")], str(tmp / "empty")),
        "bad-file-in-dir": ([str(mixed)], str(mixed / "b_bad.json")),
    }


@pytest.mark.parametrize("kind", ["missing", "empty-dir"])
def test_nothing_to_replay_exits_2_with_one_line_naming_the_path(
    run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    argv, named = bad_inputs(tmp_path)[kind]
    assert run(*argv, "--report-dir", str(tmp_path / "reports")) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and lines[0].startswith("responses-conformance replay: error: ")
    assert not (tmp_path / "reports" / "report.json").exists()


@pytest.mark.parametrize("kind", ["invalid-json", "not-an-object", "no-response", "bad-file-in-dir"])
def test_a_malformed_file_is_one_error_naming_it_and_the_replay_goes_on(
    run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    argv, named = bad_inputs(tmp_path)[kind]
    assert run(*argv, "--report-dir", str(tmp_path / "reports")) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    report = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    errors = [r for r in report["results"] if r["verdict"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["check_id"] == "run.recording-readable" and named in errors[0]["message"]
    if kind == "bad-file-in-dir":  # the good file beside it is still judged
        assert {r["scenario"] for r in report["results"] if r["verdict"] == "PASS"} == {"a_good.json"}


def test_a_recording_of_another_api_is_not_judged_and_the_notes_say_so(
    run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = {"request": {"method": "POST", "path": "/v1/chat/completions", "body": {"model": "m", "messages": []}},
            "response": {"status": 200, "headers": {"content-type": "application/json"},
                         "body": {"object": "chat.completion", "choices": []}}}
    (tmp_path / "chat.json").write_text(json.dumps(chat))
    assert run(str(tmp_path / "chat.json"), "--report-dir", str(tmp_path / "reports")) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert report["results"] == []
    assert "chat.json" in report["notes"][0] and "not a Responses API exchange" in report["notes"][0]
    assert "note: 1 recording(s) of another API were not judged" in out


def test_subprocess_bad_input_and_good_input(recordings_dir: Path, tmp_path: Path) -> None:
    try:
        cli.build_parser()
    except ImportError as exc:  # another subcommand's module has not landed yet
        pytest.skip(f"the full CLI cannot be built yet: {exc}")
    proc = subprocess.run(  # nothing to replay: a usage error
        [sys.executable, "-m", "conformance", "replay", str(tmp_path / "bad.json"), "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and str(tmp_path / "bad.json") in proc.stderr

    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(recordings_dir / "openai" / "fantasy__generate__0.json", one)
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "replay", str(one), "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "replayed 1 exchanges" in proc.stdout and "exchanges/s" in proc.stdout
    for name in ("report.json", "report.md"):
        assert (tmp_path / "r" / name).is_file()


def test_summary_line_and_quiet(run: Any, recordings_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = recordings_dir / "openai" / "fantasy__generate__0.json"
    assert run(str(src), "--report-dir", str(tmp_path)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("replayed 1 exchanges") and "PASS" in out[0]
    assert run(str(src), "--report-dir", str(tmp_path), "--quiet") == 0
    assert capsys.readouterr() == ("", "")


def test_report_json_has_the_design_keys(openai_report: tuple[int, dict[str, Any]]) -> None:
    _, report = openai_report
    assert {"format", "suite_version", "target", "started_at", "duration_s", "summary", "results"} <= set(report)
    assert report["format"] == "responses-conformance-report/1"
    assert report["mode"] == "replay"
    assert report["target"] == {"name": "openai", "base_url": None, "model": report["target"]["model"]}
    assert isinstance(report["target"]["model"], str)
    assert set(report["summary"]) == {"PASS", "FAIL", "WARN", "UNSUPPORTED", "SKIP", "ERROR", "FLAKY"}
    assert sum(report["summary"].values()) == len(report["results"])
    for r in report["results"]:
        assert {"check_id", "level", "verdict", "scenario", "message", "evidence"} <= set(r)
    # One transcript per file, named by its path relative to the directory given.
    scenarios = {r["scenario"] for r in report["results"]}
    assert "fantasy__generate__0.json" in scenarios and len(scenarios) == 787


def test_openai_recordings_give_my_checks_no_fail_or_error(openai_report: tuple[int, dict[str, Any]]) -> None:
    _, report = openai_report
    mine = my_check_ids()
    judged = [r for r in report["results"] if r["check_id"] in mine]
    # Every one applies to some OpenAI recording, except the [DONE] follow-up (OpenAI never sends [DONE]).
    assert {r["check_id"] for r in judged} == mine - {"framing.nothing-after-done"}
    bad = [(r["check_id"], r["scenario"], r["message"]) for r in judged if r["verdict"] in ("FAIL", "ERROR", "WARN")]
    assert bad == []


def test_openai_recordings_give_the_whole_suite_no_fail_or_error(openai_report: tuple[int, dict[str, Any]]) -> None:
    code, report = openai_report
    bad = [(r["check_id"], r["scenario"], r["message"][:200]) for r in report["results"] if r["verdict"] in ("FAIL", "ERROR")]
    assert bad == [] and code == 0


def test_vendor_deviations_land_under_my_check_ids(vendors_report: tuple[int, dict[str, Any]]) -> None:
    code, report = vendors_report
    assert code == 1
    by = {(r["check_id"], r["scenario"]): r for r in report["results"]}
    xai = by[("errors.envelope", XAI_ERROR)]
    assert xai["verdict"] == "FAIL" and "`error` is a string" in xai["message"]
    assert xai["evidence"]["exchange"]["response"]["status"] == 400  # the evidence carries the exchange
    bedrock = by[("framing.event-line-present", BEDROCK_STREAM)]
    assert bedrock["verdict"] == "WARN" and "no `event:` line" in bedrock["message"]
    # xAI and Bedrock leave out the charset; nothing else of mine fails on vendor traffic.
    mine = my_check_ids()
    others = {
        (r["check_id"], r["verdict"])
        for r in report["results"]
        if r["check_id"] in mine and r["verdict"] != "PASS" and (r["check_id"], r["scenario"]) not in {
            ("errors.envelope", XAI_ERROR),
            ("framing.event-line-present", BEDROCK_STREAM),
        }
    }
    assert others == {("framing.stream-charset", "WARN")}


def test_unwritable_report_dir_exits_2(run: Any, recordings_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    src = recordings_dir / "openai" / "fantasy__generate__0.json"
    assert run(str(src), "--report-dir", str(blocker / "reports")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and str(blocker / "reports") in err


def test_a_saved_live_run_replays_to_the_same_exchange_verdicts(tmp_path: Path) -> None:
    """`run --save-recordings DIR` writes every exchange the run judged; `replay DIR` gives each exchange check
    the same verdict per scenario (the live run judges the GET /models of the preflight with no check)."""
    from conformance.registry import all_checks

    rec = tmp_path / "rec"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--profile", "vllm", "--scenario", "basic.string-input",
         "--scenario", "streaming.text", "--scenario", "bad_input.wrong-types", "--scenario", "storage.retrieve",
         "--save-recordings", str(rec), "--report-dir", str(tmp_path / "live"), "-q"],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    code, replayed = replay_dir(rec, tmp_path / "replayed")
    exchange_checks = {c.id for c in all_checks() if c.scope == "exchange"}
    live = json.loads((tmp_path / "live" / "report.json").read_text(encoding="utf-8"))["results"]
    order = ["PASS", "SKIP", "UNSUPPORTED", "WARN", "FLAKY", "FAIL", "ERROR"]
    worst: dict[tuple[str, str], str] = {}
    for r in replayed["results"]:
        key = (r["scenario"].split("/")[0], r["check_id"])
        if r["check_id"] in exchange_checks and key[0] != "preflight":
            worst[key] = max(worst.get(key, "PASS"), r["verdict"], key=order.index)
    expected = {(r["scenario"], r["check_id"]): r["verdict"] for r in live if r["check_id"] in exchange_checks}
    assert worst == expected
    assert set(expected.values()) - {"PASS"}  # the profile's deviations are found both ways
    files = list(rec.rglob("*.json"))
    assert files and all(json.loads(f.read_text())["recorded_from"] for f in files)


def test_saved_recordings_hold_no_key(tmp_path: Path) -> None:
    from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
    from conformance.recordings import save_transcript
    from conformance.redact import register_secret

    key = "sk-test-0123456789abcdef"
    register_secret(key)
    ex = Exchange(request=RecordedRequest("POST", "/v1/responses", {"authorization": f"Bearer {key}"}, {"model": "m"}),
                  response=RecordedResponse(401, {}, {"error": {"message": f"bad key {key}"}}), label="create")
    (path,) = save_transcript(Transcript(scenario="basic.x", exchanges=[ex]), tmp_path, "t")
    assert key not in path.read_text() and path.name == "0-00-create.json"
