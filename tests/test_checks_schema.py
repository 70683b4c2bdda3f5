"""The schema checks on hand-made exchanges, and their calibration on the shared recordings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge, judge_all
from conformance.recordings import iter_paths, load_file
from conformance.registry import all_checks, get
from conformance.verdicts import Result, Verdict
from tests.test_schemas import message_item, response


def exchange(
    method: str = "POST",
    path: str = "/v1/responses",
    body: Any = None,
    events: list[dict[str, Any]] | None = None,
    status: int = 200,
    recorded_at: str | None = None,
) -> Exchange:
    sse = None
    if events is not None:
        sse = "".join(f"event: {e.get('type')}\ndata: {json.dumps(e)}\n\n" for e in events)
    return Exchange(
        request=RecordedRequest(method=method, path=path, body={"model": "m", "stream": events is not None}),
        response=RecordedResponse(status=status, body=body, sse=sse),
        recorded_at=recorded_at,
    )


def verdict(check_id: str, ex: Exchange) -> Result | None:
    return judge(get(check_id), Transcript(scenario="hand-made", exchanges=[ex]))


def stream(*middle: dict[str, Any], created_at: Any = 1760000000) -> list[dict[str, Any]]:
    """A minimal well-formed stream with `middle` events between in_progress and completed."""
    evs: list[dict[str, Any]] = [
        {"type": "response.created", "response": response(status="in_progress", output=[], usage=None,
                                                          created_at=created_at)},
        {"type": "response.in_progress", "response": response(status="in_progress", output=[], usage=None,
                                                              created_at=created_at)},
        *middle,
        {"type": "response.completed", "response": response(created_at=created_at)},
    ]
    return [{**e, "sequence_number": i} for i, e in enumerate(evs)]


def delta(**over: Any) -> dict[str, Any]:
    ev = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
          "delta": "hi", "logprobs": [], "obfuscation": "x"}
    ev.update(over)
    return ev


# --------------------------------------------------------------------------------------------------------
# schema.response


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/responses"), ("GET", "/v1/responses/resp_1"), ("POST", "/openai/v1/responses/resp_1/cancel")],
)
def test_response_passes_on_create_retrieve_cancel(method: str, path: str) -> None:
    r = verdict("schema.response", exchange(method, path, body=response()))
    assert r is not None and r.verdict is Verdict.PASS


def test_response_fails_and_names_the_path() -> None:
    body = response(output=[message_item(content=[{"type": "output_text", "text": "hi", "annotations": None}])])
    r = verdict("schema.response", exchange(body=body))
    assert r is not None and r.verdict is Verdict.FAIL
    assert "$.output[0].content[0].annotations" in r.message
    assert r.evidence["path"] == "$.output[0].content[0].annotations"


def test_response_fails_on_xai_json_schema_format_without_name() -> None:
    fmt = {"type": "json_schema", "schema": {"type": "object"}, "strict": True}
    r = verdict("schema.response", exchange(body=response(text={"format": fmt})))
    assert r is not None and r.verdict is Verdict.FAIL
    assert "$.text.format: 'name' is a required property" in r.message


def test_response_does_not_judge_other_routes_or_errors() -> None:
    assert verdict("schema.response", exchange(body={"error": {}}, status=400)) is None
    assert verdict("schema.response", exchange("POST", "/v1/responses/compact", body={"object": "x"})) is None
    assert verdict("schema.response", exchange("DELETE", "/v1/responses/resp_1", body={"id": "r"})) is None
    assert verdict("schema.response", exchange(events=stream())) is None


# --------------------------------------------------------------------------------------------------------
# schema.input-items


def item_list(**over: Any) -> dict[str, Any]:
    body = {"object": "list", "data": [{"type": "message", "id": "msg_0", "role": "user", "status": "completed",
                                        "content": [{"type": "input_text", "text": "hello"}]}],
            "first_id": "msg_0", "last_id": "msg_0", "has_more": False}
    body.update(over)
    return body


def test_input_items_pass_and_fail() -> None:
    path = "/v1/responses/resp_1/input_items"
    r = verdict("schema.input-items", exchange("GET", path, body=item_list()))
    assert r is not None and r.verdict is Verdict.PASS
    r = verdict("schema.input-items", exchange("GET", path, body=item_list(has_more="no", data=[{"type": 7}])))
    assert r is not None and r.verdict is Verdict.FAIL
    assert "$.data[0]" in r.message and "$.has_more: 'no' is not of type 'boolean'" in r.message


# --------------------------------------------------------------------------------------------------------
# schema.stream-events


def test_stream_events_pass() -> None:
    r = verdict("schema.stream-events", exchange(events=stream(delta())))
    assert r is not None and r.verdict is Verdict.PASS


def test_stream_event_fails_against_its_own_schema() -> None:
    r = verdict("schema.stream-events", exchange(events=stream(delta(content_index="0"))))
    assert r is not None and r.verdict is Verdict.FAIL
    assert "event 2 (response.output_text.delta) $.content_index: '0' is not of type 'integer'" in r.message
    assert r.evidence["path"] == "$.content_index" and r.evidence["event_index"] == 2


def test_stream_event_fails_deep_inside_the_response() -> None:
    evs = stream()
    evs[-1]["response"]["output"][0]["content"][0]["annotations"] = [{"type": "url_citation"}]
    r = verdict("schema.stream-events", exchange(events=evs))
    assert r is not None and r.verdict is Verdict.FAIL
    assert "$.response.output[0].content[0].annotations[0]: 'url' is a required property" in r.message


def test_stream_event_without_type_fails() -> None:
    evs = stream({"delta": "hi"})
    r = verdict("schema.stream-events", exchange(events=evs))
    assert r is not None and r.verdict is Verdict.FAIL
    assert "event 2 (None) $.type: the event has no string `type`" in r.message


def test_missing_sequence_number_is_judged_by_the_recording_date() -> None:
    evs = stream(delta())
    for e in evs:
        del e["sequence_number"]
    del evs[2]["logprobs"]
    # OpenAI sent neither sequence_number nor delta logprobs before 2025-07 (conformance/fielddates.py).
    for before in ("2025-03-20T10:00:00Z", "2025-07-31T10:00:00Z"):
        old = verdict("schema.stream-events", exchange(events=evs, recorded_at=before))
        assert old is not None and old.verdict is Verdict.PASS, old.message
    new = verdict("schema.stream-events", exchange(events=evs, recorded_at="2026-01-20T10:00:00Z"))
    assert new is not None and new.verdict is Verdict.FAIL
    assert "$: 'sequence_number' is a required property" in new.message
    live = verdict("schema.stream-events", exchange(events=evs))
    assert live is not None and live.verdict is Verdict.FAIL


def _added(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.added", "output_index": 0, "item": item}


@pytest.mark.parametrize("item", [
    {"id": "ws_1", "type": "web_search_call", "status": "in_progress"},  # no `action` until done (OpenAI)
    {"id": "fs_1", "type": "file_search_call", "status": "in_progress"},
    {"id": "ci_1", "type": "code_interpreter_call", "status": "in_progress"},
    {"id": "mcpl_1", "type": "mcp_list_tools"},
    {"id": "ig_1", "type": "image_generation_call", "status": "in_progress"},
    {"id": "msg_1", "type": "message"},
], ids=lambda i: i["type"])
def test_partial_items_in_added_events_pass_for_every_item_type(item: dict[str, Any]) -> None:
    r = verdict("schema.stream-events", exchange(events=stream(_added(item))))
    assert r is not None and r.verdict is Verdict.PASS, r.message


def test_partial_items_keep_their_identity_and_value_types() -> None:
    no_id = verdict("schema.stream-events", exchange(events=stream(_added({"type": "web_search_call"}))))
    assert no_id is not None and no_id.verdict is Verdict.FAIL
    wrong = verdict("schema.stream-events", exchange(events=stream(_added(
        {"id": "ws_1", "type": "web_search_call", "status": 7}))))
    assert wrong is not None and wrong.verdict is Verdict.FAIL


def test_done_items_and_terminal_responses_need_the_full_schema() -> None:
    partial = {"id": "ws_1", "type": "web_search_call", "status": "completed"}
    done = {"type": "response.output_item.done", "output_index": 0, "item": partial}
    r = verdict("schema.stream-events", exchange(events=stream(done)))
    assert r is not None and r.verdict is Verdict.FAIL and "'action' is a required property" in r.message
    evs = stream()
    evs[-1]["response"]["output"] = [partial]
    r = verdict("schema.stream-events", exchange(events=evs))
    assert r is not None and r.verdict is Verdict.FAIL
    # ... while a response still in progress holds snapshots, in events and as a polled body alike.
    evs = stream()
    evs[1]["response"]["output"] = [partial]
    assert verdict("schema.stream-events", exchange(events=evs)).verdict is Verdict.PASS
    polled = exchange(method="GET", path="/v1/responses/resp_1", body=response(status="in_progress", output=[partial]))
    assert verdict("schema.response", polled).verdict is Verdict.PASS
    cancelled = exchange(path="/v1/responses/resp_1/cancel", body=response(status="cancelled", output=[partial]))
    assert verdict("schema.response", cancelled).verdict is Verdict.PASS  # stopped mid-way: still a snapshot
    finished = exchange(method="GET", path="/v1/responses/resp_1", body=response(output=[partial]))
    assert verdict("schema.response", finished).verdict is Verdict.FAIL


def test_a_null_body_is_no_response() -> None:
    ex = Exchange(RecordedRequest("POST", "/v1/responses", body={"model": "m"}),
                  RecordedResponse(200, {"content-type": "application/json"}, body=None, text="null"))
    r = verdict("schema.response", ex)
    assert r is not None and r.verdict is Verdict.FAIL and "not a Response" in r.message
    listed = exchange(body=[1])
    assert verdict("schema.response", listed).verdict is Verdict.FAIL
    empty = exchange(body=None)  # nothing recorded: nothing to judge
    assert verdict("schema.response", empty) is None


# --------------------------------------------------------------------------------------------------------
# schema.stream-event-types


def test_unknown_members_of_a_known_family_warn() -> None:
    partial = {"type": "response.output_text.partial", "item_id": "msg_1", "output_index": 0, "content_index": 0}
    r = verdict("schema.stream-event-types", exchange(events=stream(partial)))
    assert r is not None and r.verdict is Verdict.WARN
    assert "response.output_text.partial (x1, first at event 2)" in r.message
    assert r.evidence["types"] == ["response.output_text.partial"]
    # not a schema.stream-events FAIL: that check judges known types only
    r = verdict("schema.stream-events", exchange(events=stream(partial)))
    assert r is not None and r.verdict is Verdict.PASS


def test_unknown_families_are_listed_not_judged() -> None:
    """docs/rules.md#newer-than-the-sdk: OpenAI sends families before the SDK learns them."""
    part = {"type": "response.reasoning_part.added", "item_id": "rs_1", "output_index": 0}
    diff = {"type": "response.apply_patch_call_operation_diff.delta", "item_id": "ap_1", "output_index": 0}
    r = verdict("schema.stream-event-types", exchange(events=stream(part, diff)))
    assert r is not None and r.verdict is Verdict.PASS
    assert "response.reasoning_part.added (x1, first at event 2)" in r.message
    assert r.evidence["types"] == ["response.apply_patch_call_operation_diff.delta", "response.reasoning_part.added"]


