"""Every behaviour (transcript) check on hand-made transcripts: one that keeps the rule and at least one that
breaks it (or is UNSUPPORTED / SKIP where that is the rule), with the exact verdict."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.live.scenario import SURFACE_FAMILIES
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict

PASS, FAIL, WARN, SKIP, UNSUP, ERROR = (Verdict.PASS, Verdict.FAIL, Verdict.WARN, Verdict.SKIP,
                                        Verdict.UNSUPPORTED, Verdict.ERROR)
ERR_BODY = {"error": {"message": "bad request", "type": "invalid_request_error", "param": None, "code": None}}
USAGE = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 5,
         "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}


# ---- builders ----------------------------------------------------------------------------------------------

def msg(text: str, status: str = "completed") -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "status": status,
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def call(name: str = "get_weather", args: str = '{"city":"Paris"}', call_id: str = "call_1",
         item_id: str = "fc_1") -> dict[str, Any]:
    return {"id": item_id, "type": "function_call", "status": "completed", "name": name, "arguments": args,
            "call_id": call_id}


def resp(*output: dict[str, Any], status: str = "completed", rid: str = "resp_1", **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"id": rid, "object": "response", "status": status, "output": list(output),
                         "usage": dict(USAGE), "incomplete_details": None}
    r.update(extra)
    return r


def text_resp(text: str, **kw: Any) -> dict[str, Any]:
    return resp(msg(text), **kw)


def sse(*events: dict[str, Any]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def stream_of(final: dict[str, Any], terminal: str = "response.completed",
              extra: tuple[dict[str, Any], ...] = ()) -> str:
    start = {**final, "status": "in_progress", "output": [], "usage": None}
    events = [{"type": "response.created", "response": start}, *extra, {"type": terminal, "response": final}]
    return sse(*[{**e, "sequence_number": i} for i, e in enumerate(events)])


def ex(label: str, status: int | None = 200, body: Any = None, *, sse_text: str | None = None,
       method: str = "POST", transport_error: str | None = None) -> Exchange:
    headers = {"content-type": "text/event-stream; charset=utf-8" if sse_text is not None else "application/json"}
    return Exchange(request=RecordedRequest(method=method, path="/v1/responses"),
                    response=RecordedResponse(status=status, headers=headers, body=body, sse=sse_text),
                    label=label, transport_error=transport_error)


def err(label: str, status: int = 400, body: Any = ERR_BODY) -> Exchange:
    return ex(label, status, body)


def tr(scenario: str, *exchanges: Exchange, **params: Any) -> Transcript:
    return Transcript(scenario=scenario, exchanges=list(exchanges), params=params)


# ---- cases: (check id, transcript factory, expected verdict) -----------------------------------------------

Case = tuple[str, Callable[[], Transcript], Verdict]
CASES: list[Case] = []


def add(check_id: str, expected: Verdict, factory: Callable[[], Transcript]) -> None:
    CASES.append((check_id, factory, expected))


# basic
add("basic.create-ok", PASS, lambda: tr("basic.string-input", ex("create", 200, text_resp("hi"))))
add("basic.create-ok", FAIL, lambda: tr("basic.message-roles", err("create")))
add("basic.create-ok", FAIL, lambda: tr("basic.string-input", ex("create", 200, text_resp("hi", status="failed"))))
add("basic.create-ok", FAIL, lambda: tr("basic.string-input", ex("create", 200, resp())))
add("basic.create-ok", SKIP, lambda: tr("basic.string-input", ex("create", None, transport_error="timeout: x")))
add("basic.echo", PASS, lambda: tr("basic.string-input", ex("create", 200, text_resp("ECHO-123456")),
                                   nonce="ECHO-123456"))
add("basic.echo", FAIL, lambda: tr("basic.string-input", ex("create", 200, text_resp("hello")), nonce="ECHO-123456"))
add("basic.echo", SKIP, lambda: tr("basic.string-input", err("create"), nonce="ECHO-123456"))
ROLES = {"system": "SYS-111111", "developer": "DEV-222222"}
add("basic.roles-reach-model", PASS, lambda: tr("basic.message-roles",
                                                ex("create", 200, text_resp("SYS-111111 DEV-222222")), nonces=ROLES))
add("basic.roles-reach-model", FAIL, lambda: tr("basic.message-roles", ex("create", 200, text_resp("SYS-111111")),
                                                nonces=ROLES))
add("basic.instructions-reach-model", PASS, lambda: tr("basic.instructions", ex("create", 200, text_resp("INSTR-1234")),
                                                       nonce="INSTR-1234", instructions="i"))
add("basic.instructions-reach-model", FAIL, lambda: tr("basic.instructions", ex("create", 200, text_resp("no idea")),
                                                       nonce="INSTR-1234", instructions="i"))
add("basic.instructions-echoed", PASS, lambda: tr("basic.instructions", ex("create", 200, text_resp(
    "x", instructions="Be terse.")), nonce="INSTR-1", instructions="Be terse."))
add("basic.instructions-echoed", WARN, lambda: tr("basic.instructions", ex("create", 200, text_resp(
    "x", instructions=None)), nonce="INSTR-1", instructions="Be terse."))

# streaming
add("streaming.echo", PASS, lambda: tr("streaming.text", ex("stream", sse_text=stream_of(text_resp("ECHO-777777"))),
                                       nonce="ECHO-777777"))
add("streaming.echo", PASS, lambda: tr("streaming.text", ex("stream", sse_text=sse(
    {"type": "response.output_text.delta", "delta": "ECHO-"}, {"type": "response.output_text.delta", "delta": "777777"},
)), nonce="ECHO-777777"))
add("streaming.echo", FAIL, lambda: tr("streaming.text", ex("stream", sse_text=stream_of(text_resp("hi"))),
                                       nonce="ECHO-777777"))
add("streaming.echo", SKIP, lambda: tr("streaming.text", err("stream"), nonce="ECHO-777777"))

# usage
add("usage.reported", PASS, lambda: tr("basic.string-input", ex("create", 200, text_resp("hi"))))
add("usage.reported", PASS, lambda: tr("streaming.text", ex("stream", sse_text=stream_of(text_resp("hi")))))
add("usage.reported", FAIL, lambda: tr("basic.string-input", ex("create", 200, text_resp(
    "hi", usage={**USAGE, "total_tokens": 16}))))
add("usage.reported", FAIL, lambda: tr("metadata.echo", ex("create", 200, text_resp("hi", usage=None))))
add("usage.reported", FAIL, lambda: tr("limits.max-output-tokens", ex("create", 200, text_resp(
    "hi", status="incomplete", usage={**USAGE, "output_tokens": "5"}))))
add("usage.details", PASS, lambda: tr("basic.string-input", ex("create", 200, text_resp("hi"))))
add("usage.details", WARN, lambda: tr("basic.string-input", ex("create", 200, text_resp(
    "hi", usage={"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}))))

# metadata
META = {"suite": "responses-conformance", "run": "META-123456"}
add("metadata.echoed", PASS, lambda: tr("metadata.echo", ex("create", 200, text_resp("hi", metadata=META)),
                                        ex("retrieve", 200, text_resp("hi", metadata=META)), metadata=META))
add("metadata.echoed", PASS, lambda: tr("metadata.echo", ex("create", 200, text_resp("hi", metadata=META)),
                                        err("retrieve", 404), metadata=META))
add("metadata.echoed", FAIL, lambda: tr("metadata.echo", ex("create", 200, text_resp("hi", metadata=META)),
                                        ex("retrieve", 200, text_resp("hi", metadata={})), metadata=META))
add("metadata.echoed", FAIL, lambda: tr("metadata.echo", ex("create", 200, text_resp("hi", metadata={})),
                                        metadata=META))
add("metadata.echoed", FAIL, lambda: tr("metadata.echo", err("create"), metadata=META))


# multi-turn
def prev(turn2: Exchange, turn1_usage: dict[str, Any] | None = None) -> Transcript:
    first = text_resp("OK", rid="resp_a", usage=turn1_usage or dict(USAGE))
    return tr("multi_turn.previous-response-id", ex("turn1", 200, first), turn2, nonce="MEM-424242",
              turn1_id="resp_a")


GOOD_TURN2 = text_resp("MEM-424242", rid="resp_b", previous_response_id="resp_a",
                       usage={**USAGE, "input_tokens": 30, "total_tokens": 35})
add("multi_turn.previous-response-id-recall", PASS, lambda: prev(ex("turn2", 200, GOOD_TURN2)))
add("multi_turn.previous-response-id-recall", FAIL, lambda: prev(ex("turn2", 200, text_resp("no idea"))))
add("multi_turn.previous-response-id-recall", UNSUP, lambda: prev(err("turn2", 400)))
add("multi_turn.previous-response-id-recall", FAIL, lambda: prev(err("turn2", 500, {"error": {"message": "boom"}})))
add("multi_turn.previous-response-id-recall", SKIP, lambda: tr("multi_turn.previous-response-id", err("turn1"),
                                                               nonce="MEM-424242"))
add("multi_turn.previous-response-id-echoed", PASS, lambda: prev(ex("turn2", 200, GOOD_TURN2)))
add("multi_turn.previous-response-id-echoed", WARN, lambda: prev(ex("turn2", 200, text_resp(
    "MEM-424242", previous_response_id=None))))
add("multi_turn.context-usage", PASS, lambda: prev(ex("turn2", 200, GOOD_TURN2)))
add("multi_turn.context-usage", WARN, lambda: prev(ex("turn2", 200, text_resp(
    "x", usage={**USAGE, "input_tokens": 12, "total_tokens": 17}))))
add("multi_turn.context-usage", PASS, lambda: prev(ex("turn2", 200, text_resp(
    "x", usage={**USAGE, "input_tokens": 12, "total_tokens": 17})), turn1_usage={
        **USAGE, "input_tokens": 8, "output_tokens": 50, "output_tokens_details": {"reasoning_tokens": 48}}))
add("multi_turn.context-usage", SKIP, lambda: prev(ex("turn2", 200, text_resp("x", usage=None))))


def history(turn2: Exchange) -> Transcript:
    return tr("multi_turn.manual-history", ex("turn1", 200, text_resp("OK")), turn2, nonce="HIST-515151")


add("multi_turn.manual-history-accepted", PASS, lambda: history(ex("turn2", 200, text_resp("HIST-515151"))))
add("multi_turn.manual-history-accepted", FAIL, lambda: history(err("turn2", 400)))
add("multi_turn.manual-history-recall", PASS, lambda: history(ex("turn2", 200, text_resp("HIST-515151"))))
add("multi_turn.manual-history-recall", FAIL, lambda: history(ex("turn2", 200, text_resp("OK"))))
add("multi_turn.manual-history-recall", SKIP, lambda: history(err("turn2", 400)))


def leak(turn1_text: str, turn2: Exchange) -> Transcript:
    return tr("multi_turn.instructions-not-inherited", ex("turn1", 200, text_resp(turn1_text)), turn2,
              nonce="LEAK-909090")


add("multi_turn.instructions-not-inherited", PASS, lambda: leak('{"number":4}', ex("turn2", 200, text_resp("NONE"))))
add("multi_turn.instructions-not-inherited", FAIL, lambda: leak('{"number":4}', ex("turn2", 200, text_resp(
    "LEAK-909090"))))
add("multi_turn.instructions-not-inherited", FAIL, lambda: leak('{"number":4}', ex("turn2", 200, text_resp(
    "NONE", instructions="The secret code word is LEAK-909090."))))
add("multi_turn.instructions-not-inherited", SKIP, lambda: leak("LEAK-909090", ex("turn2", 200, text_resp(
    "LEAK-909090"))))
add("multi_turn.instructions-not-inherited", UNSUP, lambda: leak('{"number":4}', err("turn2", 404)))


# The control of a refusal rule: the same feature used rightly, which must be accepted (issue 18: vacuous passes).
def control(ok: bool = True) -> Exchange:
    return ex("control", 200, text_resp("OK")) if ok else err("control", 400)


def unstored(turn2: Exchange, *more: Exchange) -> Transcript:
    return tr("multi_turn.unstored-previous-response", ex("turn1", 200, text_resp("OK")), turn2, *more)


add("multi_turn.unstored-not-found", PASS, lambda: unstored(err("turn2", 404), control()))
# llama.cpp refuses every previous_response_id, stored or not: the refusal proves nothing.
add("multi_turn.unstored-not-found", SKIP, lambda: unstored(err("turn2", 400), control(ok=False)))
add("multi_turn.unstored-not-found", SKIP, lambda: unstored(err("turn2", 404)))  # no control sent
add("multi_turn.unstored-not-found", FAIL, lambda: unstored(ex("turn2", 200, text_resp("OK"))))
# A refusal whose body is not OpenAI's envelope is still a refusal: errors.envelope judges the body, once, on every
# exchange (issue 22: a cross-cutting fault shows in its own row, not in every refusal rule).
add("multi_turn.unstored-not-found", PASS, lambda: unstored(err("turn2", 400, {"detail": "not found"}), control()))
add("multi_turn.unstored-not-found", UNSUP, lambda: tr("multi_turn.unstored-previous-response", err("turn1", 400)))

# JSON mode
SKY = {"type": "object", "properties": {"color": {"type": "string", "enum": ["blue", "grey"]},
                                        "daytime": {"type": "boolean"}},
       "required": ["color", "daytime"], "additionalProperties": False}
add("json_mode.schema-valid", PASS, lambda: tr("json_mode.json-schema", ex("create", 200, text_resp(
    '{"color":"blue","daytime":true}')), schema=SKY))
add("json_mode.schema-valid", FAIL, lambda: tr("json_mode.json-schema", ex("create", 200, text_resp(
    "The sky is blue.")), schema=SKY))
add("json_mode.schema-valid", FAIL, lambda: tr("json_mode.json-schema", ex("create", 200, text_resp(
    '{"color":"purple","daytime":true}')), schema=SKY))
add("json_mode.schema-valid", FAIL, lambda: tr("json_mode.json-schema", err("create", 400), schema=SKY))
add("json_mode.json-object", PASS, lambda: tr("json_mode.json-object", ex("create", 200, text_resp(
    '{"answer":"yes"}'))))
add("json_mode.json-object", FAIL, lambda: tr("json_mode.json-object", ex("create", 200, text_resp('["yes"]'))))
add("json_mode.json-object", FAIL, lambda: tr("json_mode.json-object", ex("create", 200, text_resp("yes"))))


def capped_json(text: str) -> Transcript:
    """The suite's own max_output_tokens cut the answer (issue 22: JSON cut at 64 tokens)."""
    create = ex("create", 200, resp(msg(text, status="incomplete"), status="incomplete",
                                    incomplete_details={"reason": "max_output_tokens"}))
    create.request.body = {"model": "m", "max_output_tokens": 64, "text": {"format": {"type": "json_object"}}}
    return tr("json_mode.json-object", create)


