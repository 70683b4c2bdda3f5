"""Concurrency: several small requests at once, streamed and not, each answered with its own valid Response and no
cross-talk.

One item per (scenario, check) pair of the `concurrency` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "concurrency"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
