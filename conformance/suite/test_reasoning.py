"""Reasoning: `reasoning: {effort, summary}` plain and streamed, reasoning items passed back statelessly with
their encrypted content, previous_response_id after a reasoning turn, a function call after reasoning.

One item per (scenario, check) pair of the `reasoning` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "reasoning"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
