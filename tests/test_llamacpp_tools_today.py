"""The tools of today (custom_tools, tool_use, parameters, structured_outputs) against llama.cpp's real server
(xllamacpp wheel, SmolLM2-135M): the verdicts it really gets, frozen (docs/llamacpp.md rows 22-24 and "Matches
OpenAI"; docs/api-surface.md). When this fails, llama.cpp or a check changed: decide which, and update the
sets and the docs together. Model-dependent checks are frozen only as "judged, not ERROR".

Its own server, one scenario at a time: JSON answers of a one-slot server arrive only after everything queued
before them, so running these beside test_llamacpp_surface.py's families would time both out on a busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance.live.llamacpp import LlamaCppServer, tool_aware_template, unavailable_reason
from conformance.live.runner import run_suite, select_scenarios
from conformance.live.target import Target
from conformance.registry import get
from conformance.verdicts import Result, Verdict

_REASON = unavailable_reason()
pytestmark = [
    pytest.mark.llamacpp,
    pytest.mark.slow,
    pytest.mark.skipif(_REASON is not None, reason=f"llama.cpp server unavailable: {_REASON}"),
]

TOOLS_OF_TODAY = ("custom_tools", "tool_use", "parameters", "structured_outputs")
SCENARIOS = [s.id for s in select_scenarios() if s.family in TOOLS_OF_TODAY]
U, P, F, S = Verdict.UNSUPPORTED, Verdict.PASS, Verdict.FAIL, Verdict.SKIP

EXPECTED: dict[str, tuple[Verdict, str]] = {
    "custom_tools.call": (F, "a custom tool is silently dropped: 200 with a text answer, no custom_tool_call"),
    "custom_tools.input-events": (S, "no custom_tool_call to read"),
    "custom_tools.allowed-tools": (F, "tool_choice allowed_tools is ignored (as a named tool_choice is): no call "
                                      "to get_time"),
    "tool_use.output-array-accepted": (P, "a content-array output is accepted and its text reaches the prompt "
                                          "(input_tokens equal to the string form's)"),
    "tool_use.max-tool-calls-echoed": (F, "max_tool_calls is not in the Response"),
    "tool_use.chain-accepted": (U, "previous_response_id is refused with 400"),
    "parameters.accepted": (P, "temperature, top_p, truncation, cache and safety identifiers, user and "
                               "service_tier are accepted"),
    "parameters.sampling-echoed": (F, "temperature and top_p are not in the Response"),
    "parameters.truncation-echoed": (F, "truncation is not in the Response"),
    "parameters.identifiers-echoed": (F, "prompt_cache_key and the other identifiers are not in the Response"),
    "parameters.service-tier-echoed": (F, "service_tier is not in the Response"),
    "parameters.logprobs": (U, "400 'top_logprobs requires logprobs to be set to true'"),
    "parameters.no-obfuscation": (P, "no event ever carries obfuscation"),
    "parameters.phase-accepted": (P, "typed assistant messages carrying phase are accepted"),
    "parameters.phase-well-formed": (P, "output messages carry no phase"),
}
MODEL_DEPENDENT = {"tool_use.output-array-recall", "tool_use.chain-recall", "structured_outputs.breadth-valid"}

# Other checks that FAIL/WARN on this traffic: llama.cpp's known deviations (docs/llamacpp.md), nothing new.
EXPECTED_OTHER_PROBLEMS = {
    "errors.envelope": F, "errors.code-string": Verdict.WARN,  # rows 17: int code, no param
    "schema.response": F, "schema.stream-events": F, "schema.response-fields-complete": Verdict.WARN,  # 3, 16
    "schema.parameters-echoed": Verdict.WARN, "stream.response-fields-stable": Verdict.WARN,  # 3, 16
    "stream.sequence-number": F, "stream.output-index-sequential": F, "framing.stream-charset": Verdict.WARN,  # 1-6
    "schema.text-format-echo": F,  # row 10: text.format ignored
}


@dataclass
class ToolsRun:
    results: list[Result]
    wall_s: float


@pytest.fixture(scope="module")
def run() -> Iterator[ToolsRun]:
    with LlamaCppServer(chat_template=tool_aware_template(), threads=1) as srv:
        target = Target(name="llama.cpp", base_url=srv.base_url, request_timeout_s=60.0)
        t0 = time.monotonic()
        finished = run_suite(target, SCENARIOS, concurrency=1)
        yield ToolsRun(finished.results, time.monotonic() - t0)


def _family(r: Result) -> bool:
    return r.check_id.split(".", 1)[0] in TOOLS_OF_TODAY


def test_expected_sets_are_consistent() -> None:
    for check_id in [*EXPECTED, *MODEL_DEPENDENT]:
        assert get(check_id).model_dependent == (check_id in MODEL_DEPENDENT), check_id


def test_family_verdicts_are_pinned(run: ToolsRun) -> None:
    got = {r.check_id: r.verdict for r in run.results if _family(r) and r.check_id not in MODEL_DEPENDENT}
    want = {check_id: verdict for check_id, (verdict, _) in EXPECTED.items()}
    diff = {c: (want.get(c), got.get(c), next((r.message for r in run.results if r.check_id == c), ""))
            for c in set(got) | set(want) if got.get(c) != want.get(c)}
    assert not diff, diff


def test_model_dependent_checks_are_judged(run: ToolsRun) -> None:
    judged = {r.check_id: r.verdict for r in run.results if r.check_id in MODEL_DEPENDENT}
    assert set(judged) == MODEL_DEPENDENT
    assert Verdict.ERROR not in judged.values(), judged


def test_only_known_deviations_elsewhere(run: ToolsRun) -> None:
    other = {r.check_id: r.verdict for r in run.results
             if not _family(r) and r.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.ERROR)}
    assert other == EXPECTED_OTHER_PROBLEMS, {r.check_id: r.message for r in run.results if r.check_id in other}


def test_the_run_is_bounded(run: ToolsRun) -> None:
    assert run.wall_s < 180, run.wall_s  # 15-25 s on a quiet machine, 110 s at a load average of 30
