"""Stored responses: retrieve returns what create returned, input_items lists the input in the requested
order and pages correctly, and a deleted response is gone. Storage is optional: a clean refusal of any of
these routes is UNSUPPORTED.

The DELETE body is judged on every exchange (replay included): the docs show `{"id", "object": "response",
"deleted": true}`; OpenAI itself (recordings) and many servers send `"object": "response.deleted"`. So `id` and
`deleted: true` are required and either object is accepted (docs/rules.md#real-traffic).
"""

from __future__ import annotations

import re
from typing import Any

from conformance.checks.common import body, final_response, items_text, not_ok, output_text, unearned
from conformance.exchange import Exchange, Transcript
from conformance.extract import response_id
from conformance.registry import exchange_check, transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

_ITEM_KEYS = ("type", "id", "status", "role", "name", "call_id", "arguments")


def _created(t: Transcript) -> Outcome | None:
    """SKIP when the create step did not store anything (basic checks judge creation itself)."""
    ex = t.step("create")
    if ex is None or not ex.ok or final_response(ex) is None:
        return skip("the create step failed, so nothing was stored", step="create")
    if response_id(ex) is None:  # the later steps need the id, so the scenario could not make them
        return skip("the created Response has no id to retrieve it by (see schema.response)", step="create")
    return None


@transcript_check(
    id="storage.store-honoured",
    level=Level.SHOULD,
    requirement="A create with store: true that is accepted reports store: true; an endpoint that does not "
                "store refuses the request instead of answering store: false.",
    source="https://platform.openai.com/docs/api-reference/responses/create (store); docs/rules.md#known-deviations vLLM #22137 "
           "(store disabled by default); docs/rules.md#verdicts silent acceptance",
    area="storage",
    scenarios=("storage.retrieve",),
)
def store_honoured(t: Transcript) -> Outcome | None:
    why = _created(t)
    if why:
        return why
    stored = final_response(t.step("create")).get("store")
    if stored is True:
        return ok()
    if stored is False:
        return violation("store: true was accepted but the response says store: false", step="create")
    return None  # not reported at all: the schema checks judge missing fields


