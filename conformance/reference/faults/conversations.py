"""Faults of the conversations family: the `conversation` parameter and the Conversations API
(checks/conversations.py).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from conformance.reference.faults.base import Fault, drop_key, fault, on_responses, on_route, pair, rewrite, set_key


def _reverse_data(body: dict[str, Any]) -> None:
    if isinstance(body.get("data"), list):
        body["data"].reverse()
        body["first_id"], body["last_id"] = body.get("last_id"), body.get("first_id")


def _drop_when(key: str, other: str) -> Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]:
    """rewrite_request removing `key` from bodies that also set `other`."""

    def apply(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != key} if body.get(other) is not None else body

    return apply


FAULTS: list[Fault] = [
    fault("conversation-object-missing", "Conversation objects have no `object`.", "synthetic",
          reply=on_route("conversations", drop_key("object", lambda b: b.get("object") == "conversation"))),
    fault("conversation-items-newest-first", "Conversation items are always listed newest first, whatever "
          "`order` says.", "synthetic", reply=on_route("conversation_items", _reverse_data)),
    pair("conversation-not-reported", "Responses created with `conversation` do not report it.", "synthetic",
         on_responses(drop_key("conversation"))),
    fault("conversation-ignored", "`conversation` is accepted and ignored (stateless).", "synthetic",
          rewrite_request=rewrite(conversation=lambda v: None)),
    fault("conversation-with-previous-accepted", "A create with both `conversation` and `previous_response_id` "
          "is accepted (previous_response_id ignored).", "synthetic",
          rewrite_request=_drop_when("previous_response_id", "conversation")),
    fault("conversation-delete-object", "Deleting a conversation answers `object: \"conversation\"`.", "synthetic",
          reply=on_route("conversations", set_key("object", "conversation", lambda b: "deleted" in b))),
]
