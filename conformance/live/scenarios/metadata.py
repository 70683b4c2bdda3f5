"""`metadata` must come back exactly as sent, on create and on retrieve (the shared stored response)."""

from __future__ import annotations

from conformance.live.scenario import ScenarioContext, scenario
from conformance.live.scenarios.storage import STORED
from conformance.live.shared import Use


@scenario("metadata.echo", "Create with metadata (store: true), then GET it back", uses={STORED: Use.READ})
def echo(ctx: ScenarioContext) -> None:
    stored = ctx.use(STORED)
    if stored:
        ctx.params["metadata"] = stored["metadata"]
        if stored["id"]:
            ctx.retrieve("retrieve", stored["id"])
