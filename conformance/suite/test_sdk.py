"""SDK tier: the openai-python client's create, stream and parse against the endpoint, which must not make it raise.

One item per (scenario, check) pair of the `sdk` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "sdk"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
