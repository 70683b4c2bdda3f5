"""Checker throughput and memory on generated streams, and replay speed on the real corpus.

    python benchmarks/checker.py throughput [EVENTS]            # default 100000
    python benchmarks/checker.py memory [EVENTS ...]            # default 10000 100000 1000000
    python benchmarks/checker.py corpus DIR                     # a folder of recordings (docs/recordings.md)

throughput: events/s of every registered check judging a generated recording (benchmarks/generate.py,
read piece by piece as `replay` reads it) against a plain `json.loads` loop over the same `data:` lines,
both in CPU seconds of this process (the machine is shared, so wall time is noisy); best of 3.
memory: peak RSS of a fresh process judging a generated recording of each size.
corpus: events/s of `replay`'s judging over a directory of recordings (CPU seconds, best of 3).
A benchmark, not a test: it prints what it measured on this machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import write  # noqa: E402

from conformance.incremental import judge_recording  # noqa: E402
from conformance.registry import all_checks  # noqa: E402
from conformance.replay import judge_paths  # noqa: E402


def _cpu(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def throughput(events: int) -> None:
    checks = all_checks()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.json"
        write(events, path)
        sse = json.loads(path.read_text(encoding="utf-8"))["response"]["sse"]
        data = [line[6:] for line in sse.split("\n") if line.startswith("data: ")]
        del sse
        verdicts: set[str] = set()
        count = 0

        def judge() -> None:
            nonlocal count
            results, count, _ = judge_recording(path, "generated", checks)
            verdicts.update(r.verdict.value for r in results)

        base = min(_cpu(lambda: [json.loads(d) for d in data]) for _ in range(3))
        took = min(_cpu(judge) for _ in range(3))
    loads_rate, rate = len(data) / base, count / took
    print(f"{count} events: json.loads {loads_rate:,.0f} events/s; checker ({len(checks)} checks) {rate:,.0f} "
          f"events/s = {rate / loads_rate:.2f} x json.loads; verdicts: {sorted(verdicts)}")


_CHILD = """
import resource, sys
from conformance.incremental import judge_recording
from conformance.registry import all_checks
results, events, _ = judge_recording(sys.argv[1], "generated", all_checks())
bad = sorted({r.check_id for r in results if r.verdict.value != "PASS"})
print(events, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, ",".join(bad) or "all PASS")
"""


def memory(sizes: list[int]) -> None:
    peaks: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"stream-{n}.json"
            write(n, path)
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                                 check=True, timeout=3600).stdout.split()
            events, peak_kb, verdicts = int(out[0]), int(out[1]), " ".join(out[2:])
            peaks[n] = peak_kb
            size_mb = path.stat().st_size / 1e6
            path.unlink()
            print(f"{events:>9} events ({size_mb:7.1f} MB recording): peak RSS {peak_kb / 1024:7.1f} MiB; {verdicts}")
    sizes = sorted(peaks)
    for small, large in zip(sizes, sizes[1:]):
        print(f"peak at {large} events / peak at {small}: {peaks[large] / peaks[small]:.2f}")


def corpus(root: Path) -> None:
    found: dict[str, int] = {}

    def run() -> None:
        results, seen = judge_paths([str(root)])
        found.update(exchanges=seen.exchanges, events=seen.events, results=len(results))

    took = min(_cpu(run) for _ in range(3))
    print(f"{root}: {found['exchanges']} exchanges, {found['events']} events, {found['results']} results in "
          f"{took:.2f} CPU s = {found['events'] / took:,.0f} events/s, {found['exchanges'] / took:,.0f} exchanges/s")


def main(argv: list[str]) -> int:
    what, args = (argv[0], argv[1:]) if argv else ("throughput", [])
    if what == "throughput":
        throughput(int(args[0]) if args else 100_000)
    elif what == "memory":
        memory([int(a) for a in args] or [10_000, 100_000, 1_000_000])
    elif what == "corpus" and args:
        corpus(Path(args[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
