"""The deterministic model and its JSON Schema filler, without HTTP."""

from __future__ import annotations

import jsonschema
import pytest

from conformance.reference.json_schema import instance_of, strict_problem
from conformance.reference.model import Context, PlannedCall, PlannedMessage, code_words, generate, text_reply, tokenize
from conformance.reference.request import parse_create


def ctx_for(body: dict, earlier: list[dict] | None = None) -> tuple:
    req = parse_create({"model": "reference-echo", **body})
    return req, Context(req.instructions, (earlier or []) + req.input_items, req.input_items)


def test_tokens_concatenate_to_the_text() -> None:
    text = 'Sure! Here is {"a":1} and ZEBRA-123.'
    assert "".join(tokenize(text)) == text
    assert tokenize("Hi there!") == ["Hi", " there", "!"]


def test_code_words_come_from_instructions_and_inputs_not_from_assistant_output() -> None:
    assistant = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "OWL-111"}]}
    _, ctx = ctx_for({"input": "say ZEBRA-123 and ZEBRA-123", "instructions": "LION-456"}, [assistant])
    assert code_words(ctx) == ["LION-456", "ZEBRA-123"]
    assert text_reply(ctx) == "You said: say ZEBRA-123 and ZEBRA-123 Code words: LION-456, ZEBRA-123."


def test_count_rule() -> None:
    _, ctx = ctx_for({"input": "please count to 3"})
    assert text_reply(ctx) == "1 2 3"


def test_usage_counts_visible_tokens() -> None:
    req, ctx = ctx_for({"input": "one two", "instructions": "three"})
    assert generate(req, ctx).input_tokens == 3


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"s": {"type": "string", "minLength": 8}, "n": {"type": "number"},
                                          "i": {"type": "integer", "minimum": 5}, "b": {"type": "boolean"},
                                          "e": {"enum": ["x", "y"]}, "z": {"type": ["null", "string"]},
                                          "a": {"type": "array", "items": {"type": "integer"}, "minItems": 2}},
         "required": ["s", "n", "i", "b", "e", "z", "a"], "additionalProperties": False},
        {"$defs": {"P": {"type": "object", "properties": {"d": {"type": "string", "format": "date"}},
                         "required": ["d"], "additionalProperties": False}},
         "type": "object", "properties": {"p": {"$ref": "#/$defs/P"},
                                          "o": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/P"}]}},
         "required": ["p", "o"], "additionalProperties": False},
        {"type": "array", "items": {"const": 3}, "maxItems": 1},
    ],
)
def test_instances_are_valid(schema: dict) -> None:
    jsonschema.validate(instance_of(schema, "WORD"), schema)


def test_strict_problems() -> None:
    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": []}
    assert "additionalProperties" in strict_problem(loose)
    assert "Missing 'a'" in strict_problem({**loose, "additionalProperties": False})
    assert strict_problem({**loose, "additionalProperties": False, "required": ["a"]}) is None


def test_tool_rules() -> None:
    tools = [{"type": "function", "name": "alpha", "parameters": {"type": "object", "properties": {
        "q": {"type": "string"}}}}, {"type": "function", "name": "beta"}]
    req, ctx = ctx_for({"input": "beta, then alpha NONCE-999", "tools": tools})
    outputs = generate(req, ctx).outputs
    assert [o.name for o in outputs if isinstance(o, PlannedCall)] == ["beta", "alpha"]
    assert outputs[1].arguments == '{"q":"NONCE-999"}'
    req, ctx = ctx_for({"input": "beta", "tools": tools, "tool_choice": "none"})
    assert isinstance(generate(req, ctx).outputs[0], PlannedMessage)
    req, ctx = ctx_for({"input": "alphabet", "tools": tools})  # a name inside a word is not a mention
    assert isinstance(generate(req, ctx).outputs[0], PlannedMessage)
