"""Structured outputs in breadth: one strict json_schema with enum, nested objects, arrays of objects, anyOf,
$defs/$ref and a nullable field.

One item per (scenario, check) pair of the `structured_outputs` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "structured_outputs"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
