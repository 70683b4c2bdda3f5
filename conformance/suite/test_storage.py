"""Stored responses: retrieve, input_items (order and pagination), delete, and `store` honoured.

One item per (scenario, check) pair of the `storage` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "storage"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
