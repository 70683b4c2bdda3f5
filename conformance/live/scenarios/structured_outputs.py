"""Structured outputs in breadth: one strict json_schema using every construct OpenAI's strict mode supports
(https://platform.openai.com/docs/guides/structured-outputs#supported-schemas): enum, nested objects, arrays of
objects, anyOf, $defs/$ref, nullable through a type array, every property required and
additionalProperties: false. Whether a model fills it validly is model-dependent (judged over trials)."""

from __future__ import annotations

from typing import Any

from conformance.live.scenario import ScenarioContext, scenario

_CITY = {"type": "object", "properties": {"name": {"type": "string"}, "country": {"type": "string"}},
         "required": ["name", "country"], "additionalProperties": False}

TRIP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "season": {"type": "string", "enum": ["spring", "summer", "autumn", "winter"]},
        "origin": {"$ref": "#/$defs/city"},
        "stops": {"type": "array", "items": {"$ref": "#/$defs/stop"}},
        "budget": {"anyOf": [
            {"type": "object", "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}},
             "required": ["amount", "currency"], "additionalProperties": False},
            {"type": "string", "enum": ["unknown"]},
        ]},
        "notes": {"type": ["string", "null"]},
    },
    "required": ["title", "season", "origin", "stops", "budget", "notes"],
    "additionalProperties": False,
    "$defs": {
        "city": _CITY,
        "stop": {"type": "object", "properties": {"city": {"$ref": "#/$defs/city"}, "nights": {"type": "integer"}},
                 "required": ["city", "nights"], "additionalProperties": False},
    },
}


@scenario("structured_outputs.breadth", "A strict json_schema with enum, nested objects, arrays of objects, anyOf, "
          "$defs/$ref and a nullable field: the output must validate", model_dependent=True)
def breadth(ctx: ScenarioContext) -> None:
    ctx.params["schema"] = TRIP_SCHEMA
    ctx.create("create", {
        "max_output_tokens": max(ctx.target.max_output_tokens, 256),
        "input": "Plan a short summer trip from Paris, France with one stop in Lyon, France for two nights. "
                 "Budget unknown, no notes. Answer in JSON.",
        "text": {"format": {"type": "json_schema", "name": "trip", "schema": TRIP_SCHEMA, "strict": True}},
    })
