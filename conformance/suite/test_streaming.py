"""Streaming: `stream: true` answered with an event stream that follows the Responses stream grammar and frames every
event as OpenAI does.

One item per (scenario, check) pair of the `streaming` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "streaming"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
