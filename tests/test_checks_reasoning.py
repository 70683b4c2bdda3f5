"""The reasoning checks (checks/reasoning.py) and stream.part-index-sequential on hand-made traffic: each FAILs
(or WARNs) on traffic that breaks its rule, is UNSUPPORTED for a model that does not reason or a clean refusal,
and PASSes on traffic that keeps it; and none of them FAILs or WARNs the real OpenAI recordings."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.reasoning import reasoning_items
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.recordings import load_file
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict

PASS, FAIL, WARN, SKIP, UNSUP = Verdict.PASS, Verdict.FAIL, Verdict.WARN, Verdict.SKIP, Verdict.UNSUPPORTED
ASKED = {"effort": "low", "summary": "auto"}
ERR = {"error": {"message": "reasoning is not supported", "type": "invalid_request_error", "param": "reasoning",
                 "code": None}}
USAGE = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 30,
         "output_tokens_details": {"reasoning_tokens": 20}, "total_tokens": 40}


def thought(**extra: Any) -> dict[str, Any]:
    item = {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Adding."}],
            "content": [{"type": "reasoning_text", "text": "Two and two make four."}]}
    return {**item, **extra}


def message(text: str = "4") -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def response(*output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": "completed", "output": list(output),
            "reasoning": {"effort": "low", "summary": "detailed"}, "usage": copy.deepcopy(USAGE), **extra}


def step(label: str, body: Any, status: int = 200, request: dict[str, Any] | None = None,
         sse: str | None = None) -> Exchange:
    sent = {"model": "m", "input": "What is 2 + 2?", "reasoning": ASKED, **(request or {})}
    return Exchange(RecordedRequest("POST", "/v1/responses", body=sent),
                    RecordedResponse(status, body=None if sse else body, sse=sse), label=label)


def verdict(check_id: str, scenario: str, *steps: Exchange, **params: Any) -> Verdict | None:
    result = judge(get(check_id), Transcript(scenario, list(steps), params))
    return None if result is None else result.verdict


def sse(*events: dict[str, Any]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n"
                   for n, e in enumerate(events))


def test_item_shape() -> None:
    check = "reasoning.item-shape"
    assert verdict(check, "reasoning.effort", step("create", response(thought(), message()))) is PASS
    assert verdict(check, "reasoning.effort", step("create", response(thought(content=None), message()))) is PASS
    for broken in (thought(id=""), {k: v for k, v in thought().items() if k != "summary"},
                   thought(summary=[{"type": "text", "text": "x"}]), thought(content=[{"text": "x"}])):
        assert verdict(check, "reasoning.effort", step("create", response(broken, message()))) is FAIL, broken
    # a model that does not reason, and a clean refusal of `reasoning`, are not failures
    assert verdict(check, "reasoning.effort", step("create", response(message()))) is UNSUP
    assert verdict(check, "reasoning.effort", step("create", ERR, status=400)) is UNSUP
    assert verdict(check, "reasoning.effort", step("create", ERR, status=500)) is FAIL


def test_item_shape_judges_streamed_items() -> None:
    done = {"type": "response.output_item.done", "output_index": 0, "item": thought(summary=None)}
    final = response(thought(), message())
    text = sse({"type": "response.created", "response": {**final, "status": "in_progress", "output": []}}, done,
               {"type": "response.completed", "response": final})
    assert verdict("reasoning.item-shape", "reasoning.streamed", step("create", None, sse=text)) is FAIL


def test_echoed() -> None:
    check = "reasoning.echoed"
    assert verdict(check, "reasoning.effort", step("create", response(thought(), message()))) is PASS
    exact = response(thought(), reasoning={"effort": "low", "summary": "concise"})
    assert verdict(check, "reasoning.effort", step("create", exact, request={
        "reasoning": {"effort": "low", "summary": "concise"}})) is PASS
    assert verdict(check, "reasoning.effort", step("create", response(thought(), reasoning={
        "effort": "high", "summary": "detailed"}))) is WARN
    assert verdict(check, "reasoning.effort", step("create", response(thought(), reasoning={
        "effort": "low", "summary": None}))) is WARN
    assert verdict(check, "reasoning.effort", step("create", response(thought(), reasoning=None))) is WARN
    assert verdict(check, "reasoning.effort", step("create", response(message(), reasoning=None))) is UNSUP


def test_reasoning_tokens() -> None:
    check = "reasoning.reasoning-tokens"
    assert verdict(check, "reasoning.effort", step("create", response(thought(), message()))) is PASS
    zero = {**USAGE, "output_tokens_details": {"reasoning_tokens": 0}}
    assert verdict(check, "reasoning.effort", step("create", response(thought(), usage=zero))) is WARN
    # a summary alone does not imply reasoning tokens (an OpenAI recording has a summary and 0)
    assert verdict(check, "reasoning.effort", step("create", response(thought(content=[]), usage=zero))) is PASS
    above = {**USAGE, "output_tokens_details": {"reasoning_tokens": 31}}
    assert verdict(check, "reasoning.effort", step("create", response(thought(), usage=above))) is WARN
    assert verdict(check, "reasoning.effort", step("create", response(thought(), usage={"output_tokens": 3}))) is WARN


def test_encrypted_content() -> None:
    check, asked = "reasoning.encrypted-content", {"include": ["reasoning.encrypted_content"], "store": False}
    sealed = step("turn1", response(thought(encrypted_content="gAAAA"), message()), request=asked)
    assert verdict(check, "reasoning.stateless", sealed) is PASS
    bare = step("turn1", response(thought(), message()), request=asked)
    assert verdict(check, "reasoning.stateless", bare) is FAIL
    assert verdict(check, "reasoning.function-call", step("turn1", response(message()), request=asked)) is UNSUP


def test_items_accepted() -> None:
    check = "reasoning.items-accepted"
    first = step("turn1", response(thought(encrypted_content="gAAAA"), message()))
    assert verdict(check, "reasoning.stateless", first, step("turn2", response(thought(), message()))) is PASS
    assert verdict(check, "reasoning.stateless", first, step("turn2", ERR, status=400)) is FAIL
    assert verdict(check, "reasoning.stateless", step("turn1", response(message())),
                   step("turn2", response(message()))) is UNSUP
    assert verdict(check, "reasoning.function-call", first) is SKIP  # no call, so no turn 2


def test_two_turn_scenarios_stop_when_the_model_does_not_reason() -> None:
    # reasoning.effort's answer (borrowed as `reasoned`) held no reasoning item, so nothing more was sent
    for check in ("reasoning.encrypted-content", "reasoning.items-accepted", "reasoning.item-shape"):
        for probe, expected in ((step("create", response(message())), UNSUP), (step("create", ERR, status=400), UNSUP)):
            t = Transcript("reasoning.stateless", [], {})
            t.borrow(probe, "reasoned")
            result = judge(get(check), t)
            assert result is not None and result.verdict is expected, (check, result)


def test_previous_response_recall() -> None:
    check = "reasoning.previous-response-recall"
    first = step("turn1", response(thought(), message("OK")))
    recall = step("turn2", response(thought(), message("RSN-123456")))
    assert verdict(check, "reasoning.previous-response", first, recall, nonce="RSN-123456") is PASS
    assert verdict(check, "reasoning.previous-response", first, step("turn2", response(message("no idea"))),
                   nonce="RSN-123456") is FAIL
    assert verdict(check, "reasoning.previous-response", first, step("turn2", ERR, status=400),
                   nonce="RSN-123456") is UNSUP
    assert verdict(check, "reasoning.previous-response", step("turn1", response(message())), recall,
                   nonce="RSN-123456") is UNSUP


def _stream(message_index: int) -> str:
    reasoning, msg = thought(), message("4")
    final = response(reasoning, msg)
    part = {"type": "reasoning_text", "text": ""}
    return sse(
        {"type": "response.created", "response": {**final, "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": {**reasoning, "summary": [], "content": []}},
        {"type": "response.content_part.added", "output_index": 0, "item_id": "rs_1", "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": reasoning},
        {"type": "response.output_item.added", "output_index": 1, "item": {**msg, "content": []}},
        {"type": "response.content_part.added", "output_index": 1, "item_id": "msg_1", "content_index": message_index,
         "part": {"type": "output_text", "text": "", "annotations": []}},
        {"type": "response.output_item.done", "output_index": 1, "item": msg},
        {"type": "response.completed", "response": final},
    )


def test_content_index_restarts_for_the_next_item() -> None:
    def judged(message_index: int) -> Verdict | None:
        ex = Exchange(RecordedRequest("POST", "/v1/responses", body={"stream": True}),
                      RecordedResponse(200, sse=_stream(message_index)), label="stream")
        return verdict("stream.part-index-sequential", "streaming.text", ex)

    assert judged(0) is PASS
    assert judged(1) is FAIL  # vLLM #45742


# --- the OpenAI recordings -----------------------------------------------------------------------------------

REASONING_CHECKS = [c.id for c in all_checks() if c.area == "reasoning"]


def _as_asked(ex: Exchange, label: str) -> Exchange:
    """The recording as a reasoning scenario's step; a request that did not send `reasoning` is judged as if it
    had asked for the defaults (gpt-5 and o-series models reason without being asked)."""
    body = dict(ex.request.body) if isinstance(ex.request.body, dict) else {}
    body.setdefault("reasoning", {})
    return dataclasses.replace(ex, request=dataclasses.replace(ex.request, body=body), label=label)


def _reasoning_recordings(recordings_dir: Path) -> list[Exchange]:
    found = []
    for path in sorted((recordings_dir / "openai").glob("*.json")):
        ex = load_file(path)
        if ex.request.method == "POST" and ex.ok and reasoning_items(ex):
            found.append(ex)
    return found


def test_openai_recordings_keep_every_reasoning_rule(recordings_dir: Path) -> None:
    recorded = _reasoning_recordings(recordings_dir)
    assert len(recorded) >= 100, len(recorded)
    judged: dict[str, int] = {}
    bad = []
    for ex in recorded:
        sent = ex.request.body if isinstance(ex.request.body, dict) else {}
        sealed = "reasoning.encrypted_content" in (sent.get("include") or [])
        cases = [("reasoning.item-shape", "reasoning.effort", "create"),
                 ("reasoning.reasoning-tokens", "reasoning.effort", "create")]
        if "reasoning" in sent:
            cases.append(("reasoning.echoed", "reasoning.effort", "create"))
        if sealed:
            cases.append(("reasoning.encrypted-content", "reasoning.stateless", "turn1"))
        for check, scenario, label in cases:
            result = judge(get(check), Transcript(scenario, [_as_asked(ex, label)]))
            assert result is not None
            judged[check] = judged.get(check, 0) + 1
            if result.verdict is not PASS:
                bad.append((ex.source, check, result.verdict.value, result.message))
    assert bad == []
    assert judged["reasoning.echoed"] >= 20 and judged["reasoning.encrypted-content"] >= 8, judged
    assert set(judged) | {"reasoning.items-accepted", "reasoning.previous-response-recall"} == set(REASONING_CHECKS)


@pytest.mark.parametrize("name", ["mirascope__test_call_with_thinking-openai_gpt_5_responses-sync__1.json",
                                  "mirascope__resumes-conversation-with-new-content__1.json"])
def test_openai_accepted_its_own_reasoning_items_back(recordings_dir: Path, name: str) -> None:
    # the recorded second turns sent reasoning items as input and got a Response: items-accepted PASSes on them
    ex = load_file(recordings_dir / "openai" / name)
    items = [i for i in ex.request.body["input"] if isinstance(i, dict) and i.get("type") == "reasoning"]
    assert items and ex.ok
    first = step("turn1", response(*items, message()))
    assert verdict("reasoning.items-accepted", "reasoning.stateless", first, _as_asked(ex, "turn2")) is PASS
