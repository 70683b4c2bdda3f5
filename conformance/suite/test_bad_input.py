"""Errors and bad input: an unknown model, wrongly typed fields and an unknown previous response, each refused with the
status and error envelope OpenAI uses.

One item per (scenario, check) pair of the `bad_input` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "bad_input"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
