"""Reasoning: `reasoning: {effort, summary}` plain and streamed, a stateless multi-turn that passes reasoning
items (with `encrypted_content`) back as input, `previous_response_id` after a reasoning turn, and a function
call after reasoning answered statelessly. A model that does not reason answers without reasoning items; the
checks then say so instead of failing (checks/reasoning.py). The multi-turn scenarios first read
reasoning.effort's answer and send nothing when it held no reasoning item: on a small server without a
reasoning model that saves five generations that could show nothing."""

from __future__ import annotations

from typing import Any

from conformance.extract import final_response, response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.shared import Resource, Use
from conformance.live.scenarios.tools import TOOLS

REASONING = {"effort": "low", "summary": "auto"}
ENCRYPTED = ["reasoning.encrypted_content"]
# Reasoning spends output tokens before the answer: a budget the reasoning alone cannot use up on these
# one-line questions (the target's default of 64 can).
BUDGET = 256
RECALL_QUESTION = "What code word did I ask you to remember? Reply with the code word only."


def _budget(ctx: ScenarioContext) -> int:
    return max(ctx.target.max_output_tokens, BUDGET)


def _remember(ctx: ScenarioContext, **requested: Any) -> None:
    """What the checks compare the answers with: the `reasoning` and `include` each create sent."""
    ctx.params.update(reasoning=REASONING, **requested)


def _returned(ex: Any) -> list[dict[str, Any]]:
    """Every output item as returned, reasoning items included: what a stateless client sends back."""
    resp = final_response(ex) if ex.ok else None
    return [i for i in (resp or {}).get("output") or [] if isinstance(i, dict)]


def _plant(ctx: ScenarioContext) -> dict[str, Any] | None:
    word = nonce("RSN")
    first = ctx.create("create", {"input": f"Remember this code word: {word}. Reply with OK.",
                                  "reasoning": REASONING, "max_output_tokens": _budget(ctx)})
    reasoned = any(i.get("type") == "reasoning" for i in _returned(first))
    return {"nonce": word, "id": response_id(first), "ok": first.ok, "reasoned": reasoned}


# A stored reasoning turn that plants a code word: judged as a reasoning response, then continued.
REASONED = Resource("reasoned-turn", owner="reasoning.effort", make=_plant)


@scenario("reasoning.effort", "reasoning {effort: low, summary: auto}: a reasoning item (summary, "
          "reasoning_text) before the answer, reasoning echoed", uses={REASONED: Use.READ})
def effort(ctx: ScenarioContext) -> None:
    _remember(ctx)
    ctx.use(REASONED)


@scenario("reasoning.streamed", "reasoning {effort: low, summary: auto}, streamed: reasoning_text and summary "
          "events", streams=True)
def streamed(ctx: ScenarioContext) -> None:
    _remember(ctx)
    ctx.create("create", {"input": "What is 2 + 2? Answer in one short sentence.", "reasoning": REASONING,
                          "max_output_tokens": _budget(ctx)}, stream=True)


@scenario("reasoning.previous-response", "Turn 1 reasons and plants a code word (reasoning.effort's); turn 2 "
          "continues it with previous_response_id and asks for the code word", model_dependent=True,
          uses={REASONED: Use.READ})
def previous_response(ctx: ScenarioContext) -> None:
    first = ctx.use(REASONED, label="turn1")
    if not first or not first["reasoned"] or first["id"] is None:
        return
    ctx.params.update(nonce=first["nonce"], turn1_id=first["id"])
    ctx.create("turn2", {"input": RECALL_QUESTION, "previous_response_id": first["id"], "reasoning": REASONING,
                         "max_output_tokens": _budget(ctx)})


def _stateless(ctx: ScenarioContext, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "store": False, "include": ENCRYPTED, "reasoning": REASONING, "max_output_tokens": _budget(ctx)}


def _reasons(ctx: ScenarioContext) -> bool:
    """Whether reasoning.effort's answer held a reasoning item (borrowed as step `reasoned`)."""
    probe = ctx.use(REASONED, label="reasoned")
    return bool(probe and probe["reasoned"])


@scenario("reasoning.stateless", "store: false with include [reasoning.encrypted_content]; turn 2 sends turn 1's "
          "input and every output item (reasoning with its encrypted_content) back as input",
          uses={REASONED: Use.READ})
def stateless(ctx: ScenarioContext) -> None:
    _remember(ctx, include=ENCRYPTED)
    if not _reasons(ctx):
        return
    opening = {"role": "user", "content": f"Remember this code word: {nonce('RSN')}. Reply with OK."}
    first = ctx.create("turn1", _stateless(ctx, {"input": [opening]}))
    if not _returned(first):
        return
    question = {"role": "user", "content": RECALL_QUESTION}
    ctx.create("turn2", _stateless(ctx, {"input": [opening, *_returned(first), question]}))


@scenario("reasoning.function-call", "Reasoning with get_weather forced (store: false, encrypted reasoning); "
          "turn 2 sends the reasoning item, the call and its function_call_output back as input",
          uses={REASONED: Use.READ})
def function_call(ctx: ScenarioContext) -> None:
    _remember(ctx, include=ENCRYPTED, forced="get_weather")
    if not _reasons(ctx):
        return
    question = {"role": "user", "content": "What is the weather in Paris? Use the get_weather tool."}
    tools = {"tools": TOOLS}
    first = ctx.create("turn1", _stateless(ctx, {"input": [question], **tools,
                                                 "tool_choice": {"type": "function", "name": "get_weather"}}))
    items = _returned(first)
    calls = [i for i in items if i.get("type") == "function_call"]
    if not calls:
        return
    outputs = [{"type": "function_call_output", "call_id": c.get("call_id"), "output": "Sunny, 21 C."}
               for c in calls]
    ctx.create("turn2", _stateless(ctx, {"input": [question, *items, *outputs], **tools, "tool_choice": "none"}))
