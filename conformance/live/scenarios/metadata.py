"""`metadata` must come back exactly as sent, on create and on retrieve."""

from __future__ import annotations

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario


@scenario("metadata.echo", "Create with metadata (store: true), then GET it back")
def echo(ctx: ScenarioContext) -> None:
    metadata = {"suite": "responses-conformance", "run": nonce("META")}
    ctx.params["metadata"] = metadata
    created = ctx.create("create", {"input": "Say hello.", "metadata": metadata, "store": True,
                                    "max_output_tokens": 16})
    rid = response_id(created)
    if rid and created.ok:
        ctx.retrieve("retrieve", rid)
