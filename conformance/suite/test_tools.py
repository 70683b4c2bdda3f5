"""Function calling: `tool_choice` named, required, none and auto; parallel calls allowed and forbidden; streamed
arguments; a call's output sent back; tools in the chat-completions shape refused.

One item per (scenario, check) pair of the `tools` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "tools"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
