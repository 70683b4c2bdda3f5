"""Background mode: queued then polled to completion, cancel (and a foreground cancel refused), and a stream resumed
after a sequence number.

One item per (scenario, check) pair of the `background` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "background"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