def test_known_types_and_keepalives_pass() -> None:
    pings = [{"type": "response.ping"}, {"type": "keepalive"}, {"type": "response.keep_alive"}]
    r = verdict("schema.stream-event-types", exchange(events=stream(delta(), *pings)))
    assert r is not None and r.verdict is Verdict.PASS


# --------------------------------------------------------------------------------------------------------
# schema.created-at-integer


def test_created_at_integer_passes() -> None:
    r = verdict("schema.created-at-integer", exchange(body=response()))
    assert r is not None and r.verdict is Verdict.PASS
    r = verdict("schema.created-at-integer", exchange(events=stream()))
    assert r is not None and r.verdict is Verdict.PASS


def test_float_created_at_warns_and_is_no_fail() -> None:
    ex = exchange(body=response(created_at=1787150056.0))
    r = verdict("schema.created-at-integer", ex)
    assert r is not None and r.verdict is Verdict.WARN
    assert r.message == "$.created_at: 1787150056.0 is a float, not an integer number of seconds"
    r = verdict("schema.response", ex)
    assert r is not None and r.verdict is Verdict.PASS  # the SDK types say number


def test_float_created_at_in_a_stream_warns() -> None:
    r = verdict("schema.created-at-integer", exchange(events=stream(created_at=1787150055.5)))
    assert r is not None and r.verdict is Verdict.WARN
    assert r.message.startswith("event 0 (response.created) $.response.created_at: 1787150055.5 is a float")


