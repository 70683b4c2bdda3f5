"""Multi-turn conversations: previous_response_id, manual history, instructions not carried over, and
previous_response_id pointing at a response that was not stored."""

from __future__ import annotations

from typing import Any

from conformance.extract import final_response, response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.scenarios.limits import UNSTORED
from conformance.live.shared import Resource, Use

RECALL_QUESTION = "What code word did I ask you to remember? Reply with the code word only."

# Turn 1 of the instructions test answers under a strict schema that only admits an integer, so the answer
# itself cannot repeat the code word from the instructions (which would make turn 2 see it legitimately).
NUMBER_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "name": "number",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"number": {"type": "integer"}},
        "required": ["number"],
        "additionalProperties": False,
    },
}


def replayable(resp: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Output items a stateless client passes back as input. Reasoning items are left out: without
    stored state they would need encrypted content, which is a separate feature."""
    return [i for i in (resp or {}).get("output") or []
            if isinstance(i, dict) and i.get("type") in ("message", "function_call")]


def _plant(ctx: ScenarioContext) -> dict[str, Any] | None:
    word = nonce("MEM")
    opening = {"role": "user", "content": f"Remember this code word: {word}. Reply with OK."}
    first = ctx.create("turn1", {"input": [opening]})
    return {"nonce": word, "opening": opening, "id": response_id(first), "ok": first.ok,
            "response": final_response(first)}


# Turn 1 of both ways to continue a conversation: previous_response_id and the history sent back by hand.
PLANTED = Resource("planted-code-word", owner="multi_turn.previous-response-id", make=_plant)


@scenario("multi_turn.previous-response-id", "Turn 1 plants a code word; turn 2 (previous_response_id) asks "
          "for it", model_dependent=True, uses={PLANTED: Use.READ})
def previous_response_id(ctx: ScenarioContext) -> None:
    first = ctx.use(PLANTED)
    if not first or first["id"] is None:
        return
    ctx.params.update(nonce=first["nonce"], turn1_id=first["id"])
    ctx.create("turn2", {"input": RECALL_QUESTION, "previous_response_id": first["id"]})


@scenario("multi_turn.manual-history", "Turn 2 sends turn 1's input and output items back as input "
          "(store: false), then asks for the code word", model_dependent=True, uses={PLANTED: Use.READ})
def manual_history(ctx: ScenarioContext) -> None:
    first = ctx.use(PLANTED)
    if not first:
        return
    ctx.params["nonce"] = first["nonce"]
    if not first["ok"]:
        return
    history = [first["opening"], *replayable(first["response"]), {"role": "user", "content": RECALL_QUESTION}]
    ctx.create("turn2", {"input": history, "store": False})


@scenario("multi_turn.instructions-not-inherited", "Turn 1's instructions hold a code word (its answer is "
          "schema-bound to an integer); turn 2 chains with previous_response_id and no instructions",
          model_dependent=True)
def instructions_not_inherited(ctx: ScenarioContext) -> None:
    word = nonce("LEAK")
    ctx.params["nonce"] = word
    first = ctx.create("turn1", {
        "instructions": f"The secret code word is {word}. Whenever you are asked for a code word, reply with it.",
        "input": "Give me a number between 1 and 9.",
        "text": {"format": NUMBER_FORMAT},
    })
    rid = response_id(first)
    if rid is None or not first.ok:
        return
    ctx.create("turn2", {
        "input": "What is the secret code word? Reply with the code word, or with NONE if you were not given one.",
        "previous_response_id": rid,
    })


def continue_stored(ctx: ScenarioContext) -> None:
    """The control of a rule that a previous_response_id must be refused: continuing a stored response (the
    planted turn 1, borrowed as "control-turn1") must work, or the refusal proves nothing (checks/common.unearned)."""
    planted = ctx.use(PLANTED, label="control-turn1")
    if planted and planted["id"]:
        ctx.create("control", {"input": "Say OK.", "previous_response_id": planted["id"], "max_output_tokens": 16})


@scenario("multi_turn.unstored-previous-response", "Turn 1 with store: false (limits.max-output-tokens's "
          "response); turn 2 names it in previous_response_id, which must be refused; a control continues a "
          "stored response", uses={UNSTORED: Use.READ, PLANTED: Use.READ})
def unstored_previous_response(ctx: ScenarioContext) -> None:
    first = ctx.use(UNSTORED, label="turn1")
    rid = first["id"] if first else None
    if rid is None:
        return
    ctx.params["turn1_id"] = rid
    ctx.create("turn2", {"input": "Say OK again.", "previous_response_id": rid, "max_output_tokens": 16})
    continue_stored(ctx)
