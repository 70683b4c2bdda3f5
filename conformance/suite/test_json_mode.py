"""Structured output: `text.format` json_schema (strict) and json_object honoured, and invalid formats refused.

One item per (scenario, check) pair of the `json_mode` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "json_mode"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