def test_millisecond_created_at_warns() -> None:
    r = verdict("schema.created-at-integer", exchange(body=response(created_at=1787150056123)))
    assert r is not None and r.verdict is Verdict.WARN
    assert "$.created_at: 1787150056123 looks like milliseconds" in r.message


# --------------------------------------------------------------------------------------------------------
# Calibration on the recordings


def _judge_dir(directory: Path) -> list[Result]:
    checks = [c for c in all_checks() if c.area == "schema"]
    transcripts = [Transcript(scenario=str(p), exchanges=[load_file(p)]) for p in iter_paths([str(directory)])]
    return judge_all(checks, transcripts)


def test_openai_recordings_give_no_fail_error_or_warn(recordings_dir: Path) -> None:
    results = _judge_dir(recordings_dir / "openai")
    bad = [f"{r.verdict.value} {r.check_id} {Path(r.scenario).name}: {r.message}" for r in results
           if r.verdict is not Verdict.PASS]
    assert bad == []
    judged = Counter(r.check_id for r in results)
    assert judged["schema.response"] > 400 and judged["schema.stream-events"] > 250
    assert judged["schema.input-items"] > 40


def test_vendor_recordings_show_bedrock_deviations(recordings_dir: Path) -> None:
    results = _judge_dir(recordings_dir / "vendors")
    assert not [r for r in results if r.verdict is Verdict.ERROR]
    bedrock = [r for r in results if "bedrock_mantle" in r.scenario and r.verdict is not Verdict.PASS]
    by_check = Counter((r.check_id, r.verdict) for r in bedrock)
    assert by_check == {
        ("schema.created-at-integer", Verdict.WARN): 4,  # 3 bodies and 1 stream, all float created_at
        ("schema.response-fields-complete", Verdict.WARN): 4,  # Bedrock leaves out fields OpenAI always sends
    }
    # response.reasoning_part.* is a family the SDK does not know: listed, not judged (docs/rules.md#newer-than-the-sdk)
    listed = [r for r in results if "bedrock_mantle" in r.scenario and r.check_id == "schema.stream-event-types"]
    assert [r.evidence.get("types") for r in listed if r.evidence.get("types")] == [
        ["response.reasoning_part.added", "response.reasoning_part.done"]]
    # xAI answers a json_schema request with a text.format that has no `name`
    xai = [r for r in results if r.verdict is Verdict.FAIL]
    assert xai and all("xai" in r.scenario and "$.text.format" in r.message for r in xai)


