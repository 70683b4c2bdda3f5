"""Faults in the shape of Responses and input items: fields left out, mistyped or not echoed (checks/schema.py)."""

from __future__ import annotations

from typing import Any, Callable

from conformance.reference.faults.base import Fault, fault, on_responses, pair, per_event
from conformance.reference.hooks import Event, Reply


def _omit_nulls(response: dict[str, Any]) -> None:
    for key in ("user", "usage", "incomplete_details", "error"):
        if response.get(key, "present") is None:
            del response[key]


def _float_created_at(response: dict[str, Any]) -> None:
    if isinstance(response.get("created_at"), int):
        response["created_at"] += 0.5


def _input_items_untyped(reply: Reply) -> Reply:
    if reply.route != "input_items" or not isinstance(reply.body, dict):
        return reply
    data = [{k: v for k, v in item.items() if k != "type"} for item in reply.body.get("data", [])]
    return Reply(reply.route, reply.status, {**reply.body, "data": data}, reply.headers)


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def _text_echo(change: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    """A Response hook rewriting `text` of a Response made with a structured (non-text) format."""

    def apply(response: dict[str, Any]) -> None:
        text = response.get("text")
        if isinstance(text, dict) and _dict_get(text, "format", "type") not in (None, "text"):
            response["text"] = change(text)

    return apply


def _echo_null(key: str) -> Callable[[dict[str, Any]], None]:
    def apply(response: dict[str, Any]) -> None:
        response[key] = None

    return apply


def _dict_get(obj: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _misnamed_text_done(event: Event) -> Event:
    if event.get("type") == "response.output_text.done":
        event["type"] = "response.output_text.complete"  # not a member of the output_text family
    return event


FAULTS: list[Fault] = [
    fault("text-done-misnamed", "`response.output_text.done` is sent as `response.output_text.complete`, a type "
          "the output_text family does not define.", "synthetic", events=per_event(_misnamed_text_done)),
    pair("nulls-omitted", "Null `user`, `usage`, `error` and `incomplete_details` are left out of Responses.",
         "synthetic", on_responses(_omit_nulls)),
    pair("created-at-float", "`created_at` is a float (seconds plus a half).", "synthetic",
         on_responses(_float_created_at)),
    fault("input-items-untyped", "input_items lists items without their `type`.", "synthetic",
          reply=_input_items_untyped),
    fault("response-id-missing", "Non-streamed Responses have no `id`.", "synthetic", response=_without_id),
    pair("text-echo-null", "A Response made with a structured `text.format` echoes `text: null`.", "synthetic",
         on_responses(_text_echo(lambda text: None))),
    pair("text-format-echo-text", "A Response made with a structured `text.format` echoes "
         "`text.format: {type: text}`.", "synthetic",
         on_responses(_text_echo(lambda text: {**text, "format": {"type": "text"}}))),
    pair("max-output-tokens-echo-null", "Responses carry `max_output_tokens: null` whatever was sent (the limit "
         "still applies).", "synthetic", on_responses(_echo_null("max_output_tokens"))),
]
