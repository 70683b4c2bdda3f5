"""Faults of the custom_tools family (checks/custom_tools.py): custom tools and tool_choice allowed_tools."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.reference.faults.base import Fault, drop_types, fault


def _drop_custom(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """What llama.cpp does (issue 19): custom tools vanish, and a tool_choice naming one falls back to auto."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return body
    body = {**body, "tools": [t for t in tools if not (isinstance(t, dict) and t.get("type") == "custom")]}
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "custom":
        body["tool_choice"] = "auto"
    return body


def _allowed_as_mode(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        return {**body, "tool_choice": choice.get("mode", "auto")}
    return body


FAULTS: list[Fault] = [
    fault("custom-tools-dropped", "Custom tools are silently dropped from `tools` (a forced one falls back to "
          "auto), as llama.cpp does.", "synthetic", rewrite_request=_drop_custom),
    fault("custom-input-deltas-missing", "A streamed custom tool call has no `custom_tool_call_input.delta` "
          "events.", "synthetic", events=drop_types("response.custom_tool_call_input.delta")),
    fault("allowed-tools-ignored", "`tool_choice` allowed_tools is treated as its bare mode: every declared tool "
          "may be called.", "synthetic", rewrite_request=_allowed_as_mode),
]