def test_response_fields_complete_warns_on_omitted_nulls_and_passes_complete_objects():
    from conformance.checks.schema import ALWAYS_SENT
    from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
    from conformance.judge import judge
    from conformance.registry import get

    full = {k: None for k in ALWAYS_SENT} | {"id": "resp_1", "object": "response", "output": []}
    check = get("schema.response-fields-complete")

    def verdict(body):
        ex = Exchange(RecordedRequest("POST", "/v1/responses", body={"model": "m"}),
                      RecordedResponse(200, {"content-type": "application/json"}, body=body))
        return judge(check, Transcript("t", [ex]))

    assert verdict(full).verdict is Verdict.PASS
    # Before OpenAI sent service_tier (2025-05) and max_tool_calls (2025-06), a recording lacks them rightly.
    older = {k: v for k, v in full.items() if k not in ("service_tier", "max_tool_calls")}
    ex = Exchange(RecordedRequest("POST", "/v1/responses", body={"model": "m"}),
                  RecordedResponse(200, {"content-type": "application/json"}, body=older),
                  recorded_at="2025-04-02T00:00:00Z")
    assert judge(check, Transcript("t", [ex])).verdict is Verdict.PASS
    ex.recorded_at = "2025-07-02T00:00:00Z"
    r = judge(check, Transcript("t", [ex]))
    assert r.verdict is Verdict.WARN and r.evidence["missing"] == ["max_tool_calls", "service_tier"]
    assert verdict(older).verdict is Verdict.WARN  # a live run is judged by today
    partial = {k: v for k, v in full.items() if k not in ("user", "usage")}
    r = verdict(partial)
    assert r.verdict is Verdict.WARN
    assert "user" in r.message and "usage" in r.message and r.evidence["missing"] == ["usage", "user"]


def _format_exchange(fmt: dict[str, Any], echoed: Any, stream_it: bool = False) -> Exchange:
    body = response(text=echoed)
    req = {"model": "m", "input": "hi", "text": {"format": fmt}}
    if not stream_it:
        return Exchange(RecordedRequest("POST", "/v1/responses", body=req),
                        RecordedResponse(200, {"content-type": "application/json"}, body=body))
    evs = stream()
    for e in evs:
        e["response"]["text"] = echoed
    ex = exchange(events=evs)
    ex.request.body = {**req, "stream": True}
    return ex


SCHEMA_FORMAT = {"type": "json_schema", "name": "city", "strict": True,
                 "schema": {"type": "object", "properties": {"c": {"type": "string"}}, "required": ["c"],
                            "additionalProperties": False}}


