"""Tools of today: a custom (free-form) tool forced by tool_choice, its input events; tool_choice allowed_tools.

One item per (scenario, check) pair of the `custom_tools` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "custom_tools"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