add("json_mode.json-object", SKIP, lambda: capped_json('{"answer": "yes", "reason": "the sky is'))
add("json_mode.json-object", FAIL, lambda: capped_json("Sure! Here is a JSON object with one key"))
add("json_mode.invalid-format-rejected", PASS, lambda: tr("json_mode.invalid-format", err("no-schema"),
                                                          err("unknown-type"), control()))
add("json_mode.invalid-format-rejected", SKIP, lambda: tr("json_mode.invalid-format", err("no-schema"),
                                                          err("unknown-type"), control(ok=False)))
add("json_mode.invalid-format-rejected", FAIL, lambda: tr("json_mode.invalid-format", err("no-schema"),
                                                          ex("unknown-type", 200, text_resp("hi"))))
add("json_mode.invalid-format-rejected", FAIL, lambda: tr("json_mode.invalid-format", err("no-schema", 500),
                                                          err("unknown-type")))

# tools
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
        "additionalProperties": False}
TOOLS = {"get_weather": CITY, "get_time": CITY}


def tools_tr(scenario: str, *output: dict[str, Any], **params: Any) -> Transcript:
    return tr(scenario, ex("create", 200, resp(*output)), tools=TOOLS, **params)


add("tools.calls-well-formed", PASS, lambda: tools_tr("tools.parallel", call(), call("get_time", call_id="call_2")))
add("tools.calls-well-formed", FAIL, lambda: tools_tr("tools.required", call("get_stock")))
add("tools.calls-well-formed", FAIL, lambda: tools_tr("tools.named", call(args='{"town":"Paris"}')))
add("tools.calls-well-formed", FAIL, lambda: tools_tr("tools.named", call(args="city=Paris")))
add("tools.calls-well-formed", FAIL, lambda: tools_tr("tools.parallel", call(), call("get_time")))
add("tools.named-choice", PASS, lambda: tools_tr("tools.named", call("get_time"), forced="get_time"))
add("tools.named-choice", FAIL, lambda: tools_tr("tools.named", call("get_weather"), forced="get_time"))
add("tools.named-choice", FAIL, lambda: tools_tr("tools.named", msg("It is sunny."), forced="get_time"))
add("tools.named-choice", FAIL, lambda: tr("tools.named", err("create"), tools=TOOLS, forced="get_time"))
add("tools.required-choice", PASS, lambda: tools_tr("tools.required", call()))
add("tools.required-choice", FAIL, lambda: tools_tr("tools.required", msg("Hello!")))
def with_control(scenario: str, judged: list[dict[str, Any]], control: list[dict[str, Any]]) -> Transcript:
    """The judged create and the scenario's control (the same request without the constraint)."""
    return tr(scenario, ex("create", 200, resp(*judged)), ex("control", 200, resp(*control)), tools=TOOLS)


