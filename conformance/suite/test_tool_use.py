"""Function-call round trips: an output given as a content array, max_tool_calls echoed, a stored round trip
continued with previous_response_id.

One item per (scenario, check) pair of the `tool_use` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "tool_use"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
