"""Hooks for the faults of the API surface (WebSocket mode, compact, input_tokens, conversations, image and
file input, concurrency). The faults themselves are listed at the end of faults.py; these are their parts."""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.hooks import Reply

TOOL = {"type": "function", "name": "lookup", "description": "Look something up.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"],
                       "additionalProperties": False}}


def on_route(route: str, func: Callable[[dict[str, Any]], None], errors: bool = False) -> Callable[[Reply], Reply]:
    """A reply hook applying `func` to a copy of each 2xx JSON body of `route`."""

    def hook(reply: Reply) -> Reply:
        if reply.route != route or reply.status >= 400 or not isinstance(reply.body, dict):
            return reply
        body = copy.deepcopy(reply.body)
        func(body)
        return Reply(reply.route, reply.status, body, reply.headers, reply.subject)

    return hook


def set_key(key: str, value: Any, when: Callable[[dict[str, Any]], bool] = lambda b: True) -> Callable[..., None]:
    def apply(body: dict[str, Any]) -> None:
        if when(body):
            body[key] = value
    return apply


def drop_key(key: str, when: Callable[[dict[str, Any]], bool] = lambda b: True) -> Callable[..., None]:
    def apply(body: dict[str, Any]) -> None:
        if when(body):
            body.pop(key, None)
    return apply


def keep_only_compaction(body: dict[str, Any]) -> None:
    body["output"] = [i for i in body.get("output", []) if i.get("type") == "compaction"]


def reverse_data(body: dict[str, Any]) -> None:
    if isinstance(body.get("data"), list):
        body["data"].reverse()
        body["first_id"], body["last_id"] = body.get("last_id"), body.get("first_id")


def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    return [p for i in items if isinstance(i, dict) and isinstance(i.get("content"), list)
            for p in i["content"] if isinstance(p, dict)] if isinstance(items, list) else []


def server_error_on(part_type: str) -> Callable[[dict[str, Any], Mapping[str, str]], ApiError | None]:
    """check_request answering any input holding a `part_type` content part with a 500."""
    return refuse_part(part_type, 500, "The server had an error while processing your request.")


def without_parts(part_type: str) -> Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]:
    """rewrite_request removing every `part_type` content part (accepted, never read)."""

    def rewrite(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        for item in body.get("input") if isinstance(body.get("input"), list) else []:
            if isinstance(item, dict) and isinstance(item.get("content"), list):
                item["content"] = [p for p in item["content"] if not (isinstance(p, dict)
                                                                       and p.get("type") == part_type)]
        return body

    return rewrite


def drop_when(key: str, other: str) -> Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]:
    """rewrite_request removing `key` from bodies that also set `other`."""

    def rewrite(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != key} if body.get(other) is not None else body

    return rewrite


def _siblings(body: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In-flight creates sharing this one's instructions: a prompt-prefix batch, where these faults live."""
    instructions = body.get("instructions")
    return [o for o in others if instructions is not None and o.get("instructions") == instructions]


def overlap_500(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    if _siblings(body, others):
        raise ApiError(500, "The server had an error while processing your request.", type="server_error")
    return body


def overlap_cross_talk(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    siblings = _siblings(body, others)
    if not siblings:
        return body
    neighbour = siblings[0]
    return {**body, "input": neighbour.get("input"), "metadata": neighbour.get("metadata")}


def overlap_stray_call(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    if not _siblings(body, others) or body.get("tools"):
        return body
    return {**body, "tools": [TOOL], "tool_choice": "required"}


def routes_missing(*routes: str) -> Callable[[Reply], Reply]:
    """A reply hook answering every reply of `routes` with 404, as a server without those routes does."""

    def hook(reply: Reply) -> Reply:
        if reply.route not in routes:
            return reply
        return Reply(reply.route, 404, ApiError(404, "File Not Found", type="not_found_error").body())

    return hook


def refuse_part(part_type: str, status: int, message: str) -> Callable[[dict[str, Any], Mapping[str, str]],
                                                                          ApiError | None]:
    """check_request refusing any input holding a `part_type` content part with `status`."""

    def check(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        if any(p.get("type") == part_type for p in _parts(body)):
            return ApiError(status, message, type="server_error" if status >= 500 else "invalid_request_error")
        return None

    return check
