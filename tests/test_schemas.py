"""The vendored schemas (drift, coverage, overlay) and the validators in conformance/schemas.py."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from conformance import schemagen, schemas
from conformance.recordings import iter_paths, load_file
from conformance.schemas import SchemaSet

SCHEMAS = schemagen.SCHEMAS_DIR


def message_item(**over: Any) -> dict[str, Any]:
    item = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "hi", "annotations": []}],
    }
    item.update(over)
    return item


def response(**over: Any) -> dict[str, Any]:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1760000000,
        "status": "completed",
        "model": "gpt-4o-mini",
        "output": [message_item()],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "user": None,
        "usage": {
            "input_tokens": 3,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 1,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 4,
        },
        "store": True,  # undeclared by the SDK, sent by OpenAI
    }
    body.update(over)
    return body


def test_no_drift() -> None:
    if schemagen.openai_version() != schemagen.SDK_VERSION:
        pytest.fail(f"openai {schemagen.openai_version()} installed, schemas pinned to {schemagen.SDK_VERSION}")
    expected = schemagen.generate()
    on_disk = {rel: (SCHEMAS / rel).read_text(encoding="utf-8") for rel in expected if (SCHEMAS / rel).is_file()}
    stale = sorted(f"events/{p.name}" for p in (SCHEMAS / "events").iterdir() if f"events/{p.name}" not in expected)
    missing = sorted(set(expected) - set(on_disk))
    changed = sorted(k for k in on_disk if on_disk[k] != expected[k])
    assert not (stale or missing or changed), (
        f"schemas/ differs from `python -m conformance.schemagen`: changed={changed} missing={missing} stale={stale}"
    )


def test_every_stream_event_type_has_its_own_schema() -> None:
    types = schemas.event_types()
    assert len(types) == 59
    for t in types:
        schema = json.loads((SCHEMAS / "events" / f"{t}.json").read_text())
        assert schema["properties"]["type"]["const"] == t
    assert {"response.created", "response.output_text.delta", "error"} <= types


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_additional_properties_are_never_forbidden() -> None:
    relax = json.loads((SCHEMAS / "overlay.json").read_text())
    names = [*schemas.BODY_SCHEMAS, *(f"events/{t}" for t in schemas.event_types())]
    assert len(names) == 63
    for p in (SCHEMAS / f"{n}.json" for n in names):
        relaxed = schemas.apply_overlay(json.loads(p.read_text()), relax)
        for node in _walk(relaxed):
            assert node.get("additionalProperties") is not False, p
            assert node.get("unevaluatedProperties") is not False, p


def test_valid_response_passes_with_undeclared_keys_and_nulls() -> None:
    assert schemas.validate_response(response()) == []
    assert schemas.validate_response(response(usage=None, billing={"payer": "developer"})) == []


def test_error_names_the_json_path_inside_the_discriminated_item() -> None:
    body = response(output=[message_item(content=[{"type": "output_text", "text": "hi", "annotations": "none"}])])
    errors = schemas.validate_response(body)
    assert [e.path for e in errors] == ["$.output[0].content[0].annotations"]
    assert "is not of type 'array'" in errors[0].message


def test_the_world_is_open_to_types_and_codes_newer_than_the_sdk() -> None:
    """docs/rules.md#newer-than-the-sdk: unknown item, tool and part types pass; known ones are still judged."""
    newer = response(
        output=[{"type": "code_sandbox_call", "id": "x", "status": "completed"}, message_item(
            content=[{"type": "output_hologram", "data": "…"}])],
        tools=[{"type": "quantum_search"}, {"type": "function", "name": "f", "parameters": {}, "strict": True}],
        status="failed", error={"code": "insufficient_quota", "message": "You exceeded your current quota."},
    )
    assert schemas.validate_response(newer) == []
    # a type the SDK knows is still held to its model, and an item is still an object with a string type
    errors = schemas.validate_response(response(output=[{"type": "function_call", "id": "x"}]))
    assert {e.path for e in errors} == {"$.output[0]"} and "'call_id' is a required property" in str(errors)
    assert schemas.validate_response(response(output=[{"type": 7}]))
    assert schemas.validate_response(response(output=["message"]))
    assert schemas.validate_response(response(status="failed", error={"code": 429, "message": "x"}))


def test_error_event_in_either_shape() -> None:
    flat = {"type": "error", "code": "server_error", "message": "boom", "param": None, "sequence_number": 3}
    nested = {"type": "error", "sequence_number": 3,
              "error": {"type": "server_error", "code": "server_error", "message": "boom", "param": None}}
    assert schemas.validate_event(flat) == [] and schemas.validate_event(nested) == []
    assert schemas.validate_event({"type": "error", "error": {"code": "x"}, "sequence_number": 3})  # no message


def test_user_of_another_type_lists_what_was_expected() -> None:
    errors = schemas.validate_response(response(user=7))
    assert [str(e) for e in errors] == [
        "$.user: matches none of the allowed shapes (got an integer; expected one of: string, null)"
    ]


