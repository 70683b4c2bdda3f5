"""The suite against a hostile endpoint (tests/hostile_server.py): whatever the endpoint sends, the run ends within
its bounds, writes a valid report, never leaks the key, never sends a request outside the API's paths, never
sends a cookie back, never prints a traceback, and stays within bounded memory.

Each behaviour runs the CLI in a child process (so its exit status, output and peak RSS are its own); the runs
share a small pool. The assertions are properties, not result counts: they hold however the run engine
schedules, preflights or accounts for the exchanges.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.hostile_run import Outcome, run
from tests.hostile_server import BEHAVIOURS

pytestmark = [pytest.mark.slow]

# Bounds. The run sends at most ~15 exchanges, each bounded by the request timeout (the rate-limit behaviours by
# the retry budget, 30 s of pauses at most); the rest is the child's start-up on a shared, loaded machine.
MAX_WALL_S = 75.0
MAX_RSS_MB = 600.0  # the child starts around 90 MB; a body may be 8 MiB at most, a stream 20,000 events
MAX_REPORT_BYTES = 8 * 1024 * 1024
EXIT_OK = {0, 1, 3}  # 3: the endpoint could not be tested (preflight)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(BEHAVIOURS, pool.map(run, BEHAVIOURS)))


def test_enough_behaviours() -> None:
    assert len(BEHAVIOURS) >= 40
    areas = {b.area for b in BEHAVIOURS.values()}
    assert {"transport", "http", "sse", "json", "size", "ids", "headers", "rate-limit", "redirect", "cookies",
            "key-echo"} <= areas


@pytest.mark.parametrize("name", list(BEHAVIOURS))
def test_hostile_endpoint_is_held(name: str, outcomes: dict[str, Outcome]) -> None:
    o = outcomes[name]
    assert o.exit_status in EXIT_OK, f"{name}: exit status {o.exit_status} (None: killed after a hang)"
    assert o.wall_s < MAX_WALL_S, f"{name}: the run took {o.wall_s:.1f}s"
    assert not o.traceback, f"{name}: a traceback was printed"
    assert o.report_valid, f"{name}: report.json is missing or not valid JSON"
    assert o.report_bytes < MAX_REPORT_BYTES, f"{name}: report.json is {o.report_bytes} bytes"
    assert not o.leaks, f"{name}: the key (or part of it) appeared in {o.leaks}"
    assert not o.stray, f"{name}: requests outside the API's paths: {o.stray}"
    assert o.cookies == 0, f"{name}: {o.cookies} requests sent a cookie back"
    assert o.peak_rss_mb < MAX_RSS_MB, f"{name}: peak RSS {o.peak_rss_mb:.0f} MB"


def test_every_behaviour_was_met(outcomes: dict[str, Outcome]) -> None:
    """The runs reached the endpoint: a behaviour no request met would prove nothing."""
    assert all(o.requests >= 1 for o in outcomes.values()), [n for n, o in outcomes.items() if o.requests < 1]

