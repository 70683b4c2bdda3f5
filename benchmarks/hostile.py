"""Measure the suite against every hostile behaviour of tests/hostile_server.py: wall time, exit status, peak RSS
of the child, report size, and whether each property held (valid report, no key, no stray path, no cookie, no
traceback). `python -m benchmarks.hostile --write` regenerates the table in docs/hostile.md.

The settings are tests/hostile_run.py's: --request-timeout 2, --idle-timeout 1, a few scenarios per area.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile_run import AREA_SCENARIOS, IDLE_TIMEOUT_S, REQUEST_TIMEOUT_S, Outcome, run  # noqa: E402
from tests.hostile_server import BEHAVIOURS  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "hostile.md"
BEGIN, END = "<!-- hostile-table:begin -->", "<!-- hostile-table:end -->"


def held(o: Outcome) -> str:
    problems = [p for p, bad in [
        ("exit", o.exit_status not in (0, 1, 3)), ("traceback", o.traceback), ("invalid report", not o.report_valid),
        ("key leaked", bool(o.leaks)), ("stray request", bool(o.stray)), ("cookie", o.cookies > 0),
    ] if bad]
    return "held" if not problems else "NOT HELD: " + ", ".join(problems)


def table(outcomes: list[Outcome]) -> str:
    rows = ["| behaviour | area | what the endpoint does | wall s | exit | peak RSS MB | report KB | requests | "
            "result |", "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for o in outcomes:
        b = BEHAVIOURS[o.name]
        rows.append(f"| `{o.name}` | {b.area} | {b.description} | {o.wall_s:.1f} | {o.exit_status} | "
                    f"{o.peak_rss_mb:.0f} | {o.report_bytes / 1024:.0f} | {o.requests} | {held(o)} |")
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="regenerate the table in docs/hostile.md")
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("names", nargs="*", help="behaviours to run (default: all)")
    args = p.parse_args()
    names = args.names or list(BEHAVIOURS)
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        outcomes = list(pool.map(run, names))
    total = time.monotonic() - t0
    text = table(outcomes)
    print(text)
    summary = (f"\n{len(outcomes)} behaviours, {sum(held(o) == 'held' for o in outcomes)} held; "
               f"{total:.0f} s wall with {args.workers} runs at a time on {os.cpu_count()} CPUs; slowest "
               f"{max(o.wall_s for o in outcomes):.1f} s, largest peak RSS {max(o.peak_rss_mb for o in outcomes):.0f} MB. "
               f"Settings: --request-timeout {REQUEST_TIMEOUT_S:g} --idle-timeout {IDLE_TIMEOUT_S:g}; scenarios by "
               f"area: {'; '.join(f'{a}: ' + ', '.join(s) for a, s in AREA_SCENARIOS.items())}.")
    print(summary)
    if args.write:
        doc = DOC.read_text()
        start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:start] + "\n" + text + "\n" + summary.strip() + "\n" + doc[end:])
    return 0 if all(held(o) == "held" for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
