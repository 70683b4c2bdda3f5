"""Faults of the multi_turn family: previous_response_id and manual history (checks/multi_turn.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault, on_responses, pair, refuse_input, set_field
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord


def _last_item_only(ctx: Context, chain: list[ResponseRecord]) -> Context:
    earlier = ctx.items[:len(ctx.items) - len(ctx.current)]
    return Context(ctx.instructions, earlier + ctx.current[-1:], ctx.current[-1:])


FAULTS: list[Fault] = [
    fault("assistant-history-refused", "Input holding earlier assistant messages is refused with 400.",
          "synthetic", check_request=refuse_input("assistant message", lambda i: i.get("role") == "assistant")),
    pair("previous-response-id-null", "Responses carry `previous_response_id: null` whatever was sent.",
         "synthetic", on_responses(set_field("previous_response_id", None))),
    fault("last-input-item-only", "Only the last item of an `input` list is given to the model.", "synthetic",
          context=_last_item_only),
]
