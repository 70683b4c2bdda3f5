"""WebSocket mode (`responses.connect`): `response.create` client events on a socket to /v1/responses.

Each turn is recorded as an Exchange the stream checks judge like an SSE stream (conformance/live/websocket.py).
A refused upgrade is UNSUPPORTED (websocket.upgrade). `stream` is implicit on a socket and not sent.
"""

from __future__ import annotations

from typing import Any

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.websocket import Socket

RECALL_QUESTION = "What code word did I ask you to remember? Reply with the code word only."


def create_event(ctx: ScenarioContext, **fields: Any) -> dict[str, Any]:
    return {"type": "response.create", "model": ctx.model, "max_output_tokens": ctx.target.max_output_tokens,
            **fields}


@scenario("websocket.two-turns", "On one socket: turn 1 plants a code word; turn 2 chains with "
          "previous_response_id and asks for it", model_dependent=True, streams=True)
def two_turns(ctx: ScenarioContext) -> None:
    word = nonce("SOCK")
    ctx.params["nonce"] = word
    with Socket(ctx, "socket") as sock:
        if not sock.open():
            return
        first = sock.turn("turn1", create_event(ctx, input=f"Remember this code word: {word}. Reply with OK."))
        rid = response_id(first)
        if rid is None or not first.ok:
            return
        ctx.stored_ids.append(rid)
        ctx.params["turn1_id"] = rid
        second = sock.turn("turn2", create_event(ctx, input=RECALL_QUESTION, previous_response_id=rid))
        rid2 = response_id(second)
        if rid2 is not None and second.ok:
            ctx.stored_ids.append(rid2)


@scenario("websocket.error-then-continue", "On one socket: an invalid response.create (input is a number) must "
          "get an error event; then a valid response.create on the same socket", streams=True)
def error_then_continue(ctx: ScenarioContext) -> None:
    with Socket(ctx, "socket") as sock:
        if not sock.open():
            return
        sock.turn("invalid", create_event(ctx, input=42, max_output_tokens=16))
        sock.turn("after-error", create_event(ctx, input="Say OK.", max_output_tokens=16, store=False))
