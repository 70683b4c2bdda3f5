"""`POST /v1/responses/compact` (responses.compact): shape, what the output holds, and that it works as input.

Facts from openai-python 3.51.0: `CompactedResponse` {id, created_at, object: "response.compaction", output,
usage}; its output "is a list of all user messages, followed by a single compaction item".
"""

from __future__ import annotations

from typing import Any

from openai.types.responses.compacted_response import CompactedResponse
from openai.types.responses.response_compaction_item import ResponseCompactionItem

from conformance.checks.common import SDK, SDK_DOCS, body, items_text, not_ok, sdk_problems
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

AREA = "compact"
DOCS = f"{SDK_DOCS}/responses/methods/compact"
SCENARIOS = ("compact.conversation",)


def _compacted(t: Transcript) -> Outcome | None:
    """None when the compact step answered 2xx; else its verdict (a clean refusal is UNSUPPORTED)."""
    return not_ok(t.step("compact"), "POST /responses/compact", optional=True)


def _shape_problems(obj: Any) -> list[str]:
    """The SDK types `output` as response output items, yet documents it as the *user* messages plus a
    compaction item, and parses answers without validating: so the envelope and the compaction item are held to
    the SDK's models, and every other item only to being a typed object (a user message is no output message)."""
    if not isinstance(obj, dict):
        return ["the body is not a JSON object"]
    output = obj.get("output")
    problems = sdk_problems(CompactedResponse, {**obj, "output": []})
    if not isinstance(output, list):
        return problems or ["output: not an array"]
    for i, item in enumerate(output):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            problems.append(f"output.{i}: not an object with a string `type`")
        elif item["type"] == "compaction":
            problems += [f"output.{i}.{p}" for p in sdk_problems(ResponseCompactionItem, item)]
        elif item["type"] == "message" and not (isinstance(item.get("role"), str)
                                                and isinstance(item.get("content"), (list, str))):
            problems.append(f"output.{i}: a message needs a `role` and `content`")
    return problems[:5]


@transcript_check(
    id="compact.shape",
    level=Level.MUST,
    requirement="POST /v1/responses/compact answers a CompactedResponse (object \"response.compaction\", id, "
                "created_at, output items, usage), or refuses cleanly (UNSUPPORTED); never a 5xx.",
    source=f"{DOCS}; {SDK} CompactedResponse",
    area=AREA,
    scenarios=SCENARIOS,
)
def shape(t: Transcript) -> Outcome | None:
    bad = _compacted(t)
    if bad:
        return bad
    problems = _shape_problems(body(t.step("compact")))
    if problems:
        return violation("the compaction is not the SDK's CompactedResponse: " + "; ".join(problems), step="compact")
    return ok()


@transcript_check(
    id="compact.output-layout",
    level=Level.SHOULD,
    requirement="The compacted output lists the user messages (in order) followed by a single compaction item.",
    source=f"{DOCS}; {SDK} CompactedResponse.output",
    area=AREA,
    scenarios=SCENARIOS,
)
def output_layout(t: Transcript) -> Outcome | None:
    if _compacted(t):
        return skip("the compaction was not answered; judged by compact.shape")
    output = (body(t.step("compact")) or {}).get("output")
    if not isinstance(output, list) or not output:
        return violation("the compaction has no output items", step="compact")
    kinds = [i.get("type") if isinstance(i, dict) else None for i in output]
    if kinds[-1] != "compaction" or kinds.count("compaction") != 1:
        return violation(f"the output is not user messages followed by one compaction item (types: {kinds})",
                         step="compact", got=kinds)
    users = [h["content"] for h in t.params["history"] if h["role"] == "user"]
    kept = items_text(i for i in output[:-1] if isinstance(i, dict) and i.get("role") == "user")
    if kept != users:
        return violation("the output does not keep the user messages in order", step="compact", got=kept,
                         expected=users)
    return ok()


@transcript_check(
    id="compact.output-reusable",
    level=Level.MUST,
    requirement="The compacted output, sent back as input (plus a new user message), is accepted by create.",
    source=f"{DOCS} (pass the compacted window as the input of the next request)",
    area=AREA,
    scenarios=SCENARIOS,
)
def output_reusable(t: Transcript) -> Outcome | None:
    if _compacted(t) or t.step("next") is None:
        return skip("no compaction to reuse; judged by compact.shape")
    return not_ok(t.step("next"), "create with the compacted output as input") or ok()
