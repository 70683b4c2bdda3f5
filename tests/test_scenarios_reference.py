"""The scenarios against the embedded reference server: every behaviour check PASSes on the clean server, and
hand-picked faults (real-world deviations, docs/rules.md#known-deviations) make the check that guards them fail. The full kill
matrix over every fault is the integrator's test."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from conformance.exchange import Transcript
from conformance.judge import judge, judge_trials
from conformance.live.runner import run_scenarios
from conformance.live.scenario import SURFACE_FAMILIES, all_scenarios
from conformance.live.target import Target
from conformance.reference.server import ReferenceServer
from conformance.registry import Check, all_checks, get
from conformance.verdicts import Verdict

# Slow enough that a background response is still running when the cancel arrives; fast enough that the
# whole set runs in a few seconds.
TOKEN_DELAY = 0.005


def behaviour_checks() -> list[Check]:
    """The transcript checks of the families that came before the API surface (SURFACE_FAMILIES)."""
    return [c for c in all_checks() if c.scope == "transcript" and c.area not in (*SURFACE_FAMILIES, "run")]


def run(srv: ReferenceServer, ids: list[str] | None = None, trials: int = 1) -> list[Transcript]:
    return run_scenarios(Target(name="reference", base_url=srv.base_url, model=srv.model, trials=trials), ids)


@pytest.fixture(scope="module")
def clean_transcripts() -> Iterator[list[Transcript]]:
    with ReferenceServer(token_delay=TOKEN_DELAY) as srv:
        yield run(srv)


def test_every_scenario_runs_without_error(clean_transcripts: list[Transcript]) -> None:
    assert {t.scenario for t in clean_transcripts} == {s.id for s in all_scenarios()}
    assert [t.scenario for t in clean_transcripts if t.error] == []


def test_every_behaviour_check_passes_on_the_clean_reference(clean_transcripts: list[Transcript]) -> None:
    judged: set[str] = set()
    bad = []
    for t in clean_transcripts:
        for check in behaviour_checks():
            r = judge(check, t)
            if r is None:
                continue
            judged.add(check.id)
            if r.verdict is not Verdict.PASS:
                bad.append(f"{r.verdict.value} {check.id} [{t.scenario}]: {r.message}")
    assert bad == []
    assert judged == {c.id for c in behaviour_checks()}


def test_docs_name_every_scenario_and_behaviour_check() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    missing = [i for i in [s.id for s in all_scenarios()] + [c.id for c in behaviour_checks()] if f"`{i}`" not in text]
    assert missing == []


def test_sdk_traffic_is_recorded(clean_transcripts: list[Transcript]) -> None:
    by_id = {t.scenario: t for t in clean_transcripts}
    create = by_id["sdk.create"]
    assert create.params["sdk"]["ok"] is True
    ex = create.step("create")
    assert ex is not None and ex.status == 200 and ex.request.body["input"] == "Say hello."
    assert ex.response.body["object"] == "response"
    stream = by_id["sdk.stream"].step("stream")
    assert stream is not None and stream.is_stream and stream.stream.typed()[-1].type == "response.completed"
    assert set(by_id["sdk.parse"].params["sdk"]["parsed"]) == {"color", "daytime"}


def test_code_word_batches_share_instructions_with_no_other_scenario(clean_transcripts: list[Transcript]) -> None:
    """Faults of prompt-prefix batching act on creates with equal instructions in flight at once. A scenario's
    baseline sent alone must not meet another scenario's batch, whichever runs beside it (in CI it did: the
    baseline came back with another request's code word and concurrency.own-code-word could only SKIP)."""
    owners: dict[str, set[str]] = {}
    for t in clean_transcripts:
        for ex in t.exchanges:
            instructions = ex.request.body.get("instructions") if isinstance(ex.request.body, dict) else None
            if isinstance(instructions, str) and "code word" in instructions:
                owners.setdefault(instructions, set()).add(t.scenario)
    batches = {s for scenarios in owners.values() for s in scenarios}
    assert {"concurrency.parallel", "async_sdk.parallel"} <= batches, owners
    assert {i: s for i, s in owners.items() if len(s) > 1} == {}
    assert sum(1 for s in owners.values() if "concurrency.parallel" in s) == 1  # one batch: alone and at once


def test_model_dependent_scenarios_run_k_trials() -> None:
    with ReferenceServer() as srv:
        trials = run(srv, ["basic.instructions"], trials=2)
    assert [t.trial for t in trials] == [0, 1]
    result = judge_trials(get("basic.instructions-reach-model"), trials)
    assert result is not None and result.verdict is Verdict.PASS