add("tools.none-choice", PASS, lambda: with_control("tools.none", [msg("I cannot check.")], [call()]))
add("tools.none-choice", FAIL, lambda: with_control("tools.none", [call()], [call()]))
add("tools.none-choice", FAIL, lambda: tools_tr("tools.none", call()))  # a call under none needs no control
# A model that never calls a tool: no call under none proves nothing (SmolLM2 on llama.cpp).
add("tools.none-choice", SKIP, lambda: with_control("tools.none", [msg("I cannot check.")], [msg("Hello!")]))
add("tools.none-choice", SKIP, lambda: tools_tr("tools.none", msg("I cannot check.")))
add("tools.auto-called", PASS, lambda: tools_tr("tools.auto", call()))
add("tools.auto-called", WARN, lambda: tools_tr("tools.auto", msg("Sunny, probably.")))
add("tools.parallel-calls", PASS, lambda: tools_tr("tools.parallel", call(), call("get_time", call_id="call_2")))
add("tools.parallel-calls", WARN, lambda: tools_tr("tools.parallel", call()))

TWO_CALLS = [call(), call("get_time", call_id="call_2", item_id="fc_2")]
add("tools.parallel-disabled", PASS, lambda: with_control("tools.parallel-disabled", [call()], TWO_CALLS))
add("tools.parallel-disabled", FAIL, lambda: tools_tr("tools.parallel-disabled", call(),
                                                      call("get_time", call_id="call_2")))
