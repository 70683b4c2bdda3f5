"""Every (scenario, check) pair is one test item, id `<scenario>::<check>`, marked with the check's area and
level, so `-k`, `-m must`, xdist and `--junitxml` work as usual. Each scenario runs once per session."""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    scenario, check = rc_pair
    evaluate(rc_run, scenario, check)
