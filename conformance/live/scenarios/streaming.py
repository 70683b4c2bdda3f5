"""Streaming text: the stream's grammar and framing are judged by exchange checks; this scenario gives them a
plain text stream and lets the behaviour checks see the content type and the streamed answer."""

from __future__ import annotations

from conformance.live.scenario import ScenarioContext, nonce, scenario


@scenario("streaming.text", "POST /responses with stream: true, asking to repeat a code word", streams=True,
          model_dependent=True)
def streaming_text(ctx: ScenarioContext) -> None:
    word = nonce("ECHO")
    ctx.params["nonce"] = word
    ctx.create("stream", {"input": f"Repeat this code word exactly: {word}"}, stream=True)