# The same request allowed parallel calls made one anyway: one call under false proves nothing.
add("tools.parallel-disabled", SKIP, lambda: with_control("tools.parallel-disabled", [call()], [call()]))


def round_trip(answer: Exchange, first: dict[str, Any] | None = None) -> Transcript:
    return tr("tools.round-trip", ex("call", 200, first or resp(call())), answer, tools=TOOLS, nonce="WEATHER-3131")


add("tools.output-accepted", PASS, lambda: round_trip(ex("answer", 200, text_resp("Code WEATHER-3131, sunny."))))
add("tools.output-accepted", FAIL, lambda: round_trip(err("answer", 400)))
add("tools.output-accepted", SKIP, lambda: round_trip(ex("answer", 200, text_resp("x")), first=text_resp("Sunny")))
add("tools.output-recall", PASS, lambda: round_trip(ex("answer", 200, text_resp("Code WEATHER-3131, sunny."))))
add("tools.output-recall", FAIL, lambda: round_trip(ex("answer", 200, resp(call(call_id="call_9")))))
add("tools.output-recall", SKIP, lambda: round_trip(err("answer", 400)))


def call_stream(final_output: list[dict[str, Any]], deltas: tuple[str, ...] = ('{"city":', '"Paris"}'),
                item: dict[str, Any] | None = None) -> Transcript:
    item = item or call()
    events = ({"type": "response.output_item.added", "output_index": 0, "item": {**item, "arguments": ""}},
              *({"type": "response.function_call_arguments.delta", "item_id": item["id"], "output_index": 0,
                 "delta": d} for d in deltas),
              {"type": "response.output_item.done", "output_index": 0, "item": item})
    return tr("tools.streamed-arguments", ex("stream", sse_text=stream_of(resp(*final_output), extra=events)),
              tools=TOOLS, forced="get_weather")


