"""Limits: `max_output_tokens` cutting an answer short, plain and streamed, reported as incomplete.

One item per (scenario, check) pair of the `limits` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "limits"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
