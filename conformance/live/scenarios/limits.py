"""max_output_tokens: a small limit (OpenAI's minimum, 16) and a prompt that needs far more, plain and
streamed. The response must say it was cut: status incomplete, reason max_output_tokens."""

from __future__ import annotations

from conformance.live.scenario import ScenarioContext, scenario

LIMIT = 16
LONG_TASK = "Count to 200, one number after another, separated by commas. Do not stop early."


@scenario("limits.max-output-tokens", "max_output_tokens 16 with a prompt that needs about 600 tokens")
def max_output_tokens(ctx: ScenarioContext) -> None:
    ctx.params["limit"] = LIMIT
    ctx.create("create", {"input": LONG_TASK, "max_output_tokens": LIMIT})


@scenario("limits.max-output-tokens-stream", "The same, streamed")
def max_output_tokens_stream(ctx: ScenarioContext) -> None:
    ctx.params["limit"] = LIMIT
    ctx.create("stream", {"input": LONG_TASK, "max_output_tokens": LIMIT}, stream=True)
