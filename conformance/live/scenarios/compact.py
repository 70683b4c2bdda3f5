"""`POST /v1/responses/compact` (responses.compact): compact a short conversation, then use the compacted
output as the input of the next create. An optional route: a clean refusal is UNSUPPORTED."""

from __future__ import annotations

from typing import Any

from conformance.live.scenario import ScenarioContext, nonce, scenario

RECALL_QUESTION = "What code word did I ask you to remember? Reply with the code word only."


@scenario("compact.conversation", "Compact a three-message conversation (user plants a code word, assistant, "
          "user); then create with the compacted output plus a question as input")
def conversation(ctx: ScenarioContext) -> None:
    word = nonce("COMP")
    history: list[dict[str, Any]] = [
        {"role": "user", "content": f"Remember this code word: {word}."},
        {"role": "assistant", "content": "OK, I will remember it."},
        {"role": "user", "content": "Thanks. Keep it for later."},
    ]
    ctx.params.update(nonce=word, history=history)
    compacted = ctx.request("compact", "POST", "responses/compact", body={"model": ctx.model, "input": history})
    body = compacted.response.body
    output = body.get("output") if compacted.ok and isinstance(body, dict) else None
    if not isinstance(output, list):
        return
    ctx.create("next", {"input": [*output, {"role": "user", "content": RECALL_QUESTION}], "store": False})