def _item_view(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    view = {k: item.get(k) for k in _ITEM_KEYS if k in item}
    if item.get("type") == "message":
        view["text"] = output_text({"output": [item]})
    return view


@transcript_check(
    id="storage.retrieve-matches",
    level=Level.MUST,
    requirement="GET /responses/{id} returns the created response: same id, status and output items (ids, "
                "types, text, calls).",
    source="https://platform.openai.com/docs/api-reference/responses/get",
    area="storage",
    scenarios=("storage.retrieve",),
)
def retrieve_matches(t: Transcript) -> Outcome | None:
    why = _created(t) or not_ok(t.step("retrieve"), "retrieve", optional=True)
    if why:
        return why
    created, got = final_response(t.step("create")), final_response(t.step("retrieve"))
    if got is None:
        return violation("the retrieve body is not a Response", step="retrieve")
    for key in ("id", "status"):
        if got.get(key) != created.get(key):
            return violation(f"retrieved {key} {got.get(key)!r} differs from the created {created.get(key)!r}",
                             step="retrieve")
    want = [_item_view(i) for i in created.get("output") or []]
    have = [_item_view(i) for i in got.get("output") or []]
    if want != have:
        return violation("the retrieved output differs from the created output", step="retrieve",
                         got=have, expected=want)
    return ok()


def _listed(t: Transcript, label: str) -> tuple[list[Any] | None, Outcome | None]:
    """The `data` of an input_items page, or the verdict when there is none."""
    why = _created(t) or not_ok(t.step(label), f"input_items ({label})", optional=True)
    if why:
        return None, why
    b = body(t.step(label))
    if not (isinstance(b, dict) and b.get("object") == "list" and isinstance(b.get("data"), list)):
        return None, violation(f"{label}: the body is not a list object with data", step=label)
    return b["data"], None


@transcript_check(
    id="storage.input-items-order",
    level=Level.MUST,
    requirement="GET /responses/{id}/input_items lists the input items in input order with order=asc and "
                "reversed with order=desc.",
    source="https://platform.openai.com/docs/api-reference/responses/input-items",
    area="storage",
    scenarios=("storage.input-items",),
)
def input_items_order(t: Transcript) -> Outcome | None:
    words = t.params["items"]
    for label, expected in (("asc", words), ("desc", words[::-1])):
        data, why = _listed(t, label)
        if why:
            return why
        got = items_text(data)
        if got != expected:
            return violation(f"order={label} lists {got}, expected {expected}", step=label)
    return ok()


@transcript_check(
    id="storage.input-items-default-order",
    level=Level.SHOULD,
    requirement="input_items without `order` lists newest first (desc), as OpenAI does.",
    source="https://platform.openai.com/docs/api-reference/responses/input-items (order defaults to desc); "
           "OpenAI recordings (openai-dotnet GetInputItems*)",
    area="storage",
    scenarios=("storage.input-items",),
)
def input_items_default_order(t: Transcript) -> Outcome | None:
    data, why = _listed(t, "default")
    if why:
        return why
    expected = t.params["items"][::-1]
    got = items_text(data)
    if got == expected:
        return ok()
    return violation(f"the default order lists {got}, expected newest first {expected}", step="default")


@transcript_check(
    id="storage.input-items-pagination",
    level=Level.MUST,
    requirement="input_items honours limit and after: limit=1 gives one item with first_id = last_id = its id "
                "and has_more true; after=<that id> gives the next item.",
    source="https://platform.openai.com/docs/api-reference/responses/input-items (limit, after, has_more)",
    area="storage",
    scenarios=("storage.input-items",),
)
def input_items_pagination(t: Transcript) -> Outcome | None:
    words = t.params["items"]
    data, why = _listed(t, "page1")
    if why:
        return why
    b = body(t.step("page1"))
    if len(data) != 1:
        return violation(f"limit=1 returned {len(data)} items", step="page1")
    item_id = data[0].get("id") if isinstance(data[0], dict) else None
    if items_text(data) != words[:1]:
        return violation(f"limit=1&order=asc returned {items_text(data)}, expected {words[:1]}", step="page1")
    if b.get("first_id") != item_id or b.get("last_id") != item_id:
        return violation("first_id/last_id do not name the only item of the page", step="page1",
                         got={"first_id": b.get("first_id"), "last_id": b.get("last_id")}, expected=item_id)
    if b.get("has_more") is not True:
        return violation(f"has_more is {b.get('has_more')!r} with two more items to come", step="page1")
    if t.step("page2") is None:
        return violation("the first page's item has no id to page after", step="page1")
    data2, why = _listed(t, "page2")
    if why:
        return why
    if items_text(data2) != words[1:2]:
        return violation(f"after={item_id} returned {items_text(data2)}, expected {words[1:2]}", step="page2")
    return ok()


@transcript_check(
    id="storage.deleted-not-found",
    level=Level.MUST,
    requirement="After DELETE /responses/{id} succeeds, GET /responses/{id} answers 404.",
    source="https://platform.openai.com/docs/api-reference/responses/delete; docs/rules.md#real-traffic (DELETE then GET gives "
           "404)",
    area="storage",
    scenarios=("storage.delete",),
)
def deleted_not_found(t: Transcript) -> Outcome | None:
    why = _created(t) or not_ok(t.step("delete"), "delete", optional=True)
    if why:
        return why
    ex = t.step("retrieve")
    if ex is None or ex.status is None:
        return not_ok(ex, "retrieve after delete")
    if ex.status == 404:
        return unearned(t, "control", "GET of the response before the delete") or ok()
    return violation(f"GET after DELETE answered HTTP {ex.status}, not 404; a deleted response is gone",
                     step="retrieve", status=ex.status)


# The DELETE body, judged on every exchange ----------------------------------------------------------------

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
