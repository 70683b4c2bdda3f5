"""Requests OpenAI certainly rejects: an unknown model, wrongly typed fields, an unknown previous_response_id.

A request without `input` is not tested: the API reference marks `input` optional (prompt templates and
conversations can supply it), so a rejection is not certain.
"""

from __future__ import annotations

import secrets

from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.scenarios.multi_turn import PLANTED, continue_stored
from conformance.live.shared import Use


@scenario("bad_input.unknown-model", "A model id that cannot exist")
def unknown_model(ctx: ScenarioContext) -> None:
    # OpenAI: 400 model_not_found (in the recorded OpenAI traffic: mirascope__test_model_not_found-*).
    ctx.params["expected_status"] = {"create": [400]}
    ctx.create("create", {"model": f"no-such-model-{nonce('X').lower()}", "input": "Say hello.",
                          "max_output_tokens": 16})


@scenario("bad_input.wrong-types", "max_output_tokens as a string; input as a number")
def wrong_types(ctx: ScenarioContext) -> None:
    # OpenAI: 400 invalid_type for both.
    ctx.params["expected_status"] = {"max-tokens-string": [400], "input-number": [400]}
    ctx.create("max-tokens-string", {"input": "Say hello.", "max_output_tokens": "abc"})
    ctx.create("input-number", {"input": 5, "max_output_tokens": 16})


@scenario("bad_input.unknown-previous-response", "previous_response_id naming a response that never existed; "
          "a control continues a stored response", uses={PLANTED: Use.READ})
def unknown_previous_response(ctx: ScenarioContext) -> None:
    # OpenAI: 400 previous_response_not_found.
    ctx.params["expected_status"] = {"create": [400]}
    ctx.create("create", {"input": "Say hello.", "previous_response_id": f"resp_{secrets.token_hex(24)}",
                          "max_output_tokens": 16})
    continue_stored(ctx)
