"""Faults of the basic family: string input, roles, `instructions` (checks/basic.py)."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults.base import Fault, fault, on_responses, pair, rewrite, set_field
from conformance.reference.hooks import Reply
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord


def _no_instructions(ctx: Context, chain: list[ResponseRecord]) -> Context:
    return Context(None, ctx.items, ctx.current)


def _create_in_progress(reply: Reply) -> Reply:
    if reply.route != "create" or not isinstance(reply.body, dict) or reply.body.get("status") != "completed":
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "status": "in_progress"}, reply.headers, reply.subject)


def _no_system_roles(ctx: Context, chain: list[ResponseRecord]) -> Context:
    def keep(item: dict[str, Any]) -> bool:
        return item.get("role") not in ("system", "developer")

    return Context(ctx.instructions, [i for i in ctx.items if keep(i)], [i for i in ctx.current if keep(i)])


FAULTS: list[Fault] = [
    fault("instructions-ignored", "`instructions` are accepted and not given to the model.", "synthetic",
          context=_no_instructions),
    fault("create-says-in-progress", "A finished non-streamed create answers `status: in_progress`.", "synthetic",
          reply=_create_in_progress),
    pair("instructions-not-echoed", "Responses carry `instructions: null` whatever was sent.", "synthetic",
         on_responses(set_field("instructions", None))),
    fault("system-roles-dropped", "System and developer messages are accepted and not given to the model.",
          "synthetic", context=_no_system_roles),
    fault("string-input-cut", "A string `input` is cut to its first 16 characters.", "synthetic",
          rewrite_request=rewrite(input=lambda v: v[:16] if isinstance(v, str) else v)),
]
