"""`responses-conformance run` end to end, as a user runs it (subprocess, real exit codes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rawserver import scripted_server, sse_response


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          timeout=timeout)


def load_report(d: Path) -> dict:
    return json.loads((d / "report.json").read_text())


def test_unreachable_endpoint_exits_3_with_one_error_and_a_report(tmp_path):
    proc = run_cli("run", "--base-url", "http://127.0.0.1:9/v1", "--report-dir", str(tmp_path), timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    report = load_report(tmp_path)
    assert report["summary"]["ERROR"] == 1 and len(report["results"]) == 1
    assert "could not be reached" in report["results"][0]["message"]
    assert "could not be reached" in proc.stderr
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert (tmp_path / name).is_file(), name


def test_endpoint_that_hangs_mid_stream_ends_at_the_idle_timeout(tmp_path):
    created = {"type": "response.created", "sequence_number": 0,
               "response": {"id": "resp_h", "object": "response", "status": "in_progress", "output": []}}
    payload = sse_response(f"event: response.created\ndata: {json.dumps(created)}\n\n")
    with scripted_server(payload, hang=True) as url:
        proc = run_cli("run", "--base-url", url, "--model", "m", "--scenario", "streaming.text",
                       "--idle-timeout", "1", "--report-dir", str(tmp_path), timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    results = load_report(tmp_path)["results"]
    bad = [r for r in results if r["verdict"] in ("FAIL", "ERROR")]
    # One fault, one ERROR: the cut stream is not also blamed on the endpoint by the stream checks.
    assert [r["check_id"] for r in bad] == ["run.exchange-complete"], bad
    assert "idle" in bad[0]["message"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--header", "no-colon"], "Name: value"),
        (["--fault", "no-such-fault"], "no-such-fault"),
        (["--scenario", "no.such"], "unknown scenario"),
        (["--target", "x"], "--targets"),
        (["--trials", "0"], "--trials"),
        (["--targets", "/nonexistent/targets.toml"], "cannot read"),
    ],
)
def test_bad_usage_exits_2_with_one_line(tmp_path, args, needle):
    proc = run_cli("run", "--report-dir", str(tmp_path), *args, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("which", ["model", "protocol"])
def test_checks_option_keeps_one_class_of_check(tmp_path, which):
    """--checks model keeps only the model-dependent checks (pytest marker model_dependent); protocol leaves them
    out (issue 22: model noise must not bury the protocol)."""
    proc = run_cli("run", "--checks", which, "--scenario", "basic.string-input", "--scenario", "multi_turn.previous-response-id",
                   "--report-dir", str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = load_report(tmp_path)["results"]
    assert results and {bool(r.get("model_dependent")) for r in results} == {which == "model"}
    if which == "model":
        assert {r["check_id"] for r in results} == {"basic.echo", "multi_turn.previous-response-id-recall"}
    else:
        assert "schema.response" in {r["check_id"] for r in results}
