"""Basic creation: a string input, system and developer messages, and `instructions`, each carrying a code word only a
working feature can bring to the model.

One item per (scenario, check) pair of the `basic` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "basic"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
