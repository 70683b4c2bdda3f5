"""Conversations: responses created with `conversation`, its items listed in order, `conversation` with
`previous_response_id` refused, the conversation deleted.

One item per (scenario, check) pair of the `conversations` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "conversations"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
