"""Stored responses: retrieve, input_items (order and pagination), delete. All optional features: a clean
refusal is UNSUPPORTED. Answers are capped at 16 tokens; only the stored state matters here."""

from __future__ import annotations

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario

SHORT = 16  # OpenAI's minimum max_output_tokens


@scenario("storage.retrieve", "Create (store: true), then GET /responses/{id}")
def retrieve(ctx: ScenarioContext) -> None:
    created = ctx.create("create", {"input": "Say hello.", "store": True, "max_output_tokens": SHORT})
    rid = response_id(created)
    if rid and created.ok:
        ctx.retrieve("retrieve", rid)


@scenario("storage.input-items", "Create with three user messages, then list input_items: default order, "
          "asc, desc, limit=1 and the page after it")
def input_items(ctx: ScenarioContext) -> None:
    words = [nonce("ITEM") for _ in range(3)]
    ctx.params["items"] = words
    created = ctx.create("create", {"input": [{"role": "user", "content": w} for w in words], "store": True,
                                    "max_output_tokens": SHORT})
    rid = response_id(created)
    if not (rid and created.ok):
        return
    path = ("responses", rid, "input_items")
    ctx.request("default", "GET", path)
    ctx.request("asc", "GET", path, query={"order": "asc"})
    ctx.request("desc", "GET", path, query={"order": "desc"})
    page1 = ctx.request("page1", "GET", path, query={"order": "asc", "limit": 1})
    data = page1.response.body.get("data") if isinstance(page1.response.body, dict) else None
    if page1.ok and isinstance(data, list) and data and isinstance(data[0], dict) and data[0].get("id"):
        ctx.request("page2", "GET", path, query={"order": "asc", "limit": 1, "after": data[0]["id"]})


@scenario("storage.delete", "Create (store: true), DELETE it, then GET it")
def delete(ctx: ScenarioContext) -> None:
    created = ctx.create("create", {"input": "Say hello.", "store": True, "max_output_tokens": SHORT})
    rid = response_id(created)
    if not (rid and created.ok):
        return
    deleted = ctx.delete("delete", rid)
    if deleted.ok:
        # Already gone: the session's cleanup would get a 404 for it and stop deleting the others.
        ctx.stored_ids.remove(rid)
        ctx.retrieve("retrieve", rid)
