"""`metadata` round trip."""

from __future__ import annotations

from conformance.checks.common import final_response, not_ok
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, violation


@transcript_check(
    id="metadata.echoed",
    level=Level.MUST,
    requirement="The metadata sent on create comes back identical in the created Response and when it is "
                "retrieved.",
    source="https://platform.openai.com/docs/api-reference/responses/object (metadata); docs/rules.md#verdicts "
           "(silently dropped parameters)",
    area="metadata",
    scenarios=("metadata.echo",),
)
def echoed(t: Transcript) -> Outcome | None:
    bad = not_ok(t.step("create"), "create")
    if bad:
        return bad
    sent = t.params["metadata"]
    for label in ("create", "retrieve"):
        ex = t.step(label)
        if ex is None or not ex.ok:
            continue  # retrieve is optional: storage.retrieve-matches judges it
        got = (final_response(ex) or {}).get("metadata")
        if got != sent:
            return violation(f"{label}: metadata is {got!r}, sent {sent!r}", step=label)
    return ok()
