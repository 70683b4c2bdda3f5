"""Faults of the tool_use family (checks/tool_use.py): content-array outputs, max_tool_calls, tool items in a
previous_response_id chain."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.faults.base import Fault, fault, on_responses, pair, refuse_input, set_field
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord

TOOL_ITEMS = ("function_call", "function_call_output")


def _array_output(item: dict[str, Any]) -> bool:
    return item.get("type") == "function_call_output" and isinstance(item.get("output"), list)


def _empty_arrays(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    items = body.get("input")
    if not isinstance(items, list):
        return body
    return {**body, "input": [{**i, "output": ""} if isinstance(i, dict) and _array_output(i) else i
                              for i in items]}


def _chain_without_tool_items(ctx: Context, chain: list[ResponseRecord]) -> Context:
    """vLLM #43244: the stored turns lose their function_call and function_call_output items."""
    stored = {id(i) for r in chain for i in r.context if i.get("type") in TOOL_ITEMS}
    return Context(ctx.instructions, [i for i in ctx.items if id(i) not in stored], ctx.current)


def _chain_500(ctx: Context, chain: list[ResponseRecord]) -> Context:
    if any(i.get("type") == "function_call_output" for r in chain for i in r.context):
        raise ApiError(500, "The server had an error while processing your request.", type="server_error")
    return ctx


FAULTS: list[Fault] = [
    fault("function-output-array-refused", "A `function_call_output` whose output is a content array is refused "
          "with 400, as llama.cpp does.", "synthetic",
          check_request=refuse_input("function_call_output with an array output", _array_output)),
    fault("function-output-array-emptied", "A `function_call_output` content array is accepted and read as an "
          "empty output.", "synthetic", rewrite_request=_empty_arrays),
    pair("max-tool-calls-not-echoed", "Responses carry `max_tool_calls: null` whatever was sent.", "synthetic",
         on_responses(set_field("max_tool_calls", None))),
    fault("chain-drops-tool-items", "`previous_response_id` drops the stored turns' function_call and "
          "function_call_output items from the context.", "vLLM #43244", context=_chain_without_tool_items),
    fault("chain-after-tool-output-500", "A turn whose `previous_response_id` chain holds a function_call_output "
          "fails with 500.", "synthetic", context=_chain_500),
]
