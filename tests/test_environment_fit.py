"""The suite in a user's environment: beside other pytest plugins, its CLI's messages, --name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import conformance.suite
from conformance.cli import build_parser

SUITE = Path(conformance.suite.__file__).resolve().parent
ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_other_pytest_runs_are_untouched_beside_pytest_base_url(tmp_path):
    import pytest_base_url  # noqa: F401  (a test extra: the plugin that also owns --base-url)

    (tmp_path / "test_other.py").write_text("def test_other(base_url):\n    assert base_url == 'http://x'\n")
    proc = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--base-url", "http://x"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    assert "rc-" not in _run([sys.executable, "-m", "pytest", "--help"], tmp_path).stdout  # not loaded globally


@pytest.mark.parametrize("how", ["path", "pyargs"])
def test_the_suite_runs_as_plain_pytest_beside_pytest_base_url(tmp_path, how):
    # Port 9 is closed: the suite must have taken the base URL, which here is pytest-base-url's --base-url.
    # Loaded by its conftest (a path) the plugin sees every other plugin; loaded early by -p it waits for them
    # before taking plain names. Either way the --rc- names work, and the plain ones no other plugin owns.
    if how == "path":
        where, opt = [str(SUITE)], "--rc-"
    else:
        where, opt = ["-p", "conformance.pytest_plugin", "--pyargs", "conformance.suite"], "--"
    proc = _run([sys.executable, "-m", "pytest", "-q", *where, "--base-url", "http://127.0.0.1:9/v1",
                 f"{opt}model", "m", f"{opt}request-timeout", "2", f"{opt}report-dir", str(tmp_path / "r"),
                 "-k", "basic.create-ok"], tmp_path)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["target"]["base_url"] == "http://127.0.0.1:9/v1" and report["target"]["model"] == "m"
    assert {r["verdict"] for r in report["results"]} == {"ERROR"}  # nothing reached: nothing judged


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "conformance", *args], ROOT, timeout)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--base-url", "127.0.0.1:8105/v1"], "needs a scheme: http://127.0.0.1:8105/v1"),
        (["-k", "nomatch"], "-k 'nomatch' matches no '<scenario>::<check>' item"),
        (["--profile", "nope"], "invalid choice: 'nope'"),
    ],
)
def test_run_says_the_real_reason_with_exit_2(tmp_path, args, needle):
    proc = _cli("run", "--report-dir", str(tmp_path), *args)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert needle in proc.stderr
    assert "exit code" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=30)
    assert err == ""


def test_help_shows_defaults_and_choices():
    sub = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    run_help = sub["run"].format_help()
    assert "(default: 60.0)" in run_help and "(default: 1)" in run_help
    assert "(default: None)" not in run_help
    assert "{gateway,litellm,llamacpp" in sub["serve"].format_help()


def test_name_labels_the_target_in_the_report(tmp_path):
    proc = _cli("run", "--name", "my-gateway", "--scenario", "streaming.text", "--report-dir", str(tmp_path), "-q",
                timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["target"]["name"] == "my-gateway"
    assert "my-gateway" in (tmp_path / "report.md").read_text()
