"""Faults in the error envelope and the status that carries it (checks/errors.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, error_body, error_fields, fault, labelled
from conformance.reference.hooks import Reply


def _string_error(reply: Reply) -> Reply:
    return Reply(reply.route, reply.status, {"error": error_fields(reply).get("message")}, reply.headers)


def _status_200(reply: Reply) -> Reply:
    return Reply(reply.route, 200, reply.body, reply.headers, reply.subject)


FAULTS: list[Fault] = [
    fault("error-body-shape", "Errors are `{\"error\": \"<message>\"}`.", "synthetic",
          reply=error_body(_string_error)),
    fault("error-status-200", "Errors are sent with HTTP 200.", "synthetic", reply=error_body(_status_200)),
    fault("error-text-plain", "Error bodies are labelled `text/plain`.", "synthetic",
          reply=labelled("text/plain", errors=True)),
]
