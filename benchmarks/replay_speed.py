"""Replay throughput on the shared OpenAI recordings: SSE parsing alone, then every registered check.

    python benchmarks/replay_speed.py DIR          # a folder of recordings (docs/recordings.md)

A benchmark, not a test: it prints numbers measured in one run on this machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from conformance.exchange import Transcript
from conformance.judge import judge_all
from conformance.recordings import iter_paths, load_file
from conformance.registry import all_checks
from conformance.sse import parse_stream


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    exchanges = [load_file(p) for p in iter_paths([str(root)])]
    texts = [ex.response.sse for ex in exchanges if ex.response.sse]
    size = sum(len(t) for t in texts)
    best = min(_time(lambda: [parse_stream(t) for t in texts]) for _ in range(3))
    print(f"SSE parsing: {len(texts)} streams, {size / 1e6:.1f} MB in {best:.3f} s = {size / 1e6 / best:.1f} MB/s")
    checks = all_checks()
    t0 = time.perf_counter()
    results = judge_all(checks, [Transcript(str(i), [ex]) for i, ex in enumerate(exchanges)])
    took = time.perf_counter() - t0
    events = sum(len(ex.stream.events) for ex in exchanges if ex.stream is not None)
    print(f"judging with {len(checks)} checks: {len(exchanges)} exchanges, {events} events, {len(results)} results "
          f"in {took:.2f} s = {len(exchanges) / took:.0f} exchanges/s, {events / took:.0f} events/s")
    return 0


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
