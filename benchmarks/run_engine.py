"""The run engine on slow, stalled, dead and stopped endpoints (issue 8's figures), measured in one go.

    python benchmarks/run_engine.py            # prints a Markdown table; the README's performance section quotes it

1. Round trips on the critical path: the default run against the reference server, then again through a proxy
   that holds each response's first byte for 1 s. (wall with the delay - wall without) / 1 s, each wall time the
   median of 3 runs.
2. A stalled endpoint: the first 3 POST /responses never answered, --request-timeout 5: ERROR results.
3. An unreachable endpoint (a closed port): wall time, result count, exit status.
4. A run sent SIGTERM mid-way: exit status, and whether report.json is valid and marked incomplete.
5. Generation requests (POST /v1/responses) in a default run, counted at the proxy (the SDK tier's included).
"""

from __future__ import annotations

import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.live.runner import select_scenarios
from conformance.live.scenario import SURFACE_FAMILIES
from conformance.reference.proxy import SlowProxy
from conformance.reference.server import ReferenceServer

DELAY_S = 1.0
REPEATS = 3


def cli(*args: str, timeout: float = 600) -> tuple[int, float, dict | None]:
    """Run `responses-conformance run ARGS -q` in a subprocess: (exit status, wall seconds, report.json)."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "conformance", "run", "-q", "--report-dir", d, *args],
                              capture_output=True, text=True, timeout=timeout)
        wall = time.monotonic() - t0
        report = Path(d, "report.json")
        return proc.returncode, wall, json.loads(report.read_text()) if report.is_file() else None


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def walls(base_args: list[str], port: int, delay_s: float, repeats: int = REPEATS) -> tuple[float, int]:
    """The median wall time of `repeats` runs through a proxy holding each response `delay_s`, and the POSTs
    one of them sent. Medians: on 2 cores one run's wall time varies by a second or two."""
    times, posts = [], 0
    for _ in range(repeats):
        with SlowProxy(port, delay_s=delay_s) as proxy:
            _, wall, _ = cli("--base-url", proxy.base_url(), *base_args)
            times.append(wall)
            posts = sum(p == "POST /v1/responses" for p in proxy.stats.paths)
    return statistics.median(times), posts


def main() -> None:
    rows: list[tuple[str, str]] = []
    core = [a for s in select_scenarios() if s.family not in SURFACE_FAMILIES for a in ("--scenario", s.id)]
    with ReferenceServer(token_delay=0.001) as srv:
        target = ["--model", srv.model]
        fast, posts_all = walls(target, srv.port, 0.0)
        with SlowProxy(srv.port, delay_s=DELAY_S) as slow:
            code_slow, _, report = cli("--base-url", slow.base_url(), *target)
        slow_wall, _ = walls(target, srv.port, DELAY_S)
        rows.append((f"default run, no delay (median of {REPEATS})", f"{fast:.1f} s"))
        rows.append((f"default run, {DELAY_S:g} s before each response (median of {REPEATS})",
                     f"{slow_wall:.1f} s, exit {code_slow}, {(report or {}).get('summary', {}).get('PASS')} PASS"))
        rows.append(("round trips on the critical path, whole default run", f"{(slow_wall - fast) / DELAY_S:.1f}"))
        core_fast, posts = walls(target + core, srv.port, 0.0)
        core_slow, _ = walls(target + core, srv.port, DELAY_S)
        rows.append(("round trips on the critical path, the families issue 8 measured (86 before)",
                     f"{(core_slow - core_fast) / DELAY_S:.1f}"))
        rows.append(("POST /v1/responses, the families issue 8 measured (43 before)", f"{posts}"))
        rows.append(("POST /v1/responses, a whole default run (with the API-surface families)", f"{posts_all}"))
        with SlowProxy(srv.port, stall_posts=3) as stalled:
            code, wall, report = cli("--base-url", stalled.base_url(), *target, "--request-timeout", "5")
        summary = (report or {}).get("summary", {})
        rows.append(("first 3 POSTs stalled, --request-timeout 5",
                     f"{summary.get('ERROR')} ERROR, {summary.get('FAIL')} FAIL, {wall:.1f} s, exit {code}"))
        with SlowProxy(srv.port, delay_s=DELAY_S) as slowish, tempfile.TemporaryDirectory() as d:
            proc = subprocess.Popen([sys.executable, "-m", "conformance", "run", "-q", "--report-dir", d,
                                     "--base-url", slowish.base_url(), *target],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(5)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
            ended = time.monotonic() - t0
            try:
                data = json.loads(Path(d, "report.json").read_text())
                valid = f"valid report.json, complete={data['complete']}, {len(data['results'])} results"
            except (OSError, ValueError, KeyError) as exc:
                valid = f"no valid report.json ({exc})"
        rows.append((f"SIGTERM 5 s into a run ({DELAY_S:g} s per response)", f"exit {code} {ended:.1f} s after the signal; {valid}"))
    code, wall, report = cli("--base-url", f"http://127.0.0.1:{closed_port()}/v1")
    rows.append(("unreachable endpoint (closed port)",
                 f"{wall:.1f} s, {len((report or {}).get('results', []))} result(s), exit {code}"))
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
