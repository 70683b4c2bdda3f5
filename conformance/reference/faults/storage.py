"""Faults of the storage family: retrieve, input_items and DELETE (checks/storage.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault
from conformance.reference.hooks import Reply


def _delete_body(reply: Reply) -> Reply:
    if reply.route != "delete":
        return reply
    return Reply("delete", reply.status, {"id": reply.body["id"], "object": "response.deleted"}, reply.headers)


def _input_items_reversed(reply: Reply) -> Reply:
    if reply.route != "input_items" or not reply.body.get("data"):
        return reply
    data = list(reversed(reply.body["data"]))
    body = {**reply.body, "data": data, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
    return Reply(reply.route, reply.status, body, reply.headers)


def _has_more_false(reply: Reply) -> Reply:
    if reply.route != "input_items":
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "has_more": False}, reply.headers)


def _delete_object_name(reply: Reply) -> Reply:
    if reply.route != "delete" or not isinstance(reply.body, dict):
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "object": "response.deletion"}, reply.headers)


def _retrieve_no_output(reply: Reply) -> Reply:
    if reply.route != "retrieve" or reply.status != 200 or not isinstance(reply.body, dict):
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "output": []}, reply.headers, reply.subject)


FAULTS: list[Fault] = [
    fault("delete-wrong-body", "DELETE answers without `deleted: true`.", "synthetic", reply=_delete_body),
    fault("input-items-reversed", "input_items come back in the opposite of the requested order.", "synthetic",
          reply=_input_items_reversed),
    fault("input-items-no-more", "input_items always says `has_more: false`.", "synthetic",
          reply=_has_more_false),
    fault("delete-object-name", "DELETE answers `object: \"response.deletion\"`.", "synthetic",
          reply=_delete_object_name),
    fault("retrieve-empty-output", "GET /responses/{id} answers the response with `output: []`.", "synthetic",
          reply=_retrieve_no_output),
]