@pytest.mark.parametrize(("fmt", "echoed", "expected"), [
    (SCHEMA_FORMAT, {"format": {**SCHEMA_FORMAT, "description": None}, "verbosity": "medium"}, Verdict.PASS),
    ({k: v for k, v in SCHEMA_FORMAT.items() if k != "strict"}, {"format": SCHEMA_FORMAT}, Verdict.PASS),
    ({"type": "json_object"}, {"format": {"type": "json_object"}}, Verdict.PASS),
    (SCHEMA_FORMAT, None, Verdict.FAIL),
    (SCHEMA_FORMAT, {"format": {"type": "text"}}, Verdict.FAIL),
    (SCHEMA_FORMAT, {"format": {**SCHEMA_FORMAT, "name": None}}, Verdict.FAIL),
    (SCHEMA_FORMAT, {"format": {**SCHEMA_FORMAT, "schema": {"type": "object"}}}, Verdict.FAIL),
    # OpenAI's normalisation (docs/rules.md#echo-normalisation): defaults filled in inside the schema, keys
    # reordered, a null sent and left out
    ({**SCHEMA_FORMAT, "description": None, "schema": {"type": "object", "properties": {"c": {"type": "string"}}}},
     {"format": {"schema": {"additionalProperties": False, "required": ["c"],
                            "properties": {"c": {"type": "string"}}, "type": "object"},
                 "strict": True, "type": "json_schema", "name": "city"}}, Verdict.PASS),
    (SCHEMA_FORMAT, {"format": {**SCHEMA_FORMAT, "schema": {**SCHEMA_FORMAT["schema"], "required": []}}}, Verdict.FAIL),
], ids=["echoed", "strict-filled-in", "json-object", "null", "text", "no-name", "other-schema", "normalised",
        "required-dropped"])
@pytest.mark.parametrize("stream_it", [False, True], ids=["body", "stream"])
def test_text_format_echo(fmt: dict[str, Any], echoed: Any, expected: Verdict, stream_it: bool) -> None:
    r = verdict("schema.text-format-echo", _format_exchange(fmt, echoed, stream_it))
    assert r is not None and r.verdict is expected, r and r.message


def test_text_format_echo_needs_a_requested_format() -> None:
    ex = _format_exchange(SCHEMA_FORMAT, None)
    ex.request.body = {"model": "m", "input": "hi"}
    assert verdict("schema.text-format-echo", ex) is None


def _echo_exchange(sent: dict[str, Any], echoed: dict[str, Any], stream_it: bool = False) -> Exchange:
    req = {"model": "m", "input": "hi", **sent}
    if not stream_it:
        return Exchange(RecordedRequest("POST", "/v1/responses", body=req),
                        RecordedResponse(200, {"content-type": "application/json"}, body=response(**echoed)))
    evs = stream()
    for e in evs:
        e["response"].update(echoed)
    ex = exchange(events=evs)
    ex.request.body = {**req, "stream": True}
    return ex


FORCED = {"type": "function", "name": "get_weather"}


@pytest.mark.parametrize(("sent", "echoed", "expected"), [
    ({"max_output_tokens": 16, "temperature": 0}, {"max_output_tokens": 16, "temperature": 0.0}, Verdict.PASS),
    ({"tool_choice": FORCED}, {"tool_choice": {**FORCED, "extra": None}}, Verdict.PASS),  # the echo may add keys
    ({"parallel_tool_calls": False, "user": "u1"}, {"parallel_tool_calls": False, "user": "u1"}, Verdict.PASS),
    ({"max_output_tokens": 16}, {"max_output_tokens": None}, Verdict.WARN),
    ({"tool_choice": FORCED}, {"tool_choice": "auto"}, Verdict.WARN),
    ({"parallel_tool_calls": False}, {"parallel_tool_calls": 0}, Verdict.WARN),  # not the boolean sent
    ({"top_p": 0.5}, {}, Verdict.WARN),  # absent (tests.test_schemas.response() has no top_p)
], ids=["numbers", "object-subset", "bool-and-string", "null", "other-choice", "bool-vs-int", "absent"])
@pytest.mark.parametrize("stream_it", [False, True], ids=["body", "stream"])
def test_parameters_echoed(sent: dict[str, Any], echoed: dict[str, Any], expected: Verdict, stream_it: bool) -> None:
    ex = _echo_exchange(sent, echoed, stream_it)
    r = verdict("schema.parameters-echoed", ex)
    assert r is not None and r.verdict is expected, r and r.message


def test_parameters_echoed_needs_a_parameter_sent() -> None:
    assert verdict("schema.parameters-echoed", _echo_exchange({}, {})) is None
