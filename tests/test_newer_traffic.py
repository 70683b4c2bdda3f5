"""OpenAI traffic newer than the pinned SDK (docs/rules.md#newer-than-the-sdk), one hand-made exchange per
class of false verdict found on genuine streams: each passes, and the rule it relaxes still fails what it must."""

from __future__ import annotations

import copy
from typing import Any

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict
from tests import streams as s

PASS, FAIL = Verdict.PASS, Verdict.FAIL


def verdict(check_id: str, ex: Exchange) -> Verdict | None:
    r = judge(get(check_id), Transcript(scenario="hand-made", exchanges=[ex]))
    return None if r is None else r.verdict


# What OpenAI's Responses carry besides what tests/streams.py sets, so that every exchange check can judge them.
FULL_RESPONSE: dict[str, Any] = {
    "created_at": 1770000000, "model": "gpt-6", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    "background": False, "instructions": None, "max_output_tokens": None, "max_tool_calls": None,
    "previous_response_id": None, "reasoning": {"effort": None, "summary": None}, "service_tier": "default",
    "store": True, "temperature": 1.0, "text": {"format": {"type": "text"}}, "top_logprobs": 0, "top_p": 1.0,
    "truncation": "disabled", "user": None, "metadata": {},
}


def complete(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for e in events:
        if isinstance(e.get("response"), dict):
            e["response"] = {**FULL_RESPONSE, **e["response"]}
    return events


def not_failed(ex: Exchange) -> list[str]:
    """Every check that FAILs or WARNs the exchange, with its message."""
    out = []
    for check in all_checks():
        if check.scope == "transcript":
            continue
        r = judge(check, Transcript(scenario="hand-made", exchanges=[ex]))
        if r is not None and r.verdict in (Verdict.FAIL, Verdict.WARN, Verdict.ERROR):
            out.append(f"{r.check_id} {r.verdict.value}: {r.message}")
    return out


def item_stream(added: dict[str, Any], done: dict[str, Any], final: dict[str, Any] | None = None,
                between: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    events = complete(s.stream([
        {"type": "response.output_item.added", "output_index": 0, "item": added},
        *(between or []),
        {"type": "response.output_item.done", "output_index": 0, "item": done},
    ]))
    if final is not None:
        events[-1]["response"]["output"] = [final]
    return events


SHELL_OUTPUT = {"type": "shell_call_output", "id": "sho_1", "call_id": "call_sh", "status": "completed",
                "output": [{"stdout": "hi\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}]}


def test_items_born_complete_pass_but_a_completed_message_still_fails() -> None:
    born = item_stream(SHELL_OUTPUT, SHELL_OUTPUT)
    assert verdict("stream.item-added-status", s.exchange(born)) is PASS
    made = s.stream(s.message(0, ["Hi"]))
    s.find(made, "response.output_item.added")["item"]["status"] = "completed"
    assert verdict("stream.item-added-status", s.exchange(made)) is FAIL


PROGRAM = {"type": "program", "id": "prg_1", "call_id": "call_p", "code": "print(1)", "fingerprint": "fp-done",
           "status": "completed"}


def test_opaque_fields_may_be_reissued_but_other_fields_may_not() -> None:
    final = {**PROGRAM, "fingerprint": "fp-terminal"}
    events = item_stream({**PROGRAM, "status": "in_progress", "code": ""}, PROGRAM, final)
    assert verdict("stream.output-matches-items", s.exchange(events)) is PASS
    changed = item_stream({**PROGRAM, "status": "in_progress", "code": ""}, PROGRAM, {**final, "code": "print(2)"})
    assert verdict("stream.output-matches-items", s.exchange(changed)) is FAIL


TOOL_SEARCH = {"type": "tool_search_call", "id": "tsc_1", "call_id": "call_a", "arguments": {}, "execution": "server",
               "status": "in_progress"}


def test_identity_is_the_id_and_call_id_only_where_the_sdk_requires_it() -> None:
    done = {**TOOL_SEARCH, "call_id": "call_b", "status": "completed"}
    assert verdict("stream.item-done-identity", s.exchange(item_stream(TOOL_SEARCH, done))) is PASS
    assert verdict("stream.output-matches-items", s.exchange(item_stream(TOOL_SEARCH, done))) is PASS
    moved = {**done, "id": "tsc_2"}
    assert verdict("stream.item-done-identity", s.exchange(item_stream(TOOL_SEARCH, moved))) is FAIL
    fc = s.stream(s.function_call(0, ["{}"]))
    s.find(fc, "response.output_item.done")["item"]["call_id"] = "call_other"  # required by the SDK: judged
    assert verdict("stream.item-done-identity", s.exchange(fc)) is FAIL


def test_in_stream_error_in_the_envelope_shape_and_an_unknown_failure_code() -> None:
    failed = s.response("failed", error={"code": "insufficient_quota", "message": "You exceeded your quota."})
    events = complete(s.fresh([
        {"type": "response.created", "response": s.response()},
        {"type": "response.in_progress", "response": s.response()},
        {"type": "error", "error": {"type": "insufficient_quota", "code": "insufficient_quota",
                                    "message": "You exceeded your quota.", "param": None}},
        {"type": "response.failed", "response": failed},
    ]))
    assert not_failed(s.exchange(events)) == []


def test_event_item_and_tool_types_newer_than_the_sdk() -> None:
    """Unknown types pass; the grammar the suite knows (sequence numbers, indexes, identity) still holds them."""
    item = {"type": "hologram_call", "id": "hc_1", "status": "in_progress"}
    ref = {"item_id": "hc_1", "output_index": 0}
    events = item_stream(item, {**item, "status": "completed", "frames": 3}, between=[
        {"type": "response.hologram_call_frames.delta", **ref, "delta": {"frame": 1}},
        {"type": "keepalive"},
        {"type": "response.hologram_call_frames.done", **ref, "frames": 3},
    ])
    for e in events:
        if e["type"] in ("response.created", "response.in_progress", "response.completed"):
            e["response"]["tools"] = [{"type": "programmatic_tool_calling"}, {"type": "hologram"}]
    ex = s.exchange(events)
    assert not_failed(ex) == []
    # the grammar still applies to them: a sub-event naming another item id, an index never added
    wrong_id = copy.deepcopy(events)
    wrong_id[3]["item_id"] = "hc_other"
    assert verdict("stream.item-id-matches", s.exchange(wrong_id)) is FAIL
    wrong_index = copy.deepcopy(events)
    wrong_index[3]["output_index"] = 5
    assert verdict("stream.item-event-refers-to-open-item", s.exchange(wrong_index)) is FAIL
    text = s.render(events)
    renumbered = text.replace('"sequence_number": 4', '"sequence_number": 2')  # the keepalive goes backwards
    assert verdict("stream.sequence-number", s.exchange(renumbered)) is FAIL


def unknown_request(ex: Exchange) -> Exchange:
    ex.request = RecordedRequest(method="POST", path="/v1/responses", body=None)
    return ex


def test_a_stream_whose_request_was_not_recorded_is_not_judged_by_request_rules() -> None:
    ex = unknown_request(s.exchange(item_stream(SHELL_OUTPUT, SHELL_OUTPUT)))
    assert ex.request.unknown
    assert verdict("framing.non-stream-json", ex) is None
    assert not_failed(ex) == []
    # with the request recorded, a stream answering a non-stream request still fails
    known = s.exchange(s.valid())
    known.request.body = {"model": "m", "input": "hi"}
    assert verdict("framing.non-stream-json", known) is FAIL
    # a JSON answer to an unknown request is still held to JSON framing
    body = Exchange(RecordedRequest("POST", "/v1/responses", body=None),
                    RecordedResponse(200, {"content-type": "text/html"}, text="<html>"))
    assert verdict("framing.non-stream-json", body) is FAIL