# fault -> (scenarios to run, check, verdict). Each fault reproduces a deviation of docs/rules.md#known-deviations.
FAULTS = [
    ("llamacpp-ignores-text-format", ["json_mode.json-schema"], "json_mode.schema-valid", Verdict.FAIL),
    ("llamacpp-ignores-text-format", ["json_mode.invalid-format"], "json_mode.invalid-format-rejected", Verdict.FAIL),
    ("llamacpp-ignores-text-format", ["sdk.parse"], "sdk.parse-output-parsed", Verdict.FAIL),
    ("llamacpp-length-as-completed", ["limits.max-output-tokens"], "limits.incomplete", Verdict.FAIL),
    ("vllm-length-as-completed", ["limits.max-output-tokens-stream"], "limits.incomplete-stream", Verdict.FAIL),
    ("llamastack-reason-length", ["limits.max-output-tokens"], "limits.incomplete", Verdict.FAIL),
    ("vllm-items-completed-in-incomplete", ["limits.max-output-tokens"], "limits.items-incomplete", Verdict.WARN),
    ("ollama-stateless", ["multi_turn.previous-response-id"], "multi_turn.previous-response-id-recall",
     Verdict.FAIL),
    ("ollama-stateless", ["multi_turn.previous-response-id"], "multi_turn.context-usage", Verdict.WARN),
    ("vllm-instructions-leak", ["multi_turn.instructions-not-inherited"], "multi_turn.instructions-not-inherited",
     Verdict.FAIL),
    ("vllm-store-disabled", ["storage.retrieve"], "storage.retrieve-matches", Verdict.UNSUPPORTED),
    ("vllm-store-disabled", ["storage.retrieve"], "storage.store-honoured", Verdict.WARN),
    ("parallel-tool-calls-ignored", ["tools.parallel-disabled"], "tools.parallel-disabled", Verdict.FAIL),
    ("instructions-ignored", ["basic.instructions"], "basic.instructions-reach-model", Verdict.FAIL),
    ("tool-choice-ignored", ["tools.named"], "tools.named-choice", Verdict.FAIL),
    ("tool-choice-none-ignored", ["tools.none"], "tools.none-choice", Verdict.FAIL),
    ("function-output-ignored", ["tools.round-trip"], "tools.output-recall", Verdict.FAIL),
    ("gateway-chat-tools-accepted", ["tools.chat-shape"], "tools.chat-shape-rejected", Verdict.WARN),
    ("gptoss-only-item-done", ["tools.streamed-arguments"], "tools.streamed-argument-events", Verdict.WARN),
    ("sglang-empty-completed-output", ["tools.streamed-arguments"], "tools.streamed-call", Verdict.FAIL),
    ("sglang-cancel-foreground-200", ["background.cancel"], "background.cancel-foreground-rejected", Verdict.WARN),
    ("background-ignored", ["background.poll"], "background.queued", Verdict.FAIL),
    ("input-items-reversed", ["storage.input-items"], "storage.input-items-order", Verdict.FAIL),
    ("input-items-no-more", ["storage.input-items"], "storage.input-items-pagination", Verdict.FAIL),
    ("max-output-tokens-ignored", ["bad_input.wrong-types"], "bad_input.wrong-type-rejected", Verdict.FAIL),
    ("unknown-model-accepted", ["bad_input.unknown-model"], "bad_input.unknown-model-rejected", Verdict.WARN),
    ("usage-mismatch", ["basic.string-input"], "usage.reported", Verdict.FAIL),
    # Tolerated behaviour: no false FAIL. The fourth create (sdk.create here) gets a 429 the SDK tier waits out.
    ("ping-keepalives", ["background.stream-resume"], "background.stream-resume", Verdict.PASS),
    ("rate-limit-429", ["basic.string-input", "basic.instructions", "basic.message-roles", "sdk.create"],
     "sdk.create-ok", Verdict.PASS),
]


@pytest.mark.parametrize("fault,scenarios,check_id,expected", FAULTS,
                         ids=[f"{f}->{c}" for f, _, c, _ in FAULTS])
def test_fault_is_caught(fault: str, scenarios: list[str], check_id: str, expected: Verdict) -> None:
    with ReferenceServer(faults=[fault], token_delay=TOKEN_DELAY) as srv:
        transcripts = run(srv, scenarios)
    results = [r for r in (judge(get(check_id), t) for t in transcripts) if r is not None]
    assert [r.verdict for r in results] == [expected], [r.message for r in results]
