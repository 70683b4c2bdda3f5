"""Faults of the tools family: tool_choice, parallel calls, function call outputs (checks/tools.py)."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.reference.faults.base import Fault, fault, on_items, pair, refuse_input, rewrite
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord


def _no_tool_outputs(ctx: Context, chain: list[ResponseRecord]) -> Context:
    current = [i for i in ctx.current if i.get("type") != "function_call_output"]
    return Context(ctx.instructions, [i for i in ctx.items if i.get("type") != "function_call_output"], current)


def _empty_arguments(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("type") == "function_call":
        item["arguments"] = "{}"


def _auto_as_none(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    if body.get("tools") and body.get("tool_choice", "auto") == "auto":
        return {**body, "tool_choice": "none"}
    return body


def _never_parallel(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    return {**body, "parallel_tool_calls": False} if body.get("tools") else body


FAULTS: list[Fault] = [
    fault("function-output-ignored", "`function_call_output` items are accepted and not given to the model.",
          "synthetic", context=_no_tool_outputs),
    fault("tool-choice-ignored", "`tool_choice` is dropped (treated as auto).", "synthetic",
          rewrite_request=rewrite(tool_choice=lambda v: None)),
    fault("tool-choice-none-ignored", "`tool_choice: none` is treated as `required`.", "synthetic",
          rewrite_request=rewrite(tool_choice=lambda v: "required" if v == "none" else v)),
    fault("parallel-tool-calls-ignored", "`parallel_tool_calls: false` is ignored.", "synthetic",
          rewrite_request=rewrite(parallel_tool_calls=lambda v: None)),
    fault("function-call-input-refused", "Input holding `function_call` items is refused with 400.", "synthetic",
          check_request=refuse_input("function_call", lambda i: i.get("type") == "function_call")),
    pair("call-arguments-empty", "Function calls carry `arguments: \"{}\"` whatever the tool requires.",
         "synthetic", on_items(_empty_arguments)),
    fault("tool-choice-auto-as-none", "`tool_choice: auto` (the default) is treated as `none`.", "synthetic",
          rewrite_request=_auto_as_none),
    fault("parallel-tool-calls-forced-off", "`parallel_tool_calls` is always treated as false.", "synthetic",
          rewrite_request=_never_parallel),
]