add("tools.streamed-call", PASS, lambda: call_stream([call()]))
add("tools.streamed-call", FAIL, lambda: call_stream([]))
add("tools.streamed-call", FAIL, lambda: call_stream([call("get_time")], item=call("get_time")))
add("tools.streamed-argument-events", PASS, lambda: call_stream([call()]))
add("tools.streamed-argument-events", WARN, lambda: call_stream([call()], deltas=()))
add("tools.streamed-argument-events", WARN, lambda: call_stream([call()], deltas=('{"city":"Rome"}',)))
add("tools.streamed-argument-events", SKIP, lambda: tr("tools.streamed-arguments", err("stream"), tools=TOOLS,
                                                       forced="get_weather"))
add("tools.chat-shape-rejected", PASS, lambda: tr("tools.chat-shape", err("create"), control()))
add("tools.chat-shape-rejected", SKIP, lambda: tr("tools.chat-shape", err("create"), control(ok=False)))
add("tools.chat-shape-rejected", WARN, lambda: tr("tools.chat-shape", ex("create", 200, text_resp("ok"))))

# storage
add("storage.store-honoured", PASS, lambda: tr("storage.retrieve", ex("create", 200, text_resp("hi", store=True))))
add("storage.store-honoured", WARN, lambda: tr("storage.retrieve", ex("create", 200, text_resp("hi", store=False))))
add("storage.store-honoured", SKIP, lambda: tr("storage.retrieve", err("create")))
# A created Response without an id: the scenario can make no retrieve, which is a missing precondition (SKIP,
# see schema.response), never an ERROR.
add("storage.retrieve-matches", SKIP, lambda: tr("storage.retrieve", ex("create", 200,
                                                                       {**text_resp("hi"), "id": None})))
add("multi_turn.previous-response-id-recall", SKIP, lambda: tr("multi_turn.previous-response-id", ex(
    "turn1", 200, {**text_resp("hi"), "id": None}), nonce="MEM-424242"))
add("storage.retrieve-matches", PASS, lambda: tr("storage.retrieve", ex("create", 200, text_resp("hi")),
                                                 ex("retrieve", 200, text_resp("hi"), method="GET")))
add("storage.retrieve-matches", FAIL, lambda: tr("storage.retrieve", ex("create", 200, text_resp("hi")),
                                                 ex("retrieve", 200, text_resp("bye"), method="GET")))
add("storage.retrieve-matches", FAIL, lambda: tr("storage.retrieve", ex("create", 200, text_resp("hi")),
                                                 ex("retrieve", 200, text_resp("hi", rid="resp_x"), method="GET")))
add("storage.retrieve-matches", UNSUP, lambda: tr("storage.retrieve", ex("create", 200, text_resp("hi")),
                                                  err("retrieve", 404)))
add("storage.retrieve-matches", SKIP, lambda: tr("storage.retrieve", err("create")))

WORDS = ["ITEM-100001", "ITEM-100002", "ITEM-100003"]


