"""Builders for hand-made Responses API streams: a valid OpenAI-like stream, and helpers to mutate it.

Events are plain dicts (the `data:` JSON). ``render`` numbers them (``sequence_number`` 0, 1, 2, …, unless
an event already has one) and frames them as OpenAI does; ``exchange`` wraps the text in an Exchange.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Iterable

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse

Event = dict[str, Any]
RESP_ID = "resp_test"


def response(status: str = "in_progress", output: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": RESP_ID, "object": "response", "status": status, "error": None, "incomplete_details": None,
            "output": output or [], "usage": None, **extra}


def message(output_index: int, chunks: Iterable[str], item_id: str = "msg_1", status: str = "completed",
            part_type: str = "output_text") -> list[Event]:
    """output_item.added, content_part.added, deltas, *.done, content_part.done, output_item.done."""
    chunks = list(chunks)
    key, stream = ("refusal", "response.refusal") if part_type == "refusal" else ("text", "response.output_text")
    text = "".join(chunks)
    empty_part = {"type": part_type, key: ""} | ({"annotations": []} if part_type == "output_text" else {})
    part = {**empty_part, key: text}
    ref = {"item_id": item_id, "output_index": output_index, "content_index": 0}
    item = {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    return [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
        {"type": "response.content_part.added", **ref, "part": empty_part},
        *({"type": f"{stream}.delta", **ref, "delta": c} for c in chunks),
        {"type": f"{stream}.done", **ref, key: text},
        {"type": "response.content_part.done", **ref, "part": part},
        {"type": "response.output_item.done", "output_index": output_index,
         "item": {**item, "status": status, "content": [part]}},
    ]


def function_call(output_index: int, chunks: Iterable[str], item_id: str = "fc_1", call_id: str = "call_1",
                  name: str = "get_weather") -> list[Event]:
    chunks = list(chunks)
    args = "".join(chunks)
    item = {"id": item_id, "type": "function_call", "status": "in_progress", "arguments": "", "call_id": call_id,
            "name": name}
    ref = {"item_id": item_id, "output_index": output_index}
    return [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
        *({"type": "response.function_call_arguments.delta", **ref, "delta": c} for c in chunks),
        # Like OpenAI: no `name` on function_call_arguments.done.
        {"type": "response.function_call_arguments.done", **ref, "arguments": args},
        {"type": "response.output_item.done", "output_index": output_index,
         "item": {**item, "status": "completed", "arguments": args}},
    ]


def reasoning(output_index: int, chunks: Iterable[str], item_id: str = "rs_1") -> list[Event]:
    chunks = list(chunks)
    text = "".join(chunks)
    ref = {"item_id": item_id, "output_index": output_index, "summary_index": 0}
    item = {"id": item_id, "type": "reasoning", "summary": [], "encrypted_content": "gAAAA-added"}
    part = {"type": "summary_text", "text": text}
    return [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
        {"type": "response.reasoning_summary_part.added", **ref, "part": {"type": "summary_text", "text": ""}},
        *({"type": "response.reasoning_summary_text.delta", **ref, "delta": c} for c in chunks),
        {"type": "response.reasoning_summary_text.done", **ref, "text": text},
        {"type": "response.reasoning_summary_part.done", **ref, "part": part},
        {"type": "response.output_item.done", "output_index": output_index,
         "item": {**item, "summary": [part], "encrypted_content": "gAAAA-done"}},
    ]


def stream(*items: list[Event], terminal: str = "response.completed", queued: bool = False,
           **terminal_fields: Any) -> list[Event]:
    """A whole stream; the terminal response's output is the done items (as OpenAI sends it)."""
    body = [e for group in items for e in group]
    output = [copy.deepcopy(e["item"]) for e in body if e["type"] == "response.output_item.done"]
    status = {"response.completed": "completed", "response.incomplete": "incomplete",
              "response.failed": "failed"}[terminal]
    lifecycle = [{"type": "response.created", "response": response("queued" if queued else "in_progress")}]
    if queued:
        lifecycle.append({"type": "response.queued", "response": response("queued")})
    lifecycle.append({"type": "response.in_progress", "response": response()})
    end = {"type": terminal, "response": response(status, output, **terminal_fields)}
    return fresh(lifecycle + body + [end])


def fresh(events: list[Event]) -> list[Event]:
    """A copy sharing no object between events, so editing one event never edits another."""
    return [copy.deepcopy(e) for e in events]


def valid() -> list[Event]:
    """Reasoning, then a message, then a function call: the shapes the grammar knows."""
    return stream(reasoning(0, ["Think", "ing."]), message(1, ["Hel", "lo", "!"]),
                  function_call(2, ['{"city"', ':"Paris"}']))


def index_of(events: list[Event], type_: str, nth: int = 0) -> int:
    """Position of the nth event of a type."""
    return [i for i, e in enumerate(events) if e["type"] == type_][nth]


def find(events: list[Event], type_: str, nth: int = 0) -> Event:
    return events[index_of(events, type_, nth)]


def without(events: list[Event], type_: str, nth: int = 0) -> list[Event]:
    out = fresh(events)
    del out[index_of(out, type_, nth)]
    return out


def render(events: list[Event], numbered: bool = True, start: int = 0) -> str:
    out = []
    for n, ev in enumerate(events, start):
        data = {**ev, "sequence_number": n} if numbered and "sequence_number" not in ev else ev
        out.append(f"event: {ev.get('type')}\ndata: {json.dumps(data)}\n\n")
    return "".join(out)


def exchange(events: list[Event] | str, *, recorded_at: str | None = "2026-06-01T00:00:00Z", status: int = 200,
             method: str = "POST", path: str = "/v1/responses", query: dict[str, str] | None = None) -> Exchange:
    text = events if isinstance(events, str) else render(events)
    return Exchange(
        request=RecordedRequest(method=method, path=path, body={"model": "m", "input": "hi", "stream": True},
                                query=query),
        response=RecordedResponse(status=status, headers={"content-type": "text/event-stream; charset=utf-8"},
                                  sse=text),
        recorded_at=recorded_at,
    )
