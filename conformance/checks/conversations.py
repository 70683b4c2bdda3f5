"""The `conversation` create parameter and the Conversations API (/v1/conversations and its items).

Facts from openai-python 3.51.0: `Conversation` {id, created_at, metadata, object: "conversation"},
`ConversationDeletedResource` {id, deleted, object: "conversation.deleted"}, a cursor page of
`ConversationItem`s; `previous_response_id` "cannot be used in conjunction with `conversation`"; input and
output items of a response "are automatically added to this conversation".
"""

from __future__ import annotations

from typing import Any

from openai.types.conversations.conversation import Conversation
from openai.types.conversations.conversation_deleted_resource import ConversationDeletedResource

from conformance.checks.common import (
    SDK, SDK_DOCS, body, final_response, has_code_word, items_text, not_ok, output_text, rejected, sdk_problems,
)
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

AREA = "conversations"
DOCS = f"{SDK_DOCS}/conversations"
CREATE_DOCS = f"{SDK_DOCS}/responses/methods/create"
SCENARIOS = ("conversations.two-turns",)


def _opened(t: Transcript) -> Outcome | None:
    """None when the conversation was created; else the verdict (a clean refusal is UNSUPPORTED)."""
    bad = not_ok(t.step("create-conversation"), "POST /conversations", optional=True)
    if bad:
        return bad
    if "conversation_id" not in t.params:
        return violation("the new conversation has no usable id", step="create-conversation")
    return None


def _turns(t: Transcript) -> Outcome | None:
    """None when both turns answered 2xx; else the verdict (`conversation` refused cleanly is UNSUPPORTED)."""
    return _opened(t) or not_ok(t.step("turn1"), "create with conversation", optional=True) or not_ok(
        t.step("turn2"), "turn 2 with conversation", optional=True)


@transcript_check(
    id="conversations.object",
    level=Level.MUST,
    requirement="POST /v1/conversations answers a Conversation (id, object \"conversation\", created_at, "
                "metadata), or refuses cleanly (UNSUPPORTED); never a 5xx.",
    source=f"{DOCS}/methods/create; {SDK} Conversation",
    area=AREA,
    scenarios=SCENARIOS,
)
def conversation_object(t: Transcript) -> Outcome | None:
    bad = not_ok(t.step("create-conversation"), "POST /conversations", optional=True)
    if bad:
        return bad
    problems = sdk_problems(Conversation, body(t.step("create-conversation")))
    if problems:
        return violation("not the SDK's Conversation: " + "; ".join(problems), step="create-conversation")
    return ok()


@transcript_check(
    id="conversations.items-in-order",
    level=Level.MUST,
    requirement="After two responses created with `conversation`, its items (order asc) hold turn 1's input, "
                "turn 1's answer, turn 2's input and turn 2's answer, in that order.",
    source=f"{CREATE_DOCS} (conversation: input and output items are added to it); {DOCS}/subresources/items",
    area=AREA,
    scenarios=SCENARIOS,
)
def items_in_order(t: Transcript) -> Outcome | None:
    bad = _turns(t)
    if bad:
        return bad
    bad = not_ok(t.step("items"), "GET /conversations/{id}/items")
    if bad:
        return bad
    data = (body(t.step("items")) or {}).get("data")
    if not isinstance(data, list):
        return violation("the item list has no `data` array", step="items")
    roles = [i.get("role") if isinstance(i, dict) else None for i in data]
    texts = items_text(data)
    want = t.params["turn_texts"]
    try:
        first = next(i for i, (r, x) in enumerate(zip(roles, texts)) if r == "user" and want[0] in x)
        answer1 = roles.index("assistant", first + 1)
        second = next(i for i, (r, x) in enumerate(zip(roles, texts)) if i > answer1 and r == "user" and want[1] in x)
        roles.index("assistant", second + 1)
    except (StopIteration, ValueError):
        return violation("the items are not turn 1 input, turn 1 answer, turn 2 input, turn 2 answer in order",
                         step="items", got=[f"{r}: {x[:60]}" for r, x in zip(roles, texts)])
    return ok()


@transcript_check(
    id="conversations.response-names-conversation",
    level=Level.SHOULD,
    requirement="A response created with `conversation` reports that conversation (`conversation.id`).",
    source=f"{SDK} Response.conversation",
    area=AREA,
    scenarios=SCENARIOS,
)
def response_names_conversation(t: Transcript) -> Outcome | None:
    bad = _turns(t)
    if bad:
        return bad
    cid = t.params["conversation_id"]
    for label in ("turn1", "turn2"):
        conv: Any = (final_response(t.step(label)) or {}).get("conversation")
        got = conv.get("id") if isinstance(conv, dict) else conv
        if got != cid:
            return violation(f"{label}: the response's conversation is {conv!r}, not {{'id': {cid!r}}}", step=label)
    return ok()


@transcript_check(
    id="conversations.context-carried",
    level=Level.MUST,
    requirement="Turn 2, created with the same `conversation`, sees turn 1: the answer carries turn 1's code word.",
    source=f"{CREATE_DOCS} (items of the conversation are prepended); docs/rules.md#verdicts (silent acceptance)",
    area=AREA,
    scenarios=SCENARIOS,
    model_dependent=True,
)
def context_carried(t: Transcript) -> Outcome | None:
    bad = _turns(t)
    if bad:
        return bad
    return has_code_word(output_text(final_response(t.step("turn2"))), t.params["nonce"], "turn2",
                         "turn 2 does not recall")


@transcript_check(
    id="conversations.exclusive-with-previous",
    level=Level.MUST,
    requirement="A create that sets both `conversation` and `previous_response_id` is rejected with a 4xx.",
    source=f"{CREATE_DOCS} (previous_response_id: cannot be used in conjunction with conversation)",
    area=AREA,
    scenarios=SCENARIOS,
)
def exclusive_with_previous(t: Transcript) -> Outcome | None:
    bad = _turns(t)
    if bad:
        return bad
    if t.step("both") is None:
        return skip("turn 1 had no response id to name in previous_response_id")
    return rejected(t.step("both"), "a create with both conversation and previous_response_id") or ok()


@transcript_check(
    id="conversations.deleted",
    level=Level.MUST,
    requirement="DELETE /v1/conversations/{id} answers {id, object: \"conversation.deleted\", deleted: true}.",
    source=f"{DOCS}/methods/delete; {SDK} ConversationDeletedResource",
    area=AREA,
    scenarios=SCENARIOS,
)
def deleted(t: Transcript) -> Outcome | None:
    bad = _opened(t)
    if bad:
        return bad
    bad = not_ok(t.step("delete-conversation"), "DELETE /conversations/{id}", optional=True)
    if bad:
        return bad
    b = body(t.step("delete-conversation"))
    problems = sdk_problems(ConversationDeletedResource, b)
    if problems:
        return violation("not the SDK's ConversationDeletedResource: " + "; ".join(problems),
                         step="delete-conversation")
    if b.get("deleted") is not True or b.get("id") != t.params["conversation_id"]:
        return violation(f"the deletion says id {b.get('id')!r}, deleted {b.get('deleted')!r}",
                         step="delete-conversation")
    return ok()
