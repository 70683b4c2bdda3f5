"""Stored responses: retrieve, input_items (order and pagination), delete, and metadata. All read ONE stored
response with three user messages and metadata (STORED): the preflight's create when the engine ran one, else
made by storage.retrieve. All optional features: a clean refusal is UNSUPPORTED. Answers are capped at 16
tokens; only the stored state matters here."""

from __future__ import annotations

from typing import Any

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.shared import Resource, Use

SHORT = 16  # OpenAI's minimum max_output_tokens


def stored_request() -> tuple[dict[str, Any], dict[str, Any]]:
    """The body of the shared stored create, and what its readers need to know about it."""
    words = [nonce("ITEM") for _ in range(3)]
    metadata = {"suite": "responses-conformance", "run": nonce("META")}
    body = {"input": [{"role": "user", "content": w} for w in words], "metadata": metadata, "store": True,
            "max_output_tokens": SHORT}
    return body, {"items": words, "metadata": metadata}


def _make_stored(ctx: ScenarioContext) -> dict[str, Any] | None:
    body, facts = stored_request()
    created = ctx.create("create", body)
    rid = response_id(created)
    return {**facts, "id": rid if created.ok else None}


STORED = Resource("stored-response", owner="storage.retrieve", make=_make_stored)


@scenario("storage.retrieve", "Create (store: true), then GET /responses/{id}", uses={STORED: Use.READ})
def retrieve(ctx: ScenarioContext) -> None:
    stored = ctx.use(STORED)
    if stored and stored["id"]:
        ctx.retrieve("retrieve", stored["id"])


@scenario("storage.input-items", "The stored response of three user messages: list input_items in the default "
          "order, asc, desc, limit=1 and the page after it", uses={STORED: Use.READ}, chain=8)
def input_items(ctx: ScenarioContext) -> None:
    stored = ctx.use(STORED)
    if not stored:
        return
    ctx.params["items"] = stored["items"]
    if not stored["id"]:
        return
    path = ("responses", stored["id"], "input_items")
    ctx.request("default", "GET", path)
    ctx.request("asc", "GET", path, query={"order": "asc"})
    ctx.request("desc", "GET", path, query={"order": "desc"})
    page1 = ctx.request("page1", "GET", path, query={"order": "asc", "limit": 1})
    data = page1.response.body.get("data") if isinstance(page1.response.body, dict) else None
    if page1.ok and isinstance(data, list) and data and isinstance(data[0], dict) and data[0].get("id"):
        ctx.request("page2", "GET", path, query={"order": "asc", "limit": 1, "after": data[0]["id"]})


@scenario("storage.delete", "GET the stored response (the control), DELETE it (after every other reader of it), "
          "then GET it", uses={STORED: Use.DESTROY})
def delete(ctx: ScenarioContext) -> None:
    stored = ctx.use(STORED, Use.DESTROY)
    if not (stored and stored["id"]):
        return
    ctx.retrieve("control", stored["id"])  # a 404 after the delete means something only if this one found it
    if ctx.delete("delete", stored["id"]).ok:
        ctx.retrieve("retrieve", stored["id"])
