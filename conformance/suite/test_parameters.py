"""Parameters and fields: sampling, truncation, identifiers and service_tier echoed; logprobs; no obfuscation on
request; message phase.

One item per (scenario, check) pair of the `parameters` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "parameters"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
