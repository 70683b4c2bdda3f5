"""Image and file input: a tiny generated PNG and a tiny PDF sent as input; answered, or refused cleanly (UNSUPPORTED),
never a 5xx.

One item per (scenario, check) pair of the `inputs` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "inputs"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
