"""Structured output through `text.format`: a strict json_schema, json_object, and invalid formats.

The schema only admits short answers (an enum and a boolean), so a server that honours it cannot run into
max_output_tokens: whatever it returns must parse and validate (docs/rules.md#verdicts, the wire and the model).
"""

from __future__ import annotations

from typing import Any

from conformance.live.scenario import ScenarioContext, scenario

SKY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "color": {"type": "string", "enum": ["red", "green", "blue", "grey"]},
        "daytime": {"type": "boolean"},
    },
    "required": ["color", "daytime"],
    "additionalProperties": False,
}


@scenario("json_mode.json-schema", "text.format json_schema (strict) with a small enum/boolean schema")
def json_schema(ctx: ScenarioContext) -> None:
    ctx.params["schema"] = SKY_SCHEMA
    ctx.create("create", {
        "max_output_tokens": max(ctx.target.max_output_tokens, 64),
        "input": "What color is a clear sky, and is it daytime when the sun is up? Answer in JSON.",
        "text": {"format": {"type": "json_schema", "name": "sky", "schema": SKY_SCHEMA, "strict": True}},
    })


@scenario("json_mode.json-object", "text.format json_object")
def json_object(ctx: ScenarioContext) -> None:
    ctx.create("create", {
        "max_output_tokens": max(ctx.target.max_output_tokens, 64),
        "input": "Reply with a JSON object with one key, answer, whose value is the word yes.",
        "text": {"format": {"type": "json_object"}},
    })


@scenario("json_mode.invalid-format", "text.format json_schema without a schema, and an unknown format type; a "
          "control sends a valid json_schema format")
def invalid_format(ctx: ScenarioContext) -> None:
    ctx.params["expected_status"] = {"no-schema": [400], "unknown-type": [400]}
    ctx.create("no-schema", {"input": "Say hello.", "max_output_tokens": 16,
                             "text": {"format": {"type": "json_schema", "name": "sky"}}})
    ctx.create("unknown-type", {"input": "Say hello.", "max_output_tokens": 16,
                                "text": {"format": {"type": "yaml"}}})
    # The control: a valid format must be accepted, or refusing the invalid ones proves nothing.
    ctx.create("control", {"input": "What color is a clear sky, and is it daytime when the sun is up? Answer in "
                                    "JSON.", "max_output_tokens": 16,
                           "text": {"format": {"type": "json_schema", "name": "sky", "schema": SKY_SCHEMA,
                                               "strict": True}}})
