"""Structured output: text.format is honoured (json_schema strict, json_object) and invalid formats are
refused. The formats constrain decoding, so these are protocol checks, not model-dependent ones."""

from __future__ import annotations

from conformance.checks.common import cut_by_suite, final_response, not_ok, output_text, parse_json, rejected, \
    schema_errors, unearned
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation


def _answer(t: Transcript) -> tuple[str, str, Outcome | None]:
    """(output text, a note on the status, or the verdict when there is no answer)."""
    ex = t.step("create")
    bad = not_ok(ex, "create")  # text.format is core: a refusal is a violation
    if bad:
        return "", "", bad
    resp = final_response(ex)
    if resp is None:
        return "", "", violation("the 2xx body is not a Response", step="create")
    note = " (the response is incomplete: the format did not keep the answer short)" \
        if resp.get("status") == "incomplete" else ""
    return output_text(resp), note, None


@transcript_check(
    id="json_mode.schema-valid",
    level=Level.MUST,
    requirement="With text.format json_schema (strict), the output text parses as JSON and validates against "
                "the requested schema.",
    source="https://platform.openai.com/docs/guides/structured-outputs; docs/rules.md#known-deviations llama.cpp (text.format "
           "ignored); docs/rules.md#verdicts silent acceptance",
    area="json_mode",
    scenarios=("json_mode.json-schema",),
)
def schema_valid(t: Transcript) -> Outcome | None:
    text, note, why = _answer(t)
    if why:
        return why
    value, err = parse_json(text)
    fix = "; decoding must follow text.format's schema (strict), or the request be refused"
    if err:
        return violation(f"the output is {err}{note}{fix}", step="create", got=text[:300])
    problems = schema_errors(value, t.params["schema"])
    if problems:
        return violation(f"the output does not match the schema: {problems[0]}{note}{fix}", step="create",
                         errors=problems, got=text[:300])
    return ok()


@transcript_check(
    id="json_mode.json-object",
    level=Level.MUST,
    requirement="With text.format json_object, the output text parses as a JSON object.",
    source="https://platform.openai.com/docs/guides/structured-outputs#json-mode; docs/rules.md#known-deviations llama.cpp",
    area="json_mode",
    scenarios=("json_mode.json-object",),
)
def json_object(t: Transcript) -> Outcome | None:
    text, note, why = _answer(t)
    if why:
        return why
    value, err = parse_json(text)
    cut = cut_by_suite(t.step("create"))
    if err and cut and text.lstrip().startswith("{"):
        # json_object bounds the shape, not the length: an object cut short by the suite's own cap proves nothing.
        return skip(f"not applicable: the JSON object was begun but {cut}", step="create", got=text[:300])
    if err:
        return violation(f"the output is {err}{note}; with json_object the whole output is one JSON object",
                         step="create", got=text[:300])
    if not isinstance(value, dict):
        return violation(f"the output is JSON but a {type(value).__name__}, not an object", step="create",
                         got=text[:300])
    return ok()


@transcript_check(
    id="json_mode.invalid-format-rejected",
    level=Level.MUST,
    requirement="An invalid text.format (json_schema without a schema; an unknown type) is refused with a 4xx, "
                "not silently ignored.",
    source="https://platform.openai.com/docs/api-reference/responses/create (text.format); docs/rules.md#verdicts "
           "silent acceptance",
    area="json_mode",
    scenarios=("json_mode.invalid-format",),
)
def invalid_format_rejected(t: Transcript) -> Outcome | None:
    for label, what in (("no-schema", "json_schema without a schema"), ("unknown-type", "format type 'yaml'")):
        bad = rejected(t.step(label), what)
        if bad:
            return bad
    return unearned(t, "control", "a valid json_schema text.format") or ok()
