"""Faults of the concurrency family: requests that overlap (checks/concurrency.py). They act only on creates
that share their `instructions` with another one in flight, as a prompt-prefix batch would.
"""

from __future__ import annotations

from typing import Any

from conformance.reference.errors import ApiError
from conformance.reference.faults.base import Fault, fault


_TOOL = {"type": "function", "name": "lookup", "description": "Look something up.",
         "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"],
                        "additionalProperties": False}}


def _siblings(body: dict[str, Any], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In-flight creates sharing this one's instructions: a prompt-prefix batch, where these faults live."""
    instructions = body.get("instructions")
    return [o for o in others if instructions is not None and o.get("instructions") == instructions]


def _overlap_500(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    if _siblings(body, others):
        raise ApiError(500, "The server had an error while processing your request.", type="server_error")
    return body


def _overlap_cross_talk(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    siblings = _siblings(body, others)
    if not siblings:
        return body
    neighbour = siblings[0]
    return {**body, "input": neighbour.get("input"), "metadata": neighbour.get("metadata")}


def _overlap_stray_call(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    if not _siblings(body, others) or body.get("tools"):
        return body
    return {**body, "tools": [_TOOL], "tool_choice": "required"}


def _busy_500(body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    if others:
        raise ApiError(500, "The server had an error while processing your request.", type="server_error")
    return body


FAULTS: list[Fault] = [
    fault("busy-500", "A create while any other create is in flight is answered with HTTP 500; alone, every "
          "create succeeds.", "issue 18: gpt-oss's server is not safe under concurrency", overlap=_busy_500),
    fault("concurrent-500", "A create that overlaps another with the same `instructions` is answered with HTTP "
          "500.", "a server seen by the Open Responses compliance test (issue 11)", overlap=_overlap_500),
    fault("concurrent-cross-talk", "A create that overlaps another with the same `instructions` is answered "
          "with the other's input and metadata.", "synthetic", overlap=_overlap_cross_talk),
    fault("concurrent-stray-call", "A create that overlaps another with the same `instructions` is answered "
          "with a function call nobody declared.", "a server seen by the Open Responses compliance test "
          "(issue 11)", overlap=_overlap_stray_call),
]
