"""Basic creation: string input, message lists with roles, instructions, streaming."""

from __future__ import annotations

from conformance.live.scenario import ScenarioContext, nonce, scenario


@scenario("basic.string-input", "POST /responses with a plain string input")
def string_input(ctx: ScenarioContext) -> None:
    word = nonce("ECHO")
    ctx.params["nonce"] = word
    ctx.create("create", {"input": f"Repeat this code word exactly: {word}"})


@scenario("streaming.text", "POST /responses with stream: true and a plain text answer")
def streaming_text(ctx: ScenarioContext) -> None:
    word = nonce("ECHO")
    ctx.params["nonce"] = word
    ctx.create("stream", {"input": f"Repeat this code word exactly: {word}"}, stream=True)
