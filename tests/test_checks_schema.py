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


def test_missing_sequence_number_warns_only_on_old_recordings() -> None:
    evs = stream(delta())
    for e in evs:
        del e["sequence_number"]
    del evs[2]["logprobs"]
    old = verdict("schema.stream-events", exchange(events=evs, recorded_at="2025-03-20T10:00:00Z"))
    assert old is not None and old.verdict is Verdict.WARN
    assert "$: 'sequence_number' is a required property" in old.message
    new = verdict("schema.stream-events", exchange(events=evs, recorded_at="2026-01-20T10:00:00Z"))
    assert new is not None and new.verdict is Verdict.FAIL
    live = verdict("schema.stream-events", exchange(events=evs))
    assert live is not None and live.verdict is Verdict.FAIL


# --------------------------------------------------------------------------------------------------------
# schema.stream-event-types


def test_unknown_event_types_warn() -> None:
    part = {"type": "response.reasoning_part.added", "item_id": "rs_1", "output_index": 0}
    r = verdict("schema.stream-event-types", exchange(events=stream(part)))
    assert r is not None and r.verdict is Verdict.WARN
    assert "response.reasoning_part.added (x1, first at event 2)" in r.message
    assert r.evidence["types"] == ["response.reasoning_part.added"]
    # not a schema.stream-events FAIL: that check judges known types only
    r = verdict("schema.stream-events", exchange(events=stream(part)))
    assert r is not None and r.verdict is Verdict.PASS


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
        ("schema.stream-event-types", Verdict.WARN): 1,
        ("schema.response-fields-complete", Verdict.WARN): 4,  # Bedrock leaves out fields OpenAI always sends
    }
    kinds = next(r for r in bedrock if r.check_id == "schema.stream-event-types").evidence["types"]
    assert kinds == ["response.reasoning_part.added", "response.reasoning_part.done"]
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
    partial = {k: v for k, v in full.items() if k not in ("user", "usage")}
    r = verdict(partial)
    assert r.verdict is Verdict.WARN
    assert "user" in r.message and "usage" in r.message and r.evidence["missing"] == ["usage", "user"]
