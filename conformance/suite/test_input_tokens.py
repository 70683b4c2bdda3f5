"""Input token counting: POST /v1/responses/input_tokens for a string and a message input; a larger input counts more.

One item per (scenario, check) pair of the `input_tokens` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "input_tokens"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