def page(words: list[str], has_more: bool = False, ids: list[str] | None = None) -> dict[str, Any]:
    ids = ids or [f"msg_{w[-1]}" for w in words]
    data = [{"id": i, "type": "message", "role": "user", "status": "completed",
             "content": [{"type": "input_text", "text": w}]} for i, w in zip(ids, words)]
    return {"object": "list", "data": data, "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None, "has_more": has_more}


def items(default: list[str] | None = None, asc: list[str] | None = None, page1: dict[str, Any] | None = None,
          page2: dict[str, Any] | None = None) -> Transcript:
    return tr("storage.input-items", ex("create", 200, text_resp("hi")),
              ex("default", 200, page(default if default is not None else WORDS[::-1])),
              ex("asc", 200, page(asc if asc is not None else WORDS)), ex("desc", 200, page(WORDS[::-1])),
              ex("page1", 200, page1 or page(WORDS[:1], has_more=True)),
              ex("page2", 200, page2 or page(WORDS[1:2], has_more=True)), items=WORDS)


add("storage.input-items-order", PASS, items)
add("storage.input-items-order", FAIL, lambda: items(asc=WORDS[::-1]))
add("storage.input-items-order", UNSUP, lambda: tr("storage.input-items", ex("create", 200, text_resp("hi")),
                                                   err("default", 404), err("asc", 404), items=WORDS))
add("storage.input-items-default-order", PASS, items)
add("storage.input-items-default-order", WARN, lambda: items(default=WORDS))
add("storage.input-items-pagination", PASS, items)
add("storage.input-items-pagination", FAIL, lambda: items(page1=page(WORDS[:1], has_more=False)))
add("storage.input-items-pagination", FAIL, lambda: items(page1=page(WORDS[:2], has_more=True)))
add("storage.input-items-pagination", FAIL, lambda: items(page2=page(WORDS[:1], has_more=True)))
add("storage.deleted-not-found", PASS, lambda: tr("storage.delete", ex("create", 200, text_resp("hi")),
                                                  control(), ex("delete", 200, {"id": "resp_1", "deleted": True}),
                                                  err("retrieve", 404)))
add("storage.deleted-not-found", SKIP, lambda: tr("storage.delete", ex("create", 200, text_resp("hi")),
                                                  err("control", 404),
                                                  ex("delete", 200, {"id": "resp_1", "deleted": True}),
                                                  err("retrieve", 404)))
add("storage.deleted-not-found", FAIL, lambda: tr("storage.delete", ex("create", 200, text_resp("hi")),
                                                  ex("delete", 200, {"id": "resp_1", "deleted": True}),
                                                  ex("retrieve", 200, text_resp("hi"))))
add("storage.deleted-not-found", UNSUP, lambda: tr("storage.delete", ex("create", 200, text_resp("hi")),
                                                   err("delete", 405, None)))

# background
add("background.queued", PASS, lambda: tr("background.poll", ex("create", 200, resp(status="queued", usage=None))))
add("background.queued", FAIL, lambda: tr("background.poll", ex("create", 200, text_resp("hi", background=False))))
add("background.queued", UNSUP, lambda: tr("background.poll", err("create", 400)))


def polled(*statuses: str) -> Transcript:
    return tr("background.poll", ex("create", 200, resp(status="queued")),
              *(ex("poll", 200, resp(status=s)) for s in statuses), poll_timeout_s=30.0)


add("background.completes", PASS, lambda: polled("in_progress", "completed"))
add("background.completes", FAIL, lambda: polled("queued", "queued"))
add("background.completes", UNSUP, lambda: tr("background.poll", ex("create", 200, resp(status="queued")),
                                              err("poll", 404)))
add("background.completes", SKIP, lambda: tr("background.poll", err("create", 400)))
add("background.completes", SKIP, lambda: tr("background.poll", ex("create", 200, text_resp("hi"))))


def cancelled(cancel: Exchange, after: str = "cancelled", fg_cancel: Exchange | None = None) -> Transcript:
    return tr("background.cancel", ex("create", 200, resp(status="queued")), cancel,
              ex("retrieve", 200, resp(status=after)), ex("fg-create", 200, text_resp("hi")),
              fg_cancel or err("fg-cancel"))


add("background.cancel", PASS, lambda: cancelled(ex("cancel", 200, resp(status="cancelled"))))
add("background.cancel", FAIL, lambda: cancelled(ex("cancel", 200, resp(status="in_progress")), after="completed"))
add("background.cancel", FAIL, lambda: cancelled(ex("cancel", 200, resp(status="cancelled")), after="completed"))
add("background.cancel", SKIP, lambda: cancelled(ex("cancel", 200, resp(status="completed")), after="completed"))
add("background.cancel", UNSUP, lambda: cancelled(err("cancel", 404, None)))
# A create answered 200 with a JSON null: no id, so the scenario sent no cancel; that is judged, not an ERROR.
add("background.cancel", FAIL, lambda: tr("background.cancel", ex("create", 200, None),
                                          ex("fg-create", 200, text_resp("hi")), err("fg-cancel")))
add("background.cancel-foreground-rejected", PASS, lambda: cancelled(ex("cancel", 200, resp(status="cancelled"))))
add("background.cancel-foreground-rejected", UNSUP, lambda: cancelled(err("cancel", 404, None),
                                                                      fg_cancel=err("fg-cancel", 404, None)))
add("background.cancel-foreground-rejected", WARN, lambda: tr(
    "background.cancel", ex("fg-create", 200, text_resp("hi")), ex("fg-cancel", 200, text_resp("hi"))))

ORIGINAL = sse(*({"type": t, "sequence_number": i, "response": resp(status="queued")} if i < 2 else
                 {"type": t, "sequence_number": i} for i, t in enumerate(
    ["response.created", "response.queued", "response.in_progress", "response.output_item.added",
     "response.output_item.done", "response.completed"])))


def resume(resumed: Exchange | None, after: int | None = 1) -> Transcript:
    exchanges = [ex("stream", sse_text=ORIGINAL)] + ([resumed] if resumed else [])
    params = {"starting_after": after} if after is not None else {}
    return tr("background.stream-resume", *exchanges, **params)


def tail(start: int) -> str:
    types = ["response.in_progress", "response.output_item.added", "response.output_item.done", "response.completed"]
    return sse(*({"type": t, "sequence_number": start + i} for i, t in enumerate(types)))


add("background.stream-resume", PASS, lambda: resume(ex("resume", sse_text=tail(2), method="GET")))
add("background.stream-resume", PASS, lambda: resume(ex("resume", sse_text=tail(2) + sse(
    {"type": "response.ping"}), method="GET")))
add("background.stream-resume", FAIL, lambda: resume(ex("resume", sse_text=tail(0), method="GET")))
add("background.stream-resume", FAIL, lambda: resume(ex("resume", 200, resp(), method="GET")))
add("background.stream-resume", SKIP, lambda: resume(None, after=None))
add("background.stream-resume", UNSUP, lambda: resume(err("resume", 400)))


# limits
def cut(status: str = "incomplete", reason: str | None = "max_output_tokens", used: int = 16,
        item_status: str = "incomplete") -> dict[str, Any]:
    return resp(msg("1, 2, 3, 4, 5, 6", status=item_status), status=status,
                incomplete_details={"reason": reason} if reason else None,
                usage={**USAGE, "output_tokens": used, "total_tokens": 10 + used})


def lim(r: dict[str, Any]) -> Transcript:
    return tr("limits.max-output-tokens", ex("create", 200, r), limit=16)


def lim_stream(r: dict[str, Any], terminal: str = "response.incomplete") -> Transcript:
    return tr("limits.max-output-tokens-stream", ex("stream", sse_text=stream_of(r, terminal)), limit=16)


add("limits.incomplete", PASS, lambda: lim(cut()))
add("limits.incomplete", FAIL, lambda: lim(cut(status="completed", reason=None)))
add("limits.incomplete", FAIL, lambda: lim(cut(reason="length")))
add("limits.incomplete", FAIL, lambda: lim(cut(status="completed", reason=None, used=200)))
add("limits.incomplete", SKIP, lambda: lim(cut(status="completed", reason=None, used=7)))
add("limits.incomplete-stream", PASS, lambda: lim_stream(cut()))
add("limits.incomplete-stream", FAIL, lambda: lim_stream(cut(), terminal="response.completed"))
add("limits.incomplete-stream", FAIL, lambda: lim_stream(cut(status="completed", reason=None), "response.completed"))
add("limits.items-incomplete", PASS, lambda: lim(cut()))
add("limits.items-incomplete", PASS, lambda: lim_stream(cut()))
add("limits.items-incomplete", WARN, lambda: lim(cut(item_status="completed")))
add("limits.items-incomplete", SKIP, lambda: lim(cut(status="completed", reason=None)))

# bad input
add("bad_input.unknown-model-rejected", PASS, lambda: tr("bad_input.unknown-model", err("create")))
add("bad_input.unknown-model-rejected", WARN, lambda: tr("bad_input.unknown-model", ex("create", 200, text_resp("hi"))))
add("bad_input.wrong-type-rejected", PASS, lambda: tr("bad_input.wrong-types", err("max-tokens-string"),
                                                      err("input-number")))
add("bad_input.wrong-type-rejected", FAIL, lambda: tr("bad_input.wrong-types", ex("max-tokens-string", 200,
                                                                                 text_resp("hi")), err("input-number")))
add("bad_input.wrong-type-rejected", PASS, lambda: tr("bad_input.wrong-types", err("max-tokens-string", 422, {
    "detail": [{"msg": "not an int"}]}), err("input-number")))
add("bad_input.wrong-type-rejected", ERROR, lambda: tr("bad_input.wrong-types", err("max-tokens-string", 429),
                                                       err("input-number")))
add("bad_input.unknown-previous-response-rejected", PASS, lambda: tr("bad_input.unknown-previous-response",
                                                                     err("create", 404), control()))
add("bad_input.unknown-previous-response-rejected", SKIP, lambda: tr("bad_input.unknown-previous-response",
                                                                     err("create", 404), control(ok=False)))
add("bad_input.unknown-previous-response-rejected", FAIL, lambda: tr("bad_input.unknown-previous-response",
                                                                     ex("create", 200, text_resp("hi"))))
add("bad_input.status-as-openai", PASS, lambda: tr("bad_input.unknown-model", err("create"),
                                                   expected_status={"create": [400]}))
add("bad_input.status-as-openai", WARN, lambda: tr("bad_input.unknown-model", err("create", 404),
                                                   expected_status={"create": [400]}))
add("bad_input.status-as-openai", WARN, lambda: tr("json_mode.invalid-format", err("no-schema"),
                                                   err("unknown-type", 422),
                                                   expected_status={"no-schema": [400], "unknown-type": [400]}))


# sdk
def sdk(scenario: str, label: str, outcome: dict[str, Any]) -> Transcript:
    return tr(scenario, ex(label, 200, text_resp("hi")), sdk=outcome)


add("sdk.create-ok", PASS, lambda: sdk("sdk.create", "create", {"ok": True, "id": "resp_1", "status": "completed"}))
add("sdk.create-ok", FAIL, lambda: sdk("sdk.create", "create", {
    "ok": False, "exception": "openai.BadRequestError", "message": "Error code: 400"}))
add("sdk.create-ok", ERROR, lambda: sdk("sdk.create", "create", {
    "ok": False, "exception": "openai.APIConnectionError", "message": "Connection error."}))
add("sdk.stream-final-response", PASS, lambda: sdk("sdk.stream", "stream", {"ok": True, "status": "completed"}))
add("sdk.stream-final-response", FAIL, lambda: sdk("sdk.stream", "stream", {
    "ok": False, "exception": "RuntimeError", "message": "Didn't receive a `response.completed` event."}))
# The suite's own cap cut the answer: the stream ended, correctly, in response.incomplete, and openai-python's
# get_final_response() raises on that (it would against OpenAI too): not applicable, not the endpoint's FAIL.
CAPPED = resp(msg("Hello! How", status="incomplete"), status="incomplete",
              incomplete_details={"reason": "max_output_tokens"})


def capped_sdk(scenario: str, label: str, exception: str, message: str) -> Transcript:
    stream = ex(label, 200, sse_text=stream_of(CAPPED, terminal="response.incomplete"))
    stream.request.body = {"model": "m", "input": "Say hello.", "max_output_tokens": 64, "stream": True}
    return tr(scenario, stream, sdk={"ok": False, "exception": exception, "message": message})


add("sdk.stream-final-response", SKIP, lambda: capped_sdk("sdk.stream", "stream", "RuntimeError",
                                                          "Didn't receive a `response.completed` event."))
add("sdk.parse-output-parsed", SKIP, lambda: capped_sdk("sdk.parse", "parse",
                                                        "pydantic_core._pydantic_core.ValidationError", "EOF"))
add("sdk.parse-output-parsed", PASS, lambda: sdk("sdk.parse", "parse", {"ok": True, "parsed_ok": True}))
add("sdk.parse-output-parsed", FAIL, lambda: sdk("sdk.parse", "parse", {"ok": True, "parsed_ok": False,
                                                                        "parsed_type": "NoneType"}))
add("sdk.parse-output-parsed", FAIL, lambda: sdk("sdk.parse", "parse", {
    "ok": False, "exception": "pydantic_core._pydantic_core.ValidationError", "message": "Invalid JSON"}))


# ---- tests -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("check_id,factory,expected", CASES,
                         ids=[f"{c}-{e.value}-{i}" for i, (c, _, e) in enumerate(CASES)])
