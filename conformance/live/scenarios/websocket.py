"""WebSocket mode (`responses.connect`): `response.create` client events on a socket to /v1/responses.

Each turn is recorded as an Exchange the stream checks judge like an SSE stream (conformance/live/websocket.py).
A refused upgrade is UNSUPPORTED (websocket.upgrade). `stream` is implicit on a socket and not sent.
Continuation facts (a socket keeps its most recent response in memory, store: false included; a failed turn
evicts the response it referenced; after /responses/compact a new chain starts without previous_response_id)
are from https://developers.openai.com/api/docs/guides/websocket-mode.
"""

from __future__ import annotations

import secrets
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


def _unknown_id() -> str:
    return f"resp_{secrets.token_hex(24)}"


@scenario("websocket.not-found", "On one socket: a response.create whose previous_response_id names no response "
          "must get a previous_response_not_found error event; then a create without it on the same socket",
          streams=True)
def not_found(ctx: ScenarioContext) -> None:
    with Socket(ctx, "socket") as sock:
        if not sock.open():
            return
        sock.turn("unknown", create_event(ctx, input="Say OK.", previous_response_id=_unknown_id(), store=False,
                                          max_output_tokens=16))
        sock.turn("after-not-found", create_event(ctx, input="Say OK.", store=False, max_output_tokens=16))


@scenario("websocket.unstored-chain", "store: false on one socket: turn 1 plants a code word, turn 2 continues it "
          "and asks for it; then a new socket tries to continue turn 2 (it must get previous_response_not_found)",
          model_dependent=True, streams=True)
def unstored_chain(ctx: ScenarioContext) -> None:
    word = nonce("SOCK")
    ctx.params["nonce"] = word
    with Socket(ctx, "socket") as sock:
        if not sock.open():
            return
        first = sock.turn("turn1", create_event(ctx, input=f"Remember this code word: {word}. Reply with OK.",
                                                store=False))
        rid = response_id(first)
        if rid is None or not first.ok:
            return
        second = sock.turn("turn2", create_event(ctx, input=RECALL_QUESTION, previous_response_id=rid, store=False))
        rid2 = response_id(second)
        if rid2 is None or not second.ok:
            return
    # The first socket is closed: its in-memory responses went with it (no other socket may reach them).
    with Socket(ctx, "fresh") as fresh:
        if fresh.open():
            fresh.turn("fresh-turn", create_event(ctx, input=RECALL_QUESTION, previous_response_id=rid2, store=False,
                                                  max_output_tokens=16))


@scenario("websocket.failed-continuation", "store: false on one socket: turn 1, turn 2 continuing it, an invalid "
          "create continuing turn 2 (error event), then a valid create continuing turn 2 (it must get "
          "previous_response_not_found: the failed turn evicted it), then a new chain without it", streams=True)
def failed_continuation(ctx: ScenarioContext) -> None:
    with Socket(ctx, "socket") as sock:
        if not sock.open():
            return
        first = sock.turn("turn1", create_event(ctx, input="Say OK.", store=False, max_output_tokens=16))
        rid = response_id(first)
        if rid is None or not first.ok:
            return
        second = sock.turn("turn2", create_event(ctx, input="Say OK again.", previous_response_id=rid, store=False,
                                                 max_output_tokens=16))
        rid2 = response_id(second)
        if rid2 is None or not second.ok:
            return
        sock.turn("invalid", create_event(ctx, input=42, previous_response_id=rid2, store=False, max_output_tokens=16))
        sock.turn("evicted", create_event(ctx, input="Say OK.", previous_response_id=rid2, store=False,
                                          max_output_tokens=16))
        sock.turn("new-chain", create_event(ctx, input="Say OK.", store=False, max_output_tokens=16))


@scenario("websocket.after-compact", "On one socket: a store: false turn; then the compacted window from POST "
          "/v1/responses/compact as the input of a new chain (no previous_response_id) on the same socket",
          streams=True, chain=10)
def after_compact(ctx: ScenarioContext) -> None:
    word = nonce("COMP")
    history: list[dict[str, Any]] = [
        {"role": "user", "content": f"Remember this code word: {word}."},
        {"role": "assistant", "content": "OK, I will remember it."},
    ]
    ctx.params["nonce"] = word
    with Socket(ctx, "socket") as sock:
        if not sock.open():
            return
        first = sock.turn("turn1", create_event(ctx, input="Say OK.", store=False, max_output_tokens=16))
        if response_id(first) is None or not first.ok:
            return
        compacted = ctx.request("compact", "POST", "responses/compact", body={"model": ctx.model, "input": history})
        body = compacted.response.body
        output = body.get("output") if compacted.ok and isinstance(body, dict) else None
        if not isinstance(output, list):
            return
        # As the guide shows: the compacted window as-is, then the next user item; previous_response_id omitted.
        sock.turn("new-chain", create_event(ctx, input=[*output, {"role": "user", "content": RECALL_QUESTION}],
                                            store=False))
