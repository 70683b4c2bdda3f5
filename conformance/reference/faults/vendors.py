"""Deviations real servers are known for, one project after another (docs/rules.md#known-deviations). Each
fault's name starts with the project; the profiles (profiles.py) bundle them per project.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from conformance.reference.faults.base import (
    Fault, drop_types, error_body, error_fields, fault, on_items,
    on_parts, on_responses, pair, per_event, renumber, whole,
)
from conformance.reference.hooks import Chunk, Event, Reply
from conformance.reference.ids import new_id
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord


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
    error = dict(error_fields(reply))
    error["code"] = reply.status
    return Reply(reply.route, reply.status, {"error": error}, reply.headers, reply.subject)


def _content_index_carried(events: list[Event]) -> list[Event]:
    """The content_index keeps counting past a reasoning item's parts into the next item's."""
    carried = parts = 0
    for event in events:
        kind = event.get("type")
        if kind == "response.content_part.added":
            parts += 1
        if isinstance(event.get("content_index"), int):
            event["content_index"] += carried
        if kind == "response.output_item.done":
            carried += parts if event["item"].get("type") == "reasoning" else 0
            parts = 0
    return events


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
    renumber(events[:first_item])
    renumber(events[first_item:])
    return events


def _trtllm_error(reply: Reply) -> Reply:
    error = error_fields(reply)
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


def _reasoning_delta_new_id(event: Event) -> Event:
    if event.get("type") in ("response.reasoning_text.delta", "response.reasoning_summary_text.delta"):
        event["item_id"] = new_id("rs")
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
    return renumber(kept)


def _detail_error(reply: Reply) -> Reply:
    return Reply(reply.route, reply.status, {"detail": error_fields(reply).get("message")}, reply.headers)


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
    error = error_fields(reply)
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


FAULTS: list[Fault] = [
    fault("vllm-store-disabled", "`store: true` is accepted but nothing is stored: retrieve gives 404 and "
          "previous_response_id is not found.", "vLLM #22137", rewrite_request=_store_disabled),
    fault("vllm-instructions-leak", "The `instructions` of earlier turns stay in the context of a "
          "`previous_response_id` chain.", "vLLM #37697", context=_leak_instructions),
    pair("vllm-items-completed-in-incomplete", "Items cut short by `max_output_tokens` are marked `completed` "
         "inside an `incomplete` response.", "vLLM #57998", on_items(_items_completed_in_incomplete)),
    fault("vllm-stream-no-failed", "A stream that fails ends without `response.failed`.", "vLLM #38190",
          events=drop_types("response.failed")),
    fault("vllm-int-error-code", "`error.code` is the HTTP status as an integer.", "vLLM (rules.md#known-deviations)",
          reply=error_body(_int_code)),
    fault("vllm-length-as-completed", "The token limit ends the stream with `response.completed` carrying "
          "`status: incomplete`.", "vLLM (rules.md#known-deviations)", events=per_event(_incomplete_as_completed_event)),
    fault("vllm-content-index-after-reasoning", "The message after a reasoning item keeps counting `content_index` "
          "from the reasoning item's parts (openai-python raises IndexError).", "vLLM #45742",
          events=whole(_content_index_carried)),
    fault("sglang-no-function-item-done", "No `response.output_item.done` for function calls.", "SGLang #12652",
          events=per_event(_no_function_item_done)),
    fault("sglang-empty-completed-output", "`response.completed` carries `output: []`.", "SGLang #12652",
          events=per_event(_empty_completed_output)),
    fault("sglang-cancel-foreground-200", "Cancelling a foreground response returns 200 and the response "
          "instead of a 400.", "SGLang #38087", reply=_cancel_foreground_ok),
    fault("trtllm-ids-differ", "Item ids in the final response differ from the streamed ones.",
          "TensorRT-LLM #19223", events=whole(_final_ids_differ)),
    fault("trtllm-seq-restart", "`sequence_number` restarts at 0 at the first output item.",
          "TensorRT-LLM #19223", events=whole(_sequence_restart)),
    fault("trtllm-error-body", "Errors are `{object: \"error\", message, type, param, code: <int>}` at top "
          "level.", "TensorRT-LLM seed openai_protocol.py", reply=error_body(_trtllm_error)),
    fault("llamacpp-no-sequence-number", "Stream events carry no `sequence_number`.", "llama.cpp (rules.md#known-deviations)",
          events=per_event(_drop_keys("sequence_number"))),
    fault("llamacpp-no-indexes", "Stream events carry no `output_index` or `content_index`.",
          "llama.cpp (rules.md#known-deviations)", events=per_event(_drop_keys("output_index", "content_index"))),
    fault("llamacpp-ignores-text-format", "`text.format` is accepted and ignored: plain text comes back.",
          "llama.cpp (rules.md#known-deviations)", rewrite_request=_ignore_text_format),
    pair("llamacpp-length-as-completed", "The token limit is reported as `completed` with no "
         "`incomplete_details`.", "llama.cpp (rules.md#known-deviations)", on_responses(_limit_as_completed)),
    fault("llamastack-no-output-text-done", "No `response.output_text.done` events.", "Llama Stack ogx #5309",
          events=drop_types("response.output_text.done")),
    pair("llamastack-reason-length", "`incomplete_details.reason` is \"length\".", "Llama Stack (rules.md#known-deviations)",
         on_responses(_reason_length)),
    fault("litellm-done-without-added", "`response.output_item.done` for items never added.",
          "LiteLLM #37852", events=drop_types("response.output_item.added")),
    fault("litellm-id-mismatch", "`response.created` carries a different response id than the terminal "
          "event.", "LiteLLM PR #37956", events=per_event(_created_id_differs)),
    fault("litellm-no-sequence-number", "Stream events carry no `sequence_number`.", "LiteLLM PR #28899",
          events=per_event(_drop_keys("sequence_number"))),
    fault("litellm-reasoning-id-per-delta", "Every reasoning delta carries a new `item_id`.",
          "LiteLLM (rules.md#known-deviations)", events=per_event(_reasoning_delta_new_id)),
    fault("litellm-no-summary-part-added", "No `response.reasoning_summary_part.added` before the summary's deltas.",
          "LiteLLM (rules.md#known-deviations)", events=drop_types("response.reasoning_summary_part.added")),
    fault("gptoss-off-by-one-index", "`output_index` starts at 1.", "gpt-oss reference server (rules.md#known-deviations)",
          events=per_event(_shift_output_index)),
    fault("gptoss-only-item-done", "A streamed function call is sent as a lone `response.output_item.done`.",
          "gpt-oss reference server (rules.md#known-deviations)", events=whole(_only_call_item_done)),
    fault("fastapi-detail-error", "Errors are FastAPI's `{\"detail\": ...}`.", "gpt-oss reference server "
          "(rules.md#known-deviations)", reply=error_body(_detail_error)),
    pair("lmstudio-no-annotations", "`output_text` parts have no `annotations`.", "LM Studio #1089",
         on_parts(_no_annotations)),
    fault("ollama-stateless", "`previous_response_id` is accepted and ignored: earlier turns are not in the "
          "context.", "Ollama (rules.md#known-deviations)", context=_stateless),
    fault("openrouter-no-event-lines", "SSE events have no `event:` line.", "OpenRouter (rules.md#known-deviations)",
          chunks=_strip_event_lines),
    fault("openrouter-done-marker", "Streams end with `data: [DONE]`.", "OpenRouter (rules.md#known-deviations)",
          chunks=_done_marker),
    fault("xai-error-body", "Errors are `{\"code\", \"error\"}`.", "xAI (rules.md#known-deviations, vendor recordings)",
          reply=error_body(_xai_error)),
    fault("gateway-chat-tools-accepted", "Chat-completions-shaped tools `{type, function: {...}}` are "
          "accepted instead of a 400 for `tools[0].name`.", "gateway (seed 001)", rewrite_request=_flatten_chat_tools),
    fault("seed003-tool-call-delta", "Argument deltas are `response.tool_call.delta` events.", "seed 003",
          events=per_event(_tool_call_delta)),
]
