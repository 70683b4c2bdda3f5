"""max_output_tokens: a small limit (OpenAI's minimum, 16) and a prompt that needs far more, plain and
streamed. The response must say it was cut: status incomplete, reason max_output_tokens."""

from __future__ import annotations

from typing import Any

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, scenario
from conformance.live.shared import Resource, Use

LIMIT = 16
LONG_TASK = "Count to 200, one number after another, separated by commas. Do not stop early."


def _cut_unstored(ctx: ScenarioContext) -> dict[str, Any] | None:
    ctx.params["limit"] = LIMIT
    created = ctx.create("create", {"input": LONG_TASK, "max_output_tokens": LIMIT, "store": False})
    return {"id": response_id(created)}


# A response made with store: false; multi_turn.unstored-previous-response names it in previous_response_id.
UNSTORED = Resource("unstored-response", owner="limits.max-output-tokens", make=_cut_unstored)


@scenario("limits.max-output-tokens", "max_output_tokens 16 (store: false) with a prompt that needs about 600 "
          "tokens", uses={UNSTORED: Use.READ})
def max_output_tokens(ctx: ScenarioContext) -> None:
    ctx.use(UNSTORED)


@scenario("limits.max-output-tokens-stream", "The same, streamed", streams=True)
def max_output_tokens_stream(ctx: ScenarioContext) -> None:
    ctx.params["limit"] = LIMIT
    ctx.create("stream", {"input": LONG_TASK, "max_output_tokens": LIMIT}, stream=True)
