"""Faults of the bad_input family: bad requests served, or refused with another status (checks/bad_input.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, error_body, fault, rewrite
from conformance.reference.hooks import Reply


def _status_422(reply: Reply) -> Reply:
    return Reply(reply.route, 422, reply.body, reply.headers, reply.subject) if reply.status == 400 else reply


FAULTS: list[Fault] = [
    fault("unknown-model-accepted", "Any model name is served by the reference model.", "synthetic",
          rewrite_request=rewrite(model=lambda v: "reference-echo")),
    fault("bad-request-422", "Invalid requests are refused with HTTP 422 instead of 400.", "synthetic",
          reply=error_body(_status_422)),
]
