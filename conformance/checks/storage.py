"""Storage: the stored-response routes (DELETE /v1/responses/{id}).

The docs show `{"id", "object": "response", "deleted": true}`; OpenAI itself (recordings) and many servers send
`"object": "response.deleted"`. So `id` and `deleted: true` are required and either object is accepted (DESIGN §4).
"""

from __future__ import annotations

import re

from conformance.exchange import Exchange
from conformance.registry import exchange_check
from conformance.verdicts import Level, Outcome, ok, violation

AREA = "storage"
DOCS = "https://platform.openai.com/docs/api-reference/responses/delete"
# `/v1/responses/{id}`, also behind a prefix such as Azure's `/openai/v1`; not `/responses/{id}/input_items`.
_RESPONSE_PATH = re.compile(r"/responses/([^/?#]+)/?(?:[?#].*)?$")
DELETED_OBJECTS = ("response", "response.deleted")


def _deleted_id(ex: Exchange) -> str | None:
    """The response id of a successful DELETE /responses/{id}, or None for any other exchange."""
    if ex.method != "DELETE" or not ex.ok:
        return None
    m = _RESPONSE_PATH.search(ex.request.path)
    return m.group(1) if m else None


@exchange_check(
    id="storage.delete-body",
    level=Level.MUST,
    requirement="A successful DELETE /v1/responses/{id} returns a JSON object with that `id` and `deleted: true`.",
    source=f"{DOCS}; docs/rules.md#real-traffic; openai-dotnet reads id and deleted from the body",
    area=AREA,
)
def delete_body(ex: Exchange) -> Outcome | None:
    rid = _deleted_id(ex)
    if rid is None:
        return None
    body = ex.response.body
    if not isinstance(body, dict):
        return violation("the DELETE body is not a JSON object", got=ex.response.text or body)
    if body.get("id") != rid:
        return violation(f"id is {body.get('id')!r}, not the deleted {rid!r}", got=body.get("id"), expected=rid)
    if body.get("deleted") is not True:
        return violation(f"deleted is {body.get('deleted', 'missing')!r}, not true", got=body.get("deleted"))
    return ok()


@exchange_check(
    id="storage.delete-object",
    level=Level.SHOULD,
    requirement='The DELETE body\'s `object` is "response" (as documented) or "response.deleted" (as sent).',
    source=f"{DOCS}; docs/rules.md#real-traffic (OpenAI recordings send response.deleted)",
    area=AREA,
)
def delete_object(ex: Exchange) -> Outcome | None:
    if _deleted_id(ex) is None or not isinstance(ex.response.body, dict):
        return None
    obj = ex.response.body.get("object")
    if obj not in DELETED_OBJECTS:
        return violation(f"object is {obj!r}", got=obj, expected=list(DELETED_OBJECTS))
    return ok()
