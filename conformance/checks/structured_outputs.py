"""Structured outputs in breadth: a strict json_schema using every construct strict mode supports (enum, nested
objects, arrays of objects, anyOf, $defs/$ref, nullable type arrays). Whether the model's output validates
against so large a schema is model-dependent (judged over trials); json_mode.schema-valid holds the small one."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import final_response, not_ok, parse_json, schema_errors
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation


def _parts(resp: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for item in resp.get("output") or [] if isinstance(item, dict) and item.get("type") == "message"
            for c in item.get("content") or [] if isinstance(c, dict)]


def _texts(resp: dict[str, Any]) -> list[str]:
    return [c["text"] for c in _parts(resp) if c.get("type") == "output_text" and isinstance(c.get("text"), str)]


def _refused(resp: dict[str, Any]) -> bool:
    return any(c.get("type") == "refusal" for c in _parts(resp))


@transcript_check(
    id="structured_outputs.breadth-valid",
    level=Level.MUST,
    requirement="With a strict json_schema using enum, nested objects, arrays of objects, anyOf, $defs/$ref and a "
                "nullable type array, the request is accepted and the output parses and validates against it.",
    source="https://platform.openai.com/docs/guides/structured-outputs#supported-schemas; docs/rules.md#verdicts "
           "(text.format silently ignored); model-dependent",
    area="structured_outputs",
    scenarios=("structured_outputs.breadth",),
    model_dependent=True,
)
def breadth_valid(t: Transcript) -> Outcome | None:
    ex = t.step("create")
    bad = not_ok(ex, "the strict json_schema request")
    if bad:
        return bad
    assert ex is not None
    resp = final_response(ex)
    if resp is None:
        return violation("the create step did not end with a Response", step="create")
    note = " (the response is incomplete)" if resp.get("status") == "incomplete" else ""
    texts = _texts(resp)
    if not texts and _refused(resp):
        # https://platform.openai.com/docs/guides/structured-outputs#refusals: a refusal replaces the JSON
        return skip("the model refused (a refusal content part instead of output_text)", step="create")
    if not texts:
        return violation(f"the answer holds no output_text{note}", step="create")
    for text in texts:  # each part on its own, as the SDK's parse() reads them (OpenAI may send two messages)
        value, err = parse_json(text)
        if err:
            return violation(f"the output is {err}{note}", step="create", got=text[:300])
        problems = schema_errors(value, t.params["schema"])
        if problems:
            return violation(f"the output does not match the schema: {problems[0]}{note}", step="create",
                             errors=problems, got=text[:300])
    return ok()