def test_event_dispatch_uses_the_type_own_schema() -> None:
    ev = {"type": "response.completed", "sequence_number": 9, "response": response(created_at="yesterday")}
    errors = schemas.validate_event(ev)
    assert errors is not None and [e.path for e in errors] == ["$.response.created_at"]
    delta = {"type": "response.output_text.delta", "sequence_number": 3, "item_id": "msg_1", "output_index": 0,
             "content_index": 0, "delta": "hi", "logprobs": [], "obfuscation": "abc"}
    assert schemas.validate_event(delta) == []
    del delta["item_id"]
    assert [str(e) for e in schemas.validate_event(delta) or []] == ["$: 'item_id' is a required property"]


def test_unknown_event_type_is_distinguishable() -> None:
    assert schemas.validate_event({"type": "response.reasoning_part.added"}) is None
    assert schemas.validate_event({"no": "type"}) is None


def test_error_body_validator() -> None:
    good = {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}
    assert schemas.validate_error_body(good) == []
    xai = {"code": "invalid-argument", "error": "Incorrect API key provided."}
    assert [e.path for e in schemas.validate_error_body(xai)] == ["$.error"]
    int_code = copy.deepcopy(good)
    int_code["error"]["code"] = 400
    assert [e.path for e in schemas.validate_error_body(int_code)] == ["$.error.code"]


def test_delete_body_validator() -> None:
    assert schemas.validate_delete_body({"id": "resp_1", "object": "response.deleted", "deleted": True}) == []
    assert schemas.validate_delete_body({"id": "resp_1", "object": "response", "deleted": True}) == []
    errors = schemas.validate_delete_body({"id": "resp_1", "object": "thread.deleted", "deleted": False})
    assert sorted(e.path for e in errors) == ["$.deleted", "$.object"]


def test_overlay_ops() -> None:
    schema = {"title": "M", "type": "object", "required": ["a", "b"],
              "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
              "$defs": {"S": {"type": "object", "properties": {"type": {"const": "url"}}}}}
    relaxed = schemas.apply_overlay(schema, [
        {"model": "M", "property": "a", "op": "optional"},
        {"model": "M", "property": "b", "op": "nullable"},
        {"model": "S", "op": "alternative", "value": {"properties": {"type": {"const": "api"}}}},
    ])
    assert relaxed["required"] == ["b"]
    assert relaxed["properties"]["b"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert relaxed["$defs"]["S"]["anyOf"][1] == {"properties": {"type": {"const": "api"}}}
    assert schema["required"] == ["a", "b"]  # the input is not mutated
    with pytest.raises(ValueError, match="unknown overlay op"):
        schemas.apply_overlay(schema, [{"model": "M", "property": "a", "op": "drop"}])


# --------------------------------------------------------------------------------------------------------
# Against the recordings


def _instances(directory: Path) -> list[tuple[str, str | None, Any]]:
    """(file, schema name or None for an event, instance) for every body and event the schema checks judge."""
    out: list[tuple[str, str | None, Any]] = []
    for p in iter_paths([str(directory)]):
        ex = load_file(p)
        if ex.stream is not None:
            out += [(p.name, None, ev.json) for ev in ex.stream.typed()]
        elif ex.ok and isinstance(ex.response.body, dict):
            name = {"response": "response", "list": "response_item_list"}.get(ex.response.body.get("object"))
            if name:
                out.append((p.name, name, ex.response.body))
    return out


def _failures(ss: SchemaSet, instances: list[tuple[str, str | None, Any]], first_only: bool = False) -> list[str]:
    bad: list[str] = []
    for f, name, inst in instances:
        errors = ss.validate_event(inst) if name is None else ss.validate(name, inst)
        if errors:
            bad.append(f"{f}: {errors[0]}")
            if first_only:
                break
    return bad


@pytest.fixture(scope="module")
def openai_instances(recordings_dir: Path) -> list[tuple[str, str | None, Any]]:
    return _instances(recordings_dir / "openai")


def test_every_openai_recording_validates_quickly(openai_instances: list[tuple[str, str | None, Any]]) -> None:
    assert len(openai_instances) > 19000
    start = time.perf_counter()
    assert _failures(schemas.default(), openai_instances) == []
    assert time.perf_counter() - start < 60  # seconds, not minutes (about 5 s on a laptop)


def test_each_relaxation_is_needed(openai_instances: list[tuple[str, str | None, Any]]) -> None:
    for i, entry in enumerate(schemagen.RELAXATIONS):
        without = SchemaSet(relaxations=schemagen.RELAXATIONS[:i] + schemagen.RELAXATIONS[i + 1:])
        if "example" in entry:  # OpenAI traffic seen outside the shared recordings
            assert without.validate_event(entry["example"]), f"the example does not need {entry['model']}"
            assert schemas.default().validate_event(entry["example"]) == []
            continue
        assert _failures(without, openai_instances, first_only=True), f"no OpenAI recording needs {entry}"


def test_upgrade_command_reads_the_range_and_pins_the_test_extra() -> None:
    text = schemagen.PYPROJECT.read_text(encoding="utf-8")
    assert schemagen.dependency_range(text).startswith("openai>=")
    pinned = schemagen.pin_test_extra(text, "3.99.2")
    assert '"openai>=3.99.2,<3.100"' in pinned
    assert schemagen.dependency_range(pinned) == schemagen.dependency_range(text)  # the package range is untouched
    # the test extra pins the minor release the schemas were generated from
    assert f'"openai>={schemagen.SDK_VERSION},<' in text
