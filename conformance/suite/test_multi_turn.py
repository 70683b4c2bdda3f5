"""Multi-turn conversations: `previous_response_id`, the history sent back by hand, instructions that must not carry
over, and a continuation of a response that was never stored.

One item per (scenario, check) pair of the `multi_turn` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "multi_turn"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
