"""Named faults: small deviations from OpenAI's behaviour the reference server can be told to reproduce.

Each fault names the real-world deviation it reproduces (rules.md#known-deviations: project and issue/PR, or "synthetic")
and is nothing but `Hooks` (see hooks.py). A check that no fault can make fail proves nothing; the
kill-matrix test runs the suite once per fault to show which checks catch it.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, Callable, Mapping

from conformance.reference.errors import ApiError
from conformance.reference import surface_faults as sf
from conformance.reference.hooks import Chunk, Event, Hooks, Reply, SocketPolicy
from conformance.reference.faults.base import (
    LIFECYCLE_TYPES, Fault, drop_types as _drop_types, on_items as _on_items, on_parts as _on_parts,
    on_responses as _on_responses, pair as _pair, per_event as _per_event, responses as _responses,
    whole as _whole, fault as _fault,
)
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord

def _error_body(func: Callable[[Reply], Reply]) -> Callable[[Reply], Reply]:
    return lambda reply: func(reply) if reply.route == "error" else reply


def _error_fields(reply: Reply) -> dict[str, Any]:
    return reply.body.get("error", {}) if isinstance(reply.body, dict) else {}


def _renumber(events: list[Event], start: int = 0, step: int = 1) -> list[Event]:
    for number, event in zip(itertools.count(start, step), events):
        event["sequence_number"] = number
    return events


# Real-world deviations ------------------------------------------------------------------------------------

def _store_disabled(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    return {**body, "store": False}


def _leak_instructions(ctx: Context, chain: list[ResponseRecord]) -> Context:
    earlier = [r.request.instructions for r in chain if r.request.instructions]
    joined = " ".join(earlier + ([ctx.instructions] if ctx.instructions else []))
    return Context(joined or None, ctx.items, ctx.current)


def _items_completed_in_incomplete(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("status") == "incomplete":
        item["status"] = "completed"


def _int_code(reply: Reply) -> Reply:
    error = dict(_error_fields(reply))
    error["code"] = reply.status
    return Reply(reply.route, reply.status, {"error": error}, reply.headers, reply.subject)


def _incomplete_as_completed_event(event: Event) -> Event:
    if event.get("type") == "response.incomplete":
        event["type"] = "response.completed"
    return event


def _no_function_item_done(event: Event) -> Event | None:
    item = event.get("item") or {}
    return None if event.get("type") == "response.output_item.done" and item.get("type") == "function_call" else event


def _empty_completed_output(event: Event) -> Event:
    if event.get("type") == "response.completed":
        event["response"]["output"] = []
    return event


def _cancel_foreground_ok(reply: Reply) -> Reply:
    if reply.route == "cancel" and reply.status == 400 and reply.subject is not None:
        return Reply("cancel", 200, reply.subject, reply.headers, reply.subject)
    return reply


def _final_ids_differ(events: list[Event]) -> list[Event]:
    for event in events:
        if event.get("type") in ("response.completed", "response.incomplete"):
            for index, item in enumerate(event["response"].get("output", [])):
                item["id"] = item["id"].split("_")[0] + f"_final{index}"
    return events


def _sequence_restart(events: list[Event]) -> list[Event]:
    first_item = next((i for i, e in enumerate(events) if e.get("type") == "response.output_item.added"), len(events))
    _renumber(events[:first_item])
    _renumber(events[first_item:])
    return events


def _trtllm_error(reply: Reply) -> Reply:
    error = _error_fields(reply)
    body = {"object": "error", "message": error.get("message"), "type": error.get("type"),
            "param": error.get("param"), "code": reply.status}
    return Reply(reply.route, reply.status, body, reply.headers, reply.subject)


def _drop_keys(*keys: str) -> Callable[[Event], Event]:
    def drop(event: Event) -> Event:
        for key in keys:
            event.pop(key, None)
        return event

    return drop


def _ignore_text_format(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "text"}


def _limit_as_completed(response: dict[str, Any]) -> None:
    if response.get("status") == "incomplete":
        response["status"], response["incomplete_details"] = "completed", None
    for item in response.get("output", []):
        _items_completed_in_incomplete(item, None)


def _reason_length(response: dict[str, Any]) -> None:
    if response.get("incomplete_details"):
        response["incomplete_details"] = {"reason": "length"}


def _created_id_differs(event: Event) -> Event:
    if event.get("type") == "response.created":
        event["response"]["id"] = "resp_" + event["response"]["id"][5:][::-1]
    return event


def _shift_output_index(event: Event) -> Event:
    if isinstance(event.get("output_index"), int):
        event["output_index"] += 1
    return event


def _only_call_item_done(events: list[Event]) -> list[Event]:
    calls = {e["item"]["id"] for e in events
             if e.get("type") == "response.output_item.added" and e["item"].get("type") == "function_call"}
    kept = [e for e in events
            if not (e.get("item_id") in calls or (e.get("type") == "response.output_item.added"
                                                 and e["item"]["id"] in calls))]
    return _renumber(kept)


def _detail_error(reply: Reply) -> Reply:
    return Reply(reply.route, reply.status, {"detail": _error_fields(reply).get("message")}, reply.headers)


def _no_annotations(part: dict[str, Any]) -> None:
    part.pop("annotations", None)


def _stateless(ctx: Context, chain: list[ResponseRecord]) -> Context:
    return Context(ctx.instructions, list(ctx.current), ctx.current)


def _strip_event_lines(chunks: list[Chunk]) -> list[Chunk]:
    stripped = []
    for chunk in chunks:
        text = "".join(line for line in chunk.text.splitlines(keepends=True) if not line.startswith("event:"))
        stripped.append(Chunk(text, chunk.delay, chunk.hang))
    return stripped


def _done_marker(chunks: list[Chunk]) -> list[Chunk]:
    return chunks + [Chunk("data: [DONE]\n\n")]


def _xai_error(reply: Reply) -> Reply:
    error = _error_fields(reply)
    body = {"code": error.get("code") or error.get("type"), "error": error.get("message")}
    return Reply(reply.route, reply.status, body, reply.headers)


def _flatten_chat_tools(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return body
    flat = [{"type": "function", **t["function"]} if isinstance(t, dict) and isinstance(t.get("function"), dict)
            else t for t in tools]
    return {**body, "tools": flat}


def _tool_call_delta(event: Event) -> Event:
    if event.get("type") == "response.function_call_arguments.delta":
        event["type"] = "response.tool_call.delta"
    return event


# Synthetic faults ------------------------------------------------------------------------------------------

def _swap_first(events: list[Event]) -> list[Event]:
    events[0], events[1] = events[1], events[0]
    return _renumber(events)


def _after_terminal(events: list[Event]) -> list[Event]:
    extra = copy.deepcopy(events[1])
    extra["sequence_number"] = len(events)
    return events + [extra]


def _drop_terminal(events: list[Event]) -> list[Event]:
    return events[:-1] if events and events[-1].get("type") in LIFECYCLE_TYPES else events


def _hang_midway(chunks: list[Chunk]) -> list[Chunk]:
    half = max(1, len(chunks) // 2)
    return chunks[:half] + [Chunk("", hang=True)]


def _rename_event_line(chunks: list[Chunk]) -> list[Chunk]:
    old = "event: response.output_item.added\n"
    return [Chunk(c.text.replace(old, "event: response.output_item.created\n"), c.delay, c.hang) for c in chunks]


def _corrupt_json(chunks: list[Chunk]) -> list[Chunk]:
    out, done = [], False
    for chunk in chunks:
        if not done and "response.output_item.added" in chunk.text:
            cut = chunk.text.rstrip("\n").rfind("}")  # drop the closing brace of the data line
            chunk = Chunk(chunk.text[:cut] + chunk.text[cut + 1:], chunk.delay)
            done = True
        out.append(chunk)
    return out


def _alter_first_delta(kind: str) -> Callable[[list[Event]], list[Event]]:
    def alter(events: list[Event]) -> list[Event]:
        for event in events:
            if event.get("type") == kind:
                event["delta"] = event["delta"] + "#"
                break
        return events

    return _whole(alter)


def _sequence_gap(events: list[Event]) -> list[Event]:
    half = len(events) // 2
    for event in events[half:]:
        event["sequence_number"] += 1
    return events


def _sequence_decrease(events: list[Event]) -> list[Event]:
    half = len(events) // 2
    events[half]["sequence_number"], events[half + 1]["sequence_number"] = (
        events[half + 1]["sequence_number"], events[half]["sequence_number"])
    return events


def _no_message_item_done(event: Event) -> Event | None:
    item = event.get("item") or {}
    return None if event.get("type") == "response.output_item.done" and item.get("type") == "message" else event


def _delete_body(reply: Reply) -> Reply:
    if reply.route != "delete":
        return reply
    return Reply("delete", reply.status, {"id": reply.body["id"], "object": "response.deleted"}, reply.headers)


def _string_error(reply: Reply) -> Reply:
    return Reply(reply.route, reply.status, {"error": _error_fields(reply).get("message")}, reply.headers)


def _terminal_status_mismatch(event: Event) -> Event:
    if event.get("type") in ("response.completed", "response.incomplete"):
        event["response"]["status"] = "in_progress"
    return event


def _item_id_changed(event: Event) -> Event:
    if event.get("type") == "response.output_item.done":
        event["item"]["id"] = event["item"]["id"] + "x"
    return event


def _usage_off_by_one(response: dict[str, Any]) -> None:
    if isinstance(response.get("usage"), dict):
        response["usage"]["total_tokens"] += 1


def _omit_nulls(response: dict[str, Any]) -> None:
    for key in ("user", "usage", "incomplete_details", "error"):
        if response.get(key, "present") is None:
            del response[key]


def _status_200(reply: Reply) -> Reply:
    return Reply(reply.route, 200, reply.body, reply.headers, reply.subject)


def _rewrite(**changes: Callable[[Any], Any]) -> Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]:
    """A rewrite_request hook setting each named body field to `func(old value)`; None removes it."""

    def rewrite(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        body = dict(body)
        for name, func in changes.items():
            if name in body:
                value = func(body[name])
                if value is None:
                    body.pop(name)
                else:
                    body[name] = value
        return body

    return rewrite


def _no_instructions(ctx: Context, chain: list[ResponseRecord]) -> Context:
    return Context(None, ctx.items, ctx.current)


def _no_tool_outputs(ctx: Context, chain: list[ResponseRecord]) -> Context:
    current = [i for i in ctx.current if i.get("type") != "function_call_output"]
    return Context(ctx.instructions, [i for i in ctx.items if i.get("type") != "function_call_output"], current)


def _input_items_reversed(reply: Reply) -> Reply:
    if reply.route != "input_items" or not reply.body.get("data"):
        return reply
    data = list(reversed(reply.body["data"]))
    body = {**reply.body, "data": data, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
    return Reply(reply.route, reply.status, body, reply.headers)


def _has_more_false(reply: Reply) -> Reply:
    if reply.route != "input_items":
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "has_more": False}, reply.headers)


def _pings(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for index, event in enumerate(events):
        if index and index % 5 == 0:
            out.append({"type": "response.ping"})
        out.append(event)
    return out


def _comments(chunks: list[Chunk]) -> list[Chunk]:
    return [c for chunk in chunks for c in (Chunk(": keep-alive\n\n"), chunk)]


class _EveryNth:
    """check_request refusing every `n`th create with 429 and Retry-After (a rate-limited endpoint)."""

    def __init__(self, n: int) -> None:
        self.n, self.count = n, 0

    def __call__(self, body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        self.count += 1
        if self.count % self.n:
            return None
        return ApiError(429, "Rate limit reached for requests. Please try again in 1s.", type="requests",
                        code="rate_limit_exceeded", headers={"Retry-After": "1"})


# Synthetic: one fault per otherwise unexercised check --------------------------------------------------------

def _cancel_in_progress(reply: Reply) -> Reply:
    if reply.route != "cancel" or reply.status != 200 or not isinstance(reply.body, dict):
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "status": "in_progress"}, reply.headers, reply.subject)


class _NoRepeats:
    """chunks hook leaving out every chunk already written once (a resumed stream skips what was sent)."""

    def __init__(self) -> None:
        self.sent: set[str] = set()

    def __call__(self, chunks: list[Chunk]) -> list[Chunk]:
        out = [c for c in chunks if c.text not in self.sent]
        self.sent.update(c.text for c in chunks)
        return out


def _status_422(reply: Reply) -> Reply:
    return Reply(reply.route, 422, reply.body, reply.headers, reply.subject) if reply.status == 400 else reply


def _create_in_progress(reply: Reply) -> Reply:
    if reply.route != "create" or not isinstance(reply.body, dict) or reply.body.get("status") != "completed":
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "status": "in_progress"}, reply.headers, reply.subject)


def _set_field(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(response: dict[str, Any]) -> None:
        if key in response:
            response[key] = copy.deepcopy(value)

    return apply


def _no_system_roles(ctx: Context, chain: list[ResponseRecord]) -> Context:
    def keep(item: dict[str, Any]) -> bool:
        return item.get("role") not in ("system", "developer")

    return Context(ctx.instructions, [i for i in ctx.items if keep(i)], [i for i in ctx.current if keep(i)])


def _labelled(content_type: str, errors: bool) -> Callable[[Reply], Reply]:
    def label(reply: Reply) -> Reply:
        if (reply.status >= 400) != errors:
            return reply
        return Reply(reply.route, reply.status, reply.body, {**reply.headers, "content-type": content_type},
                     reply.subject)

    return label


def _refuse_input(kind: str, test: Callable[[dict[str, Any]], bool]) -> Callable[..., ApiError | None]:
    def check(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        items = body.get("input")
        if isinstance(items, list) and any(isinstance(i, dict) and test(i) for i in items):
            return ApiError(400, f"Invalid 'input': {kind} items are not supported.", param="input")
        return None

    return check


def _float_created_at(response: dict[str, Any]) -> None:
    if isinstance(response.get("created_at"), int):
        response["created_at"] += 0.5


def _input_items_untyped(reply: Reply) -> Reply:
    if reply.route != "input_items" or not isinstance(reply.body, dict):
        return reply
    data = [{k: v for k, v in item.items() if k != "type"} for item in reply.body.get("data", [])]
    return Reply(reply.route, reply.status, {**reply.body, "data": data}, reply.headers)


def _delete_object_name(reply: Reply) -> Reply:
    if reply.route != "delete" or not isinstance(reply.body, dict):
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "object": "response.deletion"}, reply.headers)


def _retrieve_no_output(reply: Reply) -> Reply:
    if reply.route != "retrieve" or reply.status != 200 or not isinstance(reply.body, dict):
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "output": []}, reply.headers, reply.subject)


def _unsafe_response_id(response: dict[str, Any]) -> None:
    if isinstance(response.get("id"), str):
        response["id"] += "\u202e1"  # a right-to-left override: shows one id, is another


def _added_twice(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        out.append(event)
        if event.get("type") == "response.output_item.added":
            out.append(copy.deepcopy(event))
    return _renumber(out)


def _item_id_suffixed(event: Event) -> Event:
    if isinstance(event.get("item_id"), str):
        event["item_id"] += "x"
    return event


def _empty_arguments(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("type") == "function_call":
        item["arguments"] = "{}"


def _no_usage_details(response: dict[str, Any]) -> None:
    if isinstance(response.get("usage"), dict):
        response["usage"].pop("input_tokens_details", None)
        response["usage"].pop("output_tokens_details", None)


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def _last_item_only(ctx: Context, chain: list[ResponseRecord]) -> Context:
    earlier = ctx.items[:len(ctx.items) - len(ctx.current)]
    return Context(ctx.instructions, earlier + ctx.current[-1:], ctx.current[-1:])


def _auto_as_none(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    if body.get("tools") and body.get("tool_choice", "auto") == "auto":
        return {**body, "tool_choice": "none"}
    return body


def _never_parallel(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    return {**body, "parallel_tool_calls": False} if body.get("tools") else body


# Subtle deviations (issue 10): each breaks one rule that only a careful reading of the stream shows.

def _added_as_completed(event: Event) -> Event:
    if event.get("type") == "response.output_item.added" and isinstance(event.get("item"), dict):
        if "status" in event["item"]:
            event["item"]["status"] = "completed"
    return event


def _lifecycle_says_completed(event: Event) -> Event:
    if event.get("type") in ("response.created", "response.in_progress") and isinstance(event.get("response"), dict):
        event["response"]["status"] = "completed"
    return event


def _added_name_differs(event: Event) -> Event:
    item = event.get("item")
    if event.get("type") == "response.output_item.added" and isinstance(item, dict) and isinstance(item.get("name"), str):
        item["name"] += "_draft"
    return event


def _interleaved(events: list[Event]) -> list[Event]:
    """A second item is added right after the first one's output_item.added and done after the first is done
    (llama.cpp streams reasoning and message so). A stream with a single item gets an empty reasoning item."""
    added = [i for i, e in enumerate(events) if e.get("type") == "response.output_item.added"]
    if not added:
        return events
    if len(added) >= 2:
        events.insert(added[0] + 1, events.pop(added[1]))
        return _renumber(events)
    first = added[0]
    index = events[first].get("output_index", 0) + 1
    extra = {"id": "rs_interleaved", "type": "reasoning", "summary": []}
    done = next((i for i, e in enumerate(events) if e.get("type") == "response.output_item.done"), None)
    if done is None:
        return events
    events.insert(done + 1, {"type": "response.output_item.done", "output_index": index, "item": dict(extra)})
    events.insert(first + 1, {"type": "response.output_item.added", "output_index": index, "item": dict(extra)})
    for event in events:
        for response in _responses(event):
            if response.get("status") not in ("queued", "in_progress"):
                response["output"] = [*response.get("output", []), dict(extra)]
    return _renumber(events)


def _text_echo(change: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    """A Response hook rewriting `text` of a Response made with a structured (non-text) format."""

    def apply(response: dict[str, Any]) -> None:
        text = response.get("text")
        if isinstance(text, dict) and _dict_get(text, "format", "type") not in (None, "text"):
            response["text"] = change(text)

    return apply


def _terminal_model_differs(event: Event) -> Event:
    response = event.get("response")
    terminal = event.get("type") in ("response.completed", "response.incomplete", "response.failed")
    if terminal and isinstance(response, dict) and isinstance(response.get("model"), str):
        response["model"] += "-2026-01-01"
    return event


def _echo_null(key: str) -> Callable[[dict[str, Any]], None]:
    def apply(response: dict[str, Any]) -> None:
        response[key] = None

    return apply


def _dict_get(obj: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


FAULTS: list[Fault] = [
    # vLLM
    _fault("vllm-store-disabled", "`store: true` is accepted but nothing is stored: retrieve gives 404 and "
           "previous_response_id is not found.", "vLLM #22137", rewrite_request=_store_disabled),
    _fault("vllm-instructions-leak", "The `instructions` of earlier turns stay in the context of a "
           "`previous_response_id` chain.", "vLLM #37697", context=_leak_instructions),
    _pair("vllm-items-completed-in-incomplete", "Items cut short by `max_output_tokens` are marked `completed` "
          "inside an `incomplete` response.", "vLLM #57998", _on_items(_items_completed_in_incomplete)),
    _fault("vllm-stream-no-failed", "A stream that fails ends without `response.failed`.", "vLLM #38190",
           events=_drop_types("response.failed")),
    _fault("vllm-int-error-code", "`error.code` is the HTTP status as an integer.", "vLLM (rules.md#known-deviations)",
           reply=_error_body(_int_code)),
    _fault("vllm-length-as-completed", "The token limit ends the stream with `response.completed` carrying "
           "`status: incomplete`.", "vLLM (rules.md#known-deviations)", events=_per_event(_incomplete_as_completed_event)),
    # SGLang
    _fault("sglang-no-function-item-done", "No `response.output_item.done` for function calls.", "SGLang #12652",
           events=_per_event(_no_function_item_done)),
    _fault("sglang-empty-completed-output", "`response.completed` carries `output: []`.", "SGLang #12652",
           events=_per_event(_empty_completed_output)),
    _fault("sglang-cancel-foreground-200", "Cancelling a foreground response returns 200 and the response "
           "instead of a 400.", "SGLang #38087", reply=_cancel_foreground_ok),
    # TensorRT-LLM
    _fault("trtllm-ids-differ", "Item ids in the final response differ from the streamed ones.",
           "TensorRT-LLM #19223", events=_whole(_final_ids_differ)),
    _fault("trtllm-seq-restart", "`sequence_number` restarts at 0 at the first output item.",
           "TensorRT-LLM #19223", events=_whole(_sequence_restart)),
    _fault("trtllm-error-body", "Errors are `{object: \"error\", message, type, param, code: <int>}` at top "
           "level.", "TensorRT-LLM seed openai_protocol.py", reply=_error_body(_trtllm_error)),
    # llama.cpp
    _fault("llamacpp-no-sequence-number", "Stream events carry no `sequence_number`.", "llama.cpp (rules.md#known-deviations)",
           events=_per_event(_drop_keys("sequence_number"))),
    _fault("llamacpp-no-indexes", "Stream events carry no `output_index` or `content_index`.",
           "llama.cpp (rules.md#known-deviations)", events=_per_event(_drop_keys("output_index", "content_index"))),
    _fault("llamacpp-ignores-text-format", "`text.format` is accepted and ignored: plain text comes back.",
           "llama.cpp (rules.md#known-deviations)", rewrite_request=_ignore_text_format),
    _pair("llamacpp-length-as-completed", "The token limit is reported as `completed` with no "
          "`incomplete_details`.", "llama.cpp (rules.md#known-deviations)", _on_responses(_limit_as_completed)),
    # Llama Stack
    _fault("llamastack-no-output-text-done", "No `response.output_text.done` events.", "Llama Stack ogx #5309",
           events=_drop_types("response.output_text.done")),
    _pair("llamastack-reason-length", "`incomplete_details.reason` is \"length\".", "Llama Stack (rules.md#known-deviations)",
          _on_responses(_reason_length)),
    # LiteLLM
    _fault("litellm-done-without-added", "`response.output_item.done` for items never added.",
           "LiteLLM #37852", events=_drop_types("response.output_item.added")),
    _fault("litellm-id-mismatch", "`response.created` carries a different response id than the terminal "
           "event.", "LiteLLM PR #37956", events=_per_event(_created_id_differs)),
    _fault("litellm-no-sequence-number", "Stream events carry no `sequence_number`.", "LiteLLM PR #28899",
           events=_per_event(_drop_keys("sequence_number"))),
    # gpt-oss reference server
    _fault("gptoss-off-by-one-index", "`output_index` starts at 1.", "gpt-oss reference server (rules.md#known-deviations)",
           events=_per_event(_shift_output_index)),
    _fault("gptoss-only-item-done", "A streamed function call is sent as a lone `response.output_item.done`.",
           "gpt-oss reference server (rules.md#known-deviations)", events=_whole(_only_call_item_done)),
    _fault("fastapi-detail-error", "Errors are FastAPI's `{\"detail\": ...}`.", "gpt-oss reference server "
           "(rules.md#known-deviations)", reply=_error_body(_detail_error)),
    # Others
    _pair("lmstudio-no-annotations", "`output_text` parts have no `annotations`.", "LM Studio #1089",
          _on_parts(_no_annotations)),
    _fault("ollama-stateless", "`previous_response_id` is accepted and ignored: earlier turns are not in the "
           "context.", "Ollama (rules.md#known-deviations)", context=_stateless),
    _fault("openrouter-no-event-lines", "SSE events have no `event:` line.", "OpenRouter (rules.md#known-deviations)",
           chunks=_strip_event_lines),
    _fault("openrouter-done-marker", "Streams end with `data: [DONE]`.", "OpenRouter (rules.md#known-deviations)",
           chunks=_done_marker),
    _fault("xai-error-body", "Errors are `{\"code\", \"error\"}`.", "xAI (rules.md#known-deviations, vendor recordings)",
           reply=_error_body(_xai_error)),
    _fault("gateway-chat-tools-accepted", "Chat-completions-shaped tools `{type, function: {...}}` are "
           "accepted instead of a 400 for `tools[0].name`.", "gateway (seed 001)", rewrite_request=_flatten_chat_tools),
    _fault("seed003-tool-call-delta", "Argument deltas are `response.tool_call.delta` events.", "seed 003",
           events=_per_event(_tool_call_delta)),
    _fault("ping-keepalives", "`response.ping` events (no sequence number) every five events; tolerated, no "
           "check should fail.", "seed 003", events=_whole(_pings)),
    Fault("rate-limit-429", "Every fourth create is refused with 429 `rate_limit_exceeded` and `Retry-After: 1`.",
          "seed 003", factory=lambda: Hooks(check_request=_EveryNth(4))),
    # Synthetic: the §5 grammar and the HTTP contract
    _fault("wrong-first-event", "The stream starts with `response.in_progress`, then `response.created`.",
           "synthetic", events=_whole(_swap_first)),
    _fault("events-after-terminal", "An event follows the terminal event.", "synthetic",
           events=_whole(_after_terminal)),
    _fault("stream-truncated", "The stream closes without a terminal event.", "synthetic",
           events=_whole(_drop_terminal)),
    _fault("stream-idle-hang", "Half-way through, the stream goes silent and the connection stays open.",
           "synthetic", chunks=_hang_midway),
    _fault("no-in-progress", "Streams skip `response.in_progress`: `response.created` is followed by the output.",
           "synthetic", events=_drop_types("response.in_progress")),
    _fault("event-name-mismatch", "`event: response.output_item.created` for `response.output_item.added` "
           "data.", "synthetic", chunks=_rename_event_line),
    _fault("invalid-json-data", "The `data:` of `response.output_item.added` is not valid JSON.", "synthetic",
           chunks=_corrupt_json),
    _fault("wrong-content-type", "Streams are sent as `application/json`.", "synthetic",
           content_type="application/json"),
    _fault("content-type-no-charset", "Streams are sent as `text/event-stream` without a charset.", "synthetic",
           content_type="text/event-stream"),
    _fault("text-delta-mismatch", "The first text delta differs from the text in the done events.", "synthetic",
           events=_alter_first_delta("response.output_text.delta")),
    _fault("argument-delta-mismatch", "The first argument delta differs from the arguments in the done events.",
           "synthetic", events=_alter_first_delta("response.function_call_arguments.delta")),
    _fault("sequence-gap", "`sequence_number` skips one half-way through.", "synthetic",
           events=_whole(_sequence_gap)),
    _fault("sequence-decrease", "Two adjacent `sequence_number`s are swapped half-way through.", "synthetic",
           events=_whole(_sequence_decrease)),
    _fault("sequence-from-one", "`sequence_number` starts at 1.", "synthetic",
           events=_whole(lambda events: _renumber(events, start=1))),
    _fault("message-item-not-done", "Message items get no `response.output_item.done`.", "synthetic",
           events=_per_event(_no_message_item_done)),
    _fault("part-not-added", "No `response.content_part.added` before the text deltas.", "synthetic",
           events=_drop_types("response.content_part.added")),
    _fault("item-identity-changed", "`response.output_item.done` carries a different item id than `added`.",
           "synthetic", events=_per_event(_item_id_changed)),
    _fault("status-terminal-mismatch", "The terminal event's response has `status: in_progress`.", "synthetic",
           events=_per_event(_terminal_status_mismatch)),
    _pair("usage-mismatch", "`usage.total_tokens` is one more than input + output.", "synthetic",
          _on_responses(_usage_off_by_one)),
    _pair("nulls-omitted", "Null `user`, `usage`, `error` and `incomplete_details` are left out of Responses.",
          "synthetic", _on_responses(_omit_nulls)),
    _fault("delete-wrong-body", "DELETE answers without `deleted: true`.", "synthetic", reply=_delete_body),
    _fault("error-body-shape", "Errors are `{\"error\": \"<message>\"}`.", "synthetic",
           reply=_error_body(_string_error)),
    _fault("error-status-200", "Errors are sent with HTTP 200.", "synthetic", reply=_error_body(_status_200)),
    _fault("sse-comments", "An SSE comment precedes every event; tolerated, no check should fail.", "synthetic",
           chunks=_comments),
    # Synthetic: parameters accepted and ignored (the nonce checks must catch each)
    _fault("instructions-ignored", "`instructions` are accepted and not given to the model.", "synthetic",
           context=_no_instructions),
    _fault("function-output-ignored", "`function_call_output` items are accepted and not given to the model.",
           "synthetic", context=_no_tool_outputs),
    _fault("tool-choice-ignored", "`tool_choice` is dropped (treated as auto).", "synthetic",
           rewrite_request=_rewrite(tool_choice=lambda v: None)),
    _fault("tool-choice-none-ignored", "`tool_choice: none` is treated as `required`.", "synthetic",
           rewrite_request=_rewrite(tool_choice=lambda v: "required" if v == "none" else v)),
    _fault("parallel-tool-calls-ignored", "`parallel_tool_calls: false` is ignored.", "synthetic",
           rewrite_request=_rewrite(parallel_tool_calls=lambda v: None)),
    _fault("max-output-tokens-ignored", "`max_output_tokens` is dropped.", "synthetic",
           rewrite_request=_rewrite(max_output_tokens=lambda v: None)),
    _fault("background-ignored", "`background: true` runs in the foreground.", "synthetic",
           rewrite_request=_rewrite(background=lambda v: None)),
    _fault("unknown-model-accepted", "Any model name is served by the reference model.", "synthetic",
           rewrite_request=_rewrite(model=lambda v: "reference-echo")),
    _fault("input-items-reversed", "input_items come back in the opposite of the requested order.", "synthetic",
           reply=_input_items_reversed),
    _fault("input-items-no-more", "input_items always says `has_more: false`.", "synthetic",
           reply=_has_more_false),
    # Synthetic: one fault per check no other fault trips
    _fault("cancel-says-in-progress", "The cancel endpoint answers `status: in_progress` whatever the response's "
           "state.", "synthetic", reply=_cancel_in_progress),
    Fault("resume-skips-sent-events", "A resumed background stream leaves out the events already sent on the "
          "original stream.", "synthetic", factory=lambda: Hooks(chunks=_NoRepeats())),
    _fault("bad-request-422", "Invalid requests are refused with HTTP 422 instead of 400.", "synthetic",
           reply=_error_body(_status_422)),
    _fault("create-says-in-progress", "A finished non-streamed create answers `status: in_progress`.", "synthetic",
           reply=_create_in_progress),
    _pair("instructions-not-echoed", "Responses carry `instructions: null` whatever was sent.", "synthetic",
          _on_responses(_set_field("instructions", None))),
    _fault("system-roles-dropped", "System and developer messages are accepted and not given to the model.",
           "synthetic", context=_no_system_roles),
    _fault("error-text-plain", "Error bodies are labelled `text/plain`.", "synthetic",
           reply=_labelled("text/plain", errors=True)),
    _fault("json-text-plain", "Successful JSON bodies are labelled `text/plain`.", "synthetic",
           reply=_labelled("text/plain", errors=False)),
    _fault("stream-latin1-charset", "Streams are sent as `text/event-stream; charset=iso-8859-1`.", "synthetic",
           content_type="text/event-stream; charset=iso-8859-1"),
    _pair("metadata-null", "Responses carry `metadata: null` whatever was sent.", "synthetic",
          _on_responses(_set_field("metadata", None))),
    _fault("assistant-history-refused", "Input holding earlier assistant messages is refused with 400.",
           "synthetic", check_request=_refuse_input("assistant message", lambda i: i.get("role") == "assistant")),
    _fault("function-call-input-refused", "Input holding `function_call` items is refused with 400.", "synthetic",
           check_request=_refuse_input("function_call", lambda i: i.get("type") == "function_call")),
    _pair("previous-response-id-null", "Responses carry `previous_response_id: null` whatever was sent.",
          "synthetic", _on_responses(_set_field("previous_response_id", None))),
    _pair("created-at-float", "`created_at` is a float (seconds plus a half).", "synthetic",
          _on_responses(_float_created_at)),
    _fault("input-items-untyped", "input_items lists items without their `type`.", "synthetic",
           reply=_input_items_untyped),
    _fault("delete-object-name", "DELETE answers `object: \"response.deletion\"`.", "synthetic",
           reply=_delete_object_name),
    _fault("retrieve-empty-output", "GET /responses/{id} answers the response with `output: []`.", "synthetic",
           reply=_retrieve_no_output),
    _pair("response-id-not-ascii", "Response ids carry a right-to-left override character (not printable ASCII).",
          "synthetic", _on_responses(_unsafe_response_id)),
    _fault("item-added-twice", "Every `response.output_item.added` is sent twice.", "synthetic",
           events=_whole(_added_twice)),
    _fault("item-id-suffixed", "Events that name an item by `item_id` give a different id than `added` did.",
           "synthetic", events=_per_event(_item_id_suffixed)),
    _fault("part-not-done", "No `response.content_part.done` events.", "synthetic",
           events=_drop_types("response.content_part.done")),
    _pair("call-arguments-empty", "Function calls carry `arguments: \"{}\"` whatever the tool requires.",
          "synthetic", _on_items(_empty_arguments)),
    _pair("usage-no-details", "`usage` has no `input_tokens_details` or `output_tokens_details`.", "synthetic",
          _on_responses(_no_usage_details)),
    _fault("response-id-missing", "Non-streamed Responses have no `id`.", "synthetic", response=_without_id),
    _fault("string-input-cut", "A string `input` is cut to its first 16 characters.", "synthetic",
           rewrite_request=_rewrite(input=lambda v: v[:16] if isinstance(v, str) else v)),
    _fault("last-input-item-only", "Only the last item of an `input` list is given to the model.", "synthetic",
           context=_last_item_only),
    _fault("tool-choice-auto-as-none", "`tool_choice: auto` (the default) is treated as `none`.", "synthetic",
           rewrite_request=_auto_as_none),
    _fault("parallel-tool-calls-forced-off", "`parallel_tool_calls` is always treated as false.", "synthetic",
           rewrite_request=_never_parallel),
    # API surface (issue 11): WebSocket mode, compact, input_tokens, conversations, image/file input, concurrency
    _fault("ws-upgrade-500", "The WebSocket upgrade on /v1/responses is answered with HTTP 500.", "synthetic",
           socket=SocketPolicy(deny_status=500)),
    _fault("ws-close-1011", "WebSocket mode accepts the upgrade, then closes the socket with code 1011.",
           "a gateway seen by the Open Responses compliance test (issue 11)", socket=SocketPolicy(close_on_accept=1011)),
    _fault("ws-previous-response-dropped", "Over a socket, `previous_response_id` is ignored.", "synthetic",
           socket=SocketPolicy(drop_previous_response_id=True)),
    _fault("ws-error-closes", "An invalid response.create closes the socket (code 1008) without an `error` event.",
           "synthetic", socket=SocketPolicy(close_on_error=1008)),
    _fault("ws-closed-after-error", "After the `error` event for an invalid response.create, the socket is "
           "closed.", "synthetic", socket=SocketPolicy(close_after_error=True)),
    _fault("compact-object-name", "The compaction answers `object: \"response.compacted\"`.", "synthetic",
           reply=sf.on_route("compact", sf.set_key("object", "response.compacted"))),
    _fault("compact-drops-user-messages", "The compacted output holds only the compaction item.", "synthetic",
           reply=sf.on_route("compact", sf.keep_only_compaction)),
    _fault("compaction-input-refused", "Input holding `compaction` items is refused with 400.", "synthetic",
           check_request=_refuse_input("compaction", lambda i: i.get("type") == "compaction")),
    _fault("input-tokens-constant", "input_tokens always counts 1.", "synthetic",
           reply=sf.on_route("input_tokens", sf.set_key("input_tokens", 1))),
    _fault("input-tokens-string", "input_tokens sends the count as a string.", "synthetic",
           reply=sf.on_route("input_tokens", lambda b: b.update(input_tokens=str(b["input_tokens"])))),
    _fault("conversation-object-missing", "Conversation objects have no `object`.", "synthetic",
           reply=sf.on_route("conversations", sf.drop_key("object", lambda b: b.get("object") == "conversation"))),
    _fault("conversation-items-newest-first", "Conversation items are always listed newest first, whatever "
           "`order` says.", "synthetic", reply=sf.on_route("conversation_items", sf.reverse_data)),
    _pair("conversation-not-reported", "Responses created with `conversation` do not report it.", "synthetic",
          _on_responses(sf.drop_key("conversation"))),
    _fault("conversation-ignored", "`conversation` is accepted and ignored (stateless).", "synthetic",
           rewrite_request=_rewrite(conversation=lambda v: None)),
    _fault("conversation-with-previous-accepted", "A create with both `conversation` and `previous_response_id` "
           "is accepted (previous_response_id ignored).", "synthetic",
           rewrite_request=sf.drop_when("previous_response_id", "conversation")),
    _fault("conversation-delete-object", "Deleting a conversation answers `object: \"conversation\"`.", "synthetic",
           reply=sf.on_route("conversations", sf.set_key("object", "conversation", lambda b: "deleted" in b))),
    _fault("image-input-500", "A create holding an input_image is answered with HTTP 500.",
           "three servers seen by the Open Responses compliance test (issue 11)",
           check_request=sf.server_error_on("input_image")),
    _fault("file-input-500", "A create holding an input_file is answered with HTTP 500.", "synthetic",
           check_request=sf.server_error_on("input_file")),
    _fault("file-input-ignored", "input_file parts are accepted and never given to the model.", "synthetic",
           rewrite_request=sf.without_parts("input_file")),
    _fault("concurrent-500", "A create that overlaps another with the same `instructions` is answered with HTTP "
           "500.", "a server seen by the Open Responses compliance test (issue 11)", overlap=sf.overlap_500),
    _fault("concurrent-cross-talk", "A create that overlaps another with the same `instructions` is answered "
           "with the other's input and metadata.", "synthetic", overlap=sf.overlap_cross_talk),
    _fault("concurrent-stray-call", "A create that overlaps another with the same `instructions` is answered "
           "with a function call nobody declared.", "a server seen by the Open Responses compliance test "
           "(issue 11)", overlap=sf.overlap_stray_call),
    # Subtle stream and echo deviations (issue 10)
    _fault("item-added-completed", "Items are announced in `response.output_item.added` with status `completed`.",
           "synthetic", events=_per_event(_added_as_completed)),
    _fault("lifecycle-says-completed", "`response.created` and `response.in_progress` carry status `completed`.",
           "synthetic", events=_per_event(_lifecycle_says_completed)),
    _fault("function-name-changes", "A function call is announced in `output_item.added` with another `name` "
           "than the one it is done with.", "synthetic", events=_per_event(_added_name_differs)),
    _fault("items-interleaved", "A second output item (an empty reasoning item when there is only one) is added "
           "before the first is done.",
           "llama.cpp (rules.md#known-deviations)", events=_whole(_interleaved)),
    _pair("text-echo-null", "A Response made with a structured `text.format` echoes `text: null`.", "synthetic",
          _on_responses(_text_echo(lambda text: None))),
    _pair("text-format-echo-text", "A Response made with a structured `text.format` echoes "
          "`text.format: {type: text}`.", "synthetic",
          _on_responses(_text_echo(lambda text: {**text, "format": {"type": "text"}}))),
    _pair("max-output-tokens-echo-null", "Responses carry `max_output_tokens: null` whatever was sent (the limit "
          "still applies).", "synthetic", _on_responses(_echo_null("max_output_tokens"))),
    _fault("terminal-model-differs", "The terminal event's Response names another `model` than "
           "`response.created` announced.", "synthetic", events=_per_event(_terminal_model_differs)),
]


