"""Run the suite's CLI, in a child process, against one hostile behaviour, and measure what the tests assert:
wall time, exit status, peak RSS of the child, the key in any output, requests outside the API's paths, cookies
sent back, a traceback, and whether report.json is valid JSON. Shared by tests/test_hostile.py and
benchmarks/hostile.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.hostile_server import KEY, HostileServer

# Per area, the few scenarios that meet its behaviours: creates, streams (the suite's client and both SDK tiers),
# ids in paths (retrieve, cancel, cleanup's delete), several requests in a row (cookies). Fewer exchanges keep the
# runs short.
_BOTH_STREAMS = ("basic.string-input", "streaming.text", "sdk.stream", "async_sdk.stream")
AREA_SCENARIOS = {
    "transport": _BOTH_STREAMS,
    "http": ("basic.string-input", "streaming.text"),
    "sse": ("streaming.text", "sdk.stream", "async_sdk.stream"),
    "json": ("basic.string-input", "streaming.text"),
    "size": _BOTH_STREAMS,
    "ids": ("storage.retrieve", "background.cancel"),
    "headers": ("basic.string-input",),
    "rate-limit": ("basic.string-input", "sdk.stream", "async_sdk.stream"),
    "redirect": ("basic.string-input", "sdk.stream", "async_sdk.stream"),
    "cookies": ("storage.retrieve",),
    "key-echo": _BOTH_STREAMS,
}
DISCOVERY = {"deep-json-discovery"}  # run without --model: GET /models is the request that meets it
REQUEST_TIMEOUT_S = 2.0
IDLE_TIMEOUT_S = 1.0
KILL_AFTER_S = 120.0  # the harness's own limit; a run that needs it has failed the bound anyway
API_PATH = re.compile(r"^/v1/(responses|models)(/[^/?#]*)*$")
_KEY_SECRET = KEY.removeprefix("sk-hostile-")


@dataclass
class Outcome:
    name: str
    wall_s: float
    exit_status: int | None
    peak_rss_mb: float
    report_valid: bool
    report_bytes: int
    leaks: list[str] = field(default_factory=list)  # outputs where (part of) the key appeared
    stray: list[str] = field(default_factory=list)  # requests outside the API's paths, or to another host
    cookies: int = 0  # requests that carried a Cookie header
    traceback: bool = False
    requests: int = 0
    summary: dict[str, int] = field(default_factory=dict)


def _leaked(text: str) -> bool:
    """The key, or any 10 consecutive characters of its random part (a key cut before redaction)."""
    if KEY in text:
        return True
    return any(_KEY_SECRET[i:i + 10] in text for i in range(len(_KEY_SECRET) - 9))


def run(name: str) -> Outcome:
    server = HostileServer(name)
    scenarios = AREA_SCENARIOS[server.behaviour.area]
    with tempfile.TemporaryDirectory(prefix=f"hostile-{name}-") as tmp, server as url:
        report_dir = Path(tmp) / "reports"
        cmd = [sys.executable, "-m", "conformance", "run", "--base-url", url, "--api-key", KEY,
               *(["--model", "m"] if name not in DISCOVERY else []), "--request-timeout", str(REQUEST_TIMEOUT_S), "--idle-timeout", str(IDLE_TIMEOUT_S),
               "--report-dir", str(report_dir)]
        for s in scenarios:
            cmd += ["--scenario", s]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        t0 = time.monotonic()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
            status, rusage = _wait(proc)
        wall = time.monotonic() - t0
        outputs = {"stdout": out_path.read_text(errors="replace"), "stderr": err_path.read_text(errors="replace")}
        for f in sorted(report_dir.glob("*")) if report_dir.exists() else []:
            outputs[f.name] = f.read_text(errors="replace")
        report_text = outputs.get("report.json", "")
        try:
            report = json.loads(report_text, parse_constant=_reject)
            valid = isinstance(report, dict) and report.get("format", "").startswith("responses-conformance-report/")
        except ValueError:
            report, valid = {}, False
        requests = list(server.requests)
        return Outcome(
            name=name, wall_s=wall, exit_status=status, peak_rss_mb=rusage / 1024, report_valid=valid,
            report_bytes=len(report_text.encode()),
            leaks=[where for where, text in outputs.items() if _leaked(text)],
            stray=[r.target[:120] for r in requests if not API_PATH.match(r.path)]
            + [f"elsewhere: {t[:120]}" for t in server.elsewhere],
            cookies=sum("cookie" in r.headers for r in requests),
            traceback="Traceback (most recent call last)" in outputs["stdout"] + outputs["stderr"],
            requests=len(requests),
            summary=report.get("summary", {}) if isinstance(report, dict) else {},
        )


def _reject(name: str) -> None:
    raise ValueError(f"{name} in report.json")


def _wait(proc: subprocess.Popen[bytes]) -> tuple[int | None, int]:
    """(exit status, peak RSS in KiB) of the child; killed past KILL_AFTER_S (status None)."""
    deadline = time.monotonic() + KILL_AFTER_S
    while time.monotonic() < deadline:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage.ru_maxrss
        time.sleep(0.05)
    proc.kill()
    _, _, rusage = os.wait4(proc.pid, 0)
    proc.returncode = -9
    return None, rusage.ru_maxrss
