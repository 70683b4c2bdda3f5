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


USER_ASYNC_TESTS = '''
import asyncio

import pytest


@pytest.fixture
async def answer():  # an async fixture without a marker: only auto mode runs it
    await asyncio.sleep(0)
    return 42


async def test_unmarked(answer):  # no marker: auto mode runs it, strict mode would not
    assert answer == 42 and asyncio.get_running_loop() is not None
'''


def test_a_user_project_in_pytest_asyncio_auto_mode_runs_as_before_beside_the_async_tier(tmp_path):
    # The async tier's items are coroutines under pytest-asyncio, marked for strict mode (the suite's own); the
    # user's project says auto mode. Run together, the user's unmarked async test and fixture still run, and the
    # suite's async items pass: the suite changes no asyncio setting for anyone else.
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    (tmp_path / "test_user.py").write_text(USER_ASYNC_TESTS)
    alone = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "test_user.py"], tmp_path)
    assert alone.returncode == 0 and "PASSED test_user.py::test_unmarked" in alone.stdout, alone.stdout + alone.stderr
    strict = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "-o", "asyncio_mode=strict",
                   "test_user.py"], tmp_path)
    assert "PASSED test_user.py::test_unmarked" not in strict.stdout  # what forcing strict mode would do to it
    both = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "test_user.py", str(SUITE),
                 "--rc-report-dir", str(tmp_path / "r"), "-k", "test_unmarked or async_sdk.create::"], tmp_path,
                timeout=180)
    assert both.returncode == 0, both.stdout + both.stderr
    assert "PASSED test_user.py::test_unmarked" in both.stdout
    suite_items = [line for line in both.stdout.splitlines() if "test_async_sdk.py::test_check[async_sdk.create::" in line]
    assert suite_items and all(line.startswith("PASSED") for line in suite_items), both.stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert {r["verdict"] for r in report["results"] if r["scenario"] == "async_sdk.create"} == {"PASS"}
