"""The Response object and output items, with every field api.openai.com sends, in its order."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conformance.reference.ids import new_id
from conformance.reference.reasoning import encrypt
from conformance.reference.request import CreateRequest

TERMINAL_STATUSES = frozenset({"completed", "incomplete", "failed", "cancelled"})


@dataclass
class ResponseRecord:
    """One response as the server keeps it: the request, its current state and (for background
    responses) the event log that `GET ?stream=true` replays."""

    request: CreateRequest
    id: str = field(default_factory=lambda: new_id("resp"))
    created_at: int = field(default_factory=lambda: int(time.time()))
    status: str = "in_progress"
    output: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    incomplete_details: dict[str, Any] | None = None
    completed_at: int | None = None
    context: list[dict[str, Any]] = field(default_factory=list)  # items a later turn sees (inputs + outputs)
    events: list[dict[str, Any]] = field(default_factory=list)  # background event log
    log_closed: bool = False


def usage(input_tokens: int, output_tokens: int, reasoning_tokens: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def text_part(text: str, logprobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": list(logprobs or []), "text": text}


def message_item(item_id: str, status: str, text: str | None, phase: str | None = None,
                 logprobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An assistant message; `phase` (commentary / final_answer) sits before `role`, as gpt-5.5 sends it."""
    content = [] if text is None else [text_part(text, logprobs)]
    item: dict[str, Any] = {"id": item_id, "type": "message", "status": status, "content": content}
    if phase is not None:
        item["phase"] = phase
    item["role"] = "assistant"
    return item


def custom_call_item(item_id: str, status: str, input_text: str, call_id: str, name: str) -> dict[str, Any]:
    return {"id": item_id, "type": "custom_tool_call", "status": status, "call_id": call_id, "input": input_text,
            "name": name}


def reasoning_item(item_id: str, text: str, summary: str | None, sealed: bool) -> dict[str, Any]:
    """A reasoning item in OpenAI's shape (no `status`); an empty `text` gives the announced, empty item."""
    content = [{"type": "reasoning_text", "text": text}] if text else []
    parts = [] if summary is None else [{"type": "summary_text", "text": summary}]
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": parts, "content": content}
    if sealed:
        item["encrypted_content"] = encrypt(content, parts)
    return item


def call_item(item_id: str, status: str, arguments: str, call_id: str, name: str) -> dict[str, Any]:
    return {"id": item_id, "type": "function_call", "status": status, "arguments": arguments, "call_id": call_id,
            "name": name}


def response_object(rec: ResponseRecord, status: str | None = None, output: list[dict[str, Any]] | None = None,
                    with_usage: bool = True) -> dict[str, Any]:
    """The Response as OpenAI serialises it. `status`/`output` override the record's for lifecycle
    events (`response.created` etc. carry `output: []` and `usage: null`)."""
    req = rec.request
    status = status or rec.status
    live = status in ("queued", "in_progress")
    tier = req.service_tier if live or req.service_tier != "auto" else "default"
    return {
        "id": rec.id,
        "object": "response",
        "created_at": rec.created_at,
        "status": status,
        "background": req.background,
        "completed_at": None if live else rec.completed_at,
        "error": None if live else rec.error,
        "frequency_penalty": 0.0,
        "incomplete_details": None if live else rec.incomplete_details,
        "instructions": req.instructions,
        "max_output_tokens": req.max_output_tokens,
        "max_tool_calls": req.max_tool_calls,
        "model": req.model,
        "output": list(rec.output if output is None else output),
        "parallel_tool_calls": req.parallel_tool_calls,
        "presence_penalty": 0.0,
        "previous_response_id": req.previous_response_id,
        "prompt_cache_key": req.prompt_cache_key,
        "prompt_cache_retention": req.prompt_cache_retention,
        "reasoning": dict(req.reasoning),
        "safety_identifier": req.safety_identifier,
        "service_tier": tier,
        "store": req.store,
        "temperature": req.temperature,
        "text": {"format": dict(req.text_format), "verbosity": req.verbosity},
        "tool_choice": req.tool_choice,
        "tools": [dict(t) for t in req.tools],
        "top_logprobs": req.top_logprobs,
        "top_p": req.top_p,
        "truncation": req.truncation,
        "usage": rec.usage if with_usage and not live else None,
        "user": req.user,
        "metadata": dict(req.metadata),
        # Only when one was set: no recorded OpenAI response carries the key otherwise.
        **({"conversation": {"id": req.conversation}} if req.conversation else {}),
    }


def body_object(rec: ResponseRecord) -> dict[str, Any]:
    """A Response as a JSON body (create, retrieve, cancel): OpenAI adds `billing` there."""
    obj = response_object(rec)
    ordered: dict[str, Any] = {}
    for key, value in obj.items():
        ordered[key] = value
        if key == "background":
            ordered["billing"] = {"payer": "developer"}
    return ordered
