"""`POST /v1/responses/input_tokens` (responses.input_tokens.count): count a string input, the same text as a
message, and a much larger input. An optional route: a clean refusal is UNSUPPORTED."""

from __future__ import annotations

from conformance.live.scenario import ScenarioContext, scenario

SHORT_TEXT = "Count the tokens of this short sentence."
LARGER_TEXT = " ".join(["The quick brown fox jumps over the lazy dog."] * 40)


@scenario("input_tokens.count", "Count the input tokens of a short string, of the same text as a user message, "
          "and of a string forty times longer", chain=7)
def count(ctx: ScenarioContext) -> None:
    path = "responses/input_tokens"
    ctx.request("string", "POST", path, body={"model": ctx.model, "input": SHORT_TEXT})
    ctx.request("message", "POST", path, body={"model": ctx.model, "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": SHORT_TEXT}]}]})
    ctx.request("larger", "POST", path, body={"model": ctx.model, "input": LARGER_TEXT})
