"""The API-surface families (websocket, compact, input_tokens, conversations, inputs, concurrency, reasoning) against
llama.cpp's real server (xllamacpp wheel, SmolLM2-135M): what it supports, what it refuses, and how.

One server, only these families' scenarios (about 6 s of traffic). The verdicts are frozen on purpose: each is
what llama.cpp did when measured (docs/api-surface.md, "llama.cpp"). When this fails, llama.cpp or a check
changed: decide which, and update the sets and the doc together. Model-dependent checks are not frozen beyond
"not ERROR" (a 135M model may or may not repeat a code word).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance.live.llamacpp import LlamaCppServer, tool_aware_template, unavailable_reason
from conformance.live.runner import run_and_judge, select_scenarios
from conformance.live.scenario import SURFACE_FAMILIES
from conformance.live.target import Target
from conformance.registry import get
from conformance.verdicts import Result, Verdict
from tests.test_llamacpp_tools_today import TOOLS_OF_TODAY

_REASON = unavailable_reason()
pytestmark = [
    pytest.mark.llamacpp,
    pytest.mark.slow,
    pytest.mark.skipif(_REASON is not None, reason=f"llama.cpp server unavailable: {_REASON}"),
]

FAMILIES = tuple(f for f in SURFACE_FAMILIES if f not in TOOLS_OF_TODAY)  # those have their own server and test
SCENARIOS = [s.id for s in select_scenarios() if s.family in FAMILIES]
U, P, F, S = Verdict.UNSUPPORTED, Verdict.PASS, Verdict.FAIL, Verdict.SKIP

# check -> (verdict, why). Protocol checks of the six families; model-dependent ones are listed in MODEL_DEPENDENT.
EXPECTED: dict[str, tuple[Verdict, str]] = {
    "websocket.upgrade": (U, "GET /v1/responses with an Upgrade header is answered 404: no WebSocket mode"),
    "websocket.turn-answered": (U, "no socket (refused upgrade)"),
    "websocket.chained-turn": (U, "no socket (refused upgrade)"),
    "websocket.error-event": (U, "no socket (refused upgrade)"),
    "websocket.open-after-error": (U, "no socket (refused upgrade)"),
    "websocket.previous-not-found": (U, "no socket (refused upgrade)"),
    "websocket.open-after-not-found": (U, "no socket (refused upgrade)"),
    "websocket.unstored-chained": (U, "no socket (refused upgrade)"),
    "websocket.unstored-socket-local": (U, "no socket (refused upgrade)"),
    "websocket.failed-evicts": (U, "no socket (refused upgrade)"),
    "websocket.compact-new-chain": (U, "no socket (refused upgrade)"),
    "compact.shape": (U, "POST /v1/responses/compact is 404"),
    "compact.output-layout": (S, "nothing compacted"),
    "compact.output-reusable": (S, "nothing compacted"),
    "input_tokens.shape": (P, "POST /v1/responses/input_tokens answers {input_tokens, object}"),
    "input_tokens.grows-with-input": (P, "17 tokens for the short string, 409 for the larger one"),
    "conversations.object": (U, "POST /v1/conversations is 404"),
    "conversations.items-in-order": (U, "no Conversations API"),
    "conversations.response-names-conversation": (U, "no Conversations API"),
    "conversations.exclusive-with-previous": (U, "no Conversations API"),
    "conversations.deleted": (U, "no Conversations API"),
    "inputs.image-answered": (F, "input_image is answered with HTTP 500 ('image input is not supported', no "
                                 "mmproj) instead of a 4xx"),
    "inputs.file-answered": (U, "input_file is refused with 400 ('not supported by llamacpp')"),
    "concurrency.all-answered": (P, "six requests at once (one slot: queued) are all answered"),
    "concurrency.no-cross-talk": (P, "each answer echoes its own metadata; no foreign code word, no stray call"),
    # SmolLM2 does not reason: `reasoning` and `include` are accepted, the answer holds no reasoning item, and the
    # multi-turn reasoning scenarios send nothing more. Not a deviation (docs/rules.md#reasoning).
    "reasoning.item-shape": (U, "no reasoning item: the model does not reason"),
    "reasoning.echoed": (U, "no reasoning item: the model does not reason"),
    "reasoning.reasoning-tokens": (U, "no reasoning item: the model does not reason"),
    "reasoning.encrypted-content": (U, "no reasoning item: the model does not reason"),
    "reasoning.items-accepted": (U, "no reasoning item, so none to pass back"),
}
MODEL_DEPENDENT = {"websocket.chained-recall", "websocket.unstored-recall", "conversations.context-carried",
                   "inputs.file-read", "concurrency.own-code-word", "reasoning.previous-response-recall"}

# Other checks that FAIL/WARN on these scenarios' traffic: llama.cpp's known stream/schema/error deviations
# (docs/llamacpp.md), seen here on the concurrency streams and the 4xx/5xx error bodies. Nothing new.
EXPECTED_OTHER_PROBLEMS = {
    "errors.envelope": F, "errors.code-string": Verdict.WARN, "schema.response": F, "schema.stream-events": F,
    "schema.response-fields-complete": Verdict.WARN, "stream.sequence-number": F,
    "stream.output-index-sequential": F, "framing.stream-charset": Verdict.WARN,
    # docs/llamacpp.md: Responses without max_output_tokens & co. to echo; created/in_progress carry only
    # {id, object, status} while the terminal event carries the whole Response.
    "schema.parameters-echoed": Verdict.WARN, "stream.response-fields-stable": Verdict.WARN,
}


@dataclass
class SurfaceRun:
    results: list[Result]
    wall_s: float


@pytest.fixture(scope="module")
def run() -> Iterator[SurfaceRun]:
    with LlamaCppServer(chat_template=tool_aware_template(), threads=1) as srv:
        target = Target(name="llama.cpp", base_url=srv.base_url, request_timeout_s=60.0)
        t0 = time.monotonic()
        results, _ = run_and_judge(target, SCENARIOS)
        yield SurfaceRun(results, time.monotonic() - t0)


def _family(r: Result) -> bool:
    return r.check_id.split(".", 1)[0] in FAMILIES


def test_expected_sets_are_consistent() -> None:
    for check_id in [*EXPECTED, *MODEL_DEPENDENT]:
        assert get(check_id).model_dependent == (check_id in MODEL_DEPENDENT), check_id


def test_family_verdicts_are_pinned(run: SurfaceRun) -> None:
    got = {r.check_id: r.verdict for r in run.results if _family(r) and r.check_id not in MODEL_DEPENDENT}
    want = {check_id: verdict for check_id, (verdict, _) in EXPECTED.items()}
    diff = {c: (want.get(c), got.get(c), next((r.message for r in run.results if r.check_id == c), ""))
            for c in set(got) | set(want) if got.get(c) != want.get(c)}
    assert not diff, diff


def test_model_dependent_checks_are_judged(run: SurfaceRun) -> None:
    judged = {r.check_id: r.verdict for r in run.results if r.check_id in MODEL_DEPENDENT}
    assert set(judged) == MODEL_DEPENDENT
    assert Verdict.ERROR not in judged.values(), judged


def test_only_known_deviations_elsewhere(run: SurfaceRun) -> None:
    other = {r.check_id: r.verdict for r in run.results
             if not _family(r) and r.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.ERROR)}
    assert other == EXPECTED_OTHER_PROBLEMS, {r.check_id: r.message for r in run.results if r.check_id in other}


def test_the_run_is_quick(run: SurfaceRun) -> None:
    assert run.wall_s < 60, run.wall_s
