"""Compaction: POST /v1/responses/compact on a short conversation; the result has the SDK's shape and works as the
input of the next create.

One item per (scenario, check) pair of the `compact` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "compact"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
