"""Faults of the reasoning family (checks/reasoning.py, and the reasoning side of the stream grammar)."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults.base import Fault, fault, on_items, on_responses, pair, per_event, refuse_input
from conformance.reference.hooks import Event
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord

NO_REASONING = {"effort": None, "summary": None}


def _not_echoed(response: dict[str, Any]) -> None:
    if "reasoning" in response:
        response["reasoning"] = dict(NO_REASONING)


def _no_summary(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("type") == "reasoning":
        item.pop("summary", None)


def _no_encrypted_content(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("type") == "reasoning":
        item.pop("encrypted_content", None)


def _reasoning_tokens_zero(response: dict[str, Any]) -> None:
    details = (response.get("usage") or {}).get("output_tokens_details")
    if isinstance(details, dict):
        details["reasoning_tokens"] = 0


def _edited_reasoning_done(event: Event) -> Event:
    if event.get("type") == "response.reasoning_text.done":
        event["text"] += " (edited)"
    return event


def _forget_after_reasoning(ctx: Context, chain: list[ResponseRecord]) -> Context:
    """A stored turn that reasoned is not loaded: the continuation sees only its own input."""
    if any(i.get("type") == "reasoning" for r in chain for i in r.output):
        return Context(ctx.instructions, list(ctx.current), ctx.current)
    return ctx


FAULTS: list[Fault] = [
    pair("reasoning-not-echoed", "Responses carry `reasoning: {effort: null, summary: null}` whatever was asked.",
         "synthetic", on_responses(_not_echoed)),
    pair("reasoning-item-no-summary", "Reasoning items have no `summary` list.", "synthetic", on_items(_no_summary)),
    pair("reasoning-no-encrypted-content", "`include: [\"reasoning.encrypted_content\"]` is ignored: reasoning items "
         "carry no `encrypted_content`.", "synthetic", on_items(_no_encrypted_content)),
    pair("reasoning-tokens-zero", "`usage.output_tokens_details.reasoning_tokens` is 0 even after reasoning text.",
         "synthetic", on_responses(_reasoning_tokens_zero)),
    fault("reasoning-text-done-differs", "`response.reasoning_text.done` carries text the deltas did not stream.",
          "synthetic", events=per_event(_edited_reasoning_done)),
    fault("reasoning-input-refused", "Input holding reasoning items (the server's own, passed back) is refused "
          "with 400.", "synthetic", check_request=refuse_input("reasoning", lambda i: i.get("type") == "reasoning")),
    fault("reasoning-context-lost", "`previous_response_id` naming a response that reasoned loads none of its "
          "context.", "synthetic", context=_forget_after_reasoning),
]
