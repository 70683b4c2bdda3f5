"""The async SDK tier (AsyncOpenAI) against llama.cpp's real server (xllamacpp wheel, SmolLM2-135M).

One server, only the async_sdk family's scenarios. The verdicts are frozen on purpose: each is what llama.cpp did
when measured (docs/llamacpp.md, "The async SDK tier"). When this fails, llama.cpp or a check changed: decide
which, and update the sets and the doc together. The model-dependent check is not frozen beyond "not ERROR".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance.live.llamacpp import LlamaCppServer, tool_aware_template, unavailable_reason
from conformance.live.runner import run_and_judge, select_scenarios
from conformance.live.target import Target
from conformance.registry import get
from conformance.verdicts import Result, Verdict

_REASON = unavailable_reason()
pytestmark = [
    pytest.mark.llamacpp,
    pytest.mark.slow,
    pytest.mark.skipif(_REASON is not None, reason=f"llama.cpp server unavailable: {_REASON}"),
]

SCENARIOS = [s.id for s in select_scenarios() if s.family == "async_sdk"]
U, P, F = Verdict.UNSUPPORTED, Verdict.PASS, Verdict.FAIL
W = Verdict.WARN

# check -> (verdict, why), for the checks that judge the family's own rules (async_sdk.*, and the sync tier's
# sdk.* checks on the async create, stream and parse).
EXPECTED: dict[str, tuple[Verdict, str]] = {
    "sdk.create-ok": (P, "await client.responses.create returns a Response"),
    "sdk.stream-final-response": (F, "the stream helper's accumulator indexes by output_index, which "
                                     "output_item.added lacks: TypeError, as in the sync tier (#2)"),
    "sdk.parse-output-parsed": (F, "text.format is ignored, so responses.parse() gets prose (#10)"),
    "async_sdk.create-stream-terminal": (P, "create(stream=True) read with async for ends with response.completed"),
    "async_sdk.retrieve-matches": (U, "GET /responses/{id}: 404 File Not Found"),
    "async_sdk.parallel-own-terminal": (P, "four streams at once (one slot: queued) each end with their own "
                                           "response.completed and no other stream's code word"),
    "async_sdk.keepalive-reuse": (P, "four creates on one pooled client, retries off, all answered"),
    "async_sdk.abandoned-stream-harmless": (P, "the create after a stream left at its first delta is answered"),
}
MODEL_DEPENDENT = {"async_sdk.parallel-own-code-word"}

# Other checks that FAIL/WARN on this traffic: llama.cpp's known stream/schema/error deviations (docs/llamacpp.md).
EXPECTED_OTHER_PROBLEMS = {
    "errors.envelope": F, "errors.code-string": W, "schema.response": F, "schema.stream-events": F,
    "schema.response-fields-complete": W, "schema.parameters-echoed": W, "schema.text-format-echo": F,
    "stream.sequence-number": F, "stream.output-index-sequential": F, "stream.response-fields-stable": W,
    "framing.stream-charset": W,
}


@dataclass
class AsyncRun:
    results: list[Result]
    wall_s: float


@pytest.fixture(scope="module")
def run() -> Iterator[AsyncRun]:
    with LlamaCppServer(chat_template=tool_aware_template(), threads=1) as srv:
        target = Target(name="llama.cpp", base_url=srv.base_url, request_timeout_s=60.0)
        t0 = time.monotonic()
        results, _ = run_and_judge(target, SCENARIOS)
        yield AsyncRun(results, time.monotonic() - t0)


def _own(r: Result) -> bool:
    return r.check_id in EXPECTED or r.check_id in MODEL_DEPENDENT


def test_expected_sets_are_consistent() -> None:
    for check_id in [*EXPECTED, *MODEL_DEPENDENT]:
        assert get(check_id).model_dependent == (check_id in MODEL_DEPENDENT), check_id
    assert {c for c in EXPECTED if c.startswith("async_sdk.")} | MODEL_DEPENDENT == {
        c.id for sc in SCENARIOS for c in _family_checks(sc)}


def _family_checks(scenario: str) -> list:
    from conformance.registry import all_checks

    return [c for c in all_checks() if c.area == "async_sdk" and scenario in c.scenarios]


def test_family_verdicts_are_pinned(run: AsyncRun) -> None:
    got = {r.check_id: r.verdict for r in run.results if r.check_id in EXPECTED
           and r.scenario.startswith("async_sdk.")}
    want = {check_id: verdict for check_id, (verdict, _) in EXPECTED.items()}
    diff = {c: (want.get(c), got.get(c), next((r.message for r in run.results if r.check_id == c), ""))
            for c in set(got) | set(want) if got.get(c) != want.get(c)}
    assert not diff, diff


def test_model_dependent_check_is_judged(run: AsyncRun) -> None:
    judged = {r.check_id: r.verdict for r in run.results if r.check_id in MODEL_DEPENDENT}
    assert set(judged) == MODEL_DEPENDENT
    assert Verdict.ERROR not in judged.values(), judged


def test_only_known_deviations_elsewhere(run: AsyncRun) -> None:
    other = {r.check_id: r.verdict for r in run.results
             if not _own(r) and r.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.ERROR)}
    assert other == EXPECTED_OTHER_PROBLEMS, {r.check_id: r.message for r in run.results if r.check_id in other}


def test_the_run_is_quick(run: AsyncRun) -> None:
    assert run.wall_s < 90, run.wall_s
