"""The `conversation` create parameter and the Conversations API (/v1/conversations and its items).

An optional feature: a clean refusal of POST /v1/conversations is UNSUPPORTED. The conversation is deleted
before the scenario ends, whatever happened (its responses are deleted with the run's cleanup).
"""

from __future__ import annotations


from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario

RECALL_QUESTION = "What code word did I ask you to remember? Reply with the code word only."


@scenario("conversations.two-turns", "Create a conversation; turn 1 (conversation) plants a code word; turn 2 "
          "(conversation) asks for it; list the items (asc); a create with both conversation and "
          "previous_response_id; delete the conversation", model_dependent=True, chain=9)
def two_turns(ctx: ScenarioContext) -> None:
    word = nonce("CONV")
    first_text = f"Remember this code word: {word}. Reply with OK."
    ctx.params.update(nonce=word, turn_texts=[first_text, RECALL_QUESTION])
    created = ctx.request("create-conversation", "POST", "conversations", body={"metadata": {"suite": "conformance"}})
    body = created.response.body
    cid = body.get("id") if created.ok and isinstance(body, dict) else None
    if not isinstance(cid, str) or not cid:
        return  # no id: conversations.object judges the body (an odd id is never sent: live/paths.py)
    ctx.params["conversation_id"] = cid
    try:
        first = ctx.create("turn1", {"input": first_text, "conversation": cid})
        if not first.ok:
            return
        ctx.create("turn2", {"input": RECALL_QUESTION, "conversation": cid})
        ctx.request("items", "GET", ("conversations", cid, "items"), query={"order": "asc"})
        rid = response_id(first)
        if rid:
            ctx.create("both", {"input": "Say OK.", "conversation": cid, "previous_response_id": rid,
                                "max_output_tokens": 16})
    finally:
        ctx.request("delete-conversation", "DELETE", ("conversations", cid))