def test_verdict(check_id: str, factory: Callable[[], Transcript], expected: Verdict) -> None:
    result = judge(get(check_id), factory())
    assert result is not None, f"{check_id} gave no result"
    assert result.verdict is expected, f"{check_id}: {result.verdict.value} ({result.message})"


def _behaviour_checks() -> list[str]:
    """The transcript checks of the families that came before the API surface (test_checks_surface.py has those;
    test_checks_async_sdk.py the async tier's)."""
    return [c.id for c in all_checks()
            if c.scope == "transcript" and c.area not in (*SURFACE_FAMILIES, "run", "async_sdk")]


def test_every_behaviour_check_has_a_pass_and_a_non_pass_case() -> None:
    by_check: dict[str, set[Verdict]] = {}
    for check_id, _, expected in CASES:
        by_check.setdefault(check_id, set()).add(expected)
    for check_id in _behaviour_checks():
        verdicts = by_check.get(check_id, set())
        assert PASS in verdicts, f"{check_id} has no PASS case"
        assert verdicts - {PASS}, f"{check_id} has no FAIL/WARN/SKIP/UNSUPPORTED case"


def test_no_result_where_the_check_does_not_apply() -> None:
    # usage is judged on finished responses only; a refused create gives no usage verdict at all
    assert judge(get("usage.reported"), tr("basic.string-input", err("create"))) is None
    # a bad request that was accepted is the *-rejected checks' business, not status-as-openai's
    assert judge(get("bad_input.status-as-openai"), tr("tools.chat-shape", ex("create", 200, text_resp("ok")),
                                                       expected_status={"create": [400]})) is None
    # no function call at all: calls-well-formed has nothing to judge
    assert judge(get("tools.calls-well-formed"), tools_tr("tools.auto", msg("Sunny."))) is None


def test_model_dependent_flags() -> None:
    flagged = {c.id for c in all_checks() if c.model_dependent and c.id in _behaviour_checks()}
    assert flagged == {
        "basic.echo", "basic.roles-reach-model", "basic.instructions-reach-model", "streaming.echo",
        "multi_turn.previous-response-id-recall", "multi_turn.manual-history-recall", "tools.auto-called",
        "tools.parallel-calls", "tools.output-recall",
    }


def test_a_bad_error_body_fails_errors_envelope_once_not_every_refusal_rule() -> None:
    """Issue 22: FastAPI-style bodies ({"detail": ...}) on every refusal made every refusal rule FAIL beside
    errors.envelope. The body is errors.envelope's; the refusal rule judges that the request was refused."""
    fastapi = err("turn2", 400, {"detail": "Previous response not found"})
    transcript = unstored(fastapi, control())
    assert judge(get("multi_turn.unstored-not-found"), transcript).verdict is PASS
    assert judge(get("errors.envelope"), transcript).verdict is FAIL
