"""Framing checks on hand-made exchanges: each one FAILs/WARNs on a broken exchange and PASSes on a good one."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.registry import get
from conformance.verdicts import Verdict

SSE_CT = "text/event-stream; charset=utf-8"
GOOD_SSE = (
    'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n'
    'event: response.completed\ndata: {"type":"response.completed","sequence_number":1}\n\n'
)


def streamed(sse: str, content_type: str | None = SSE_CT, status: int = 200, **req: Any) -> Exchange:
    return Exchange(
        request=RecordedRequest("POST", "/v1/responses", body={"model": "m", "input": "hi", "stream": True, **req}),
        response=RecordedResponse(status, headers={"content-type": content_type} if content_type else {}, sse=sse),
    )


def plain(
    body: Any = None,
    content_type: str | None = "application/json",
    status: int = 200,
    request_body: Any = None,
    text: str | None = None,
    method: str = "POST",
    query: Any = None,
) -> Exchange:
    return Exchange(
        request=RecordedRequest(method, "/v1/responses", body=request_body, query=query),
        response=RecordedResponse(
            status, headers={"content-type": content_type} if content_type else {}, body=body, text=text
        ),
    )


def verdict(check_id: str, ex: Exchange) -> Verdict | None:
    result = judge(get(check_id), Transcript("t", [ex]))
    return None if result is None else result.verdict


CASES: list[tuple[str, Exchange, Verdict | None]] = [
    # event: name vs data.type
    ("framing.event-name-matches-type", streamed(GOOD_SSE), Verdict.PASS),
    ("framing.event-name-matches-type", streamed('event: message\ndata: {"type":"response.created"}\n\n'), Verdict.FAIL),
    # keep-alives and comments between events are tolerated
    (
        "framing.event-name-matches-type",
        streamed(': ping\n\nevent: response.ping\ndata: {"type":"response.ping"}\n\nevent: ping\ndata: {}\n\n' + GOOD_SSE),
        Verdict.PASS,
    ),
    ("framing.event-name-matches-type", streamed('data: {"type":"response.created"}\n\n'), Verdict.PASS),
    ("framing.event-name-matches-type", plain({"id": "resp_1"}), None),
    # event: line present
    ("framing.event-line-present", streamed(GOOD_SSE), Verdict.PASS),
    ("framing.event-line-present", streamed('data: {"type":"response.created"}\n\n'), Verdict.WARN),
    # [DONE]
    ("framing.no-done-sentinel", streamed(GOOD_SSE), Verdict.PASS),
    ("framing.no-done-sentinel", streamed(GOOD_SSE + "data: [DONE]\n\n"), Verdict.WARN),
    ("framing.nothing-after-done", streamed(GOOD_SSE + "data: [DONE]\n\n"), Verdict.PASS),
    ("framing.nothing-after-done", streamed("data: [DONE]\n\n" + GOOD_SSE), Verdict.FAIL),
    ("framing.nothing-after-done", streamed(GOOD_SSE), None),
    # JSON data
    ("framing.data-is-json-object", streamed(GOOD_SSE + ": keep-alive\n\n"), Verdict.PASS),
    ("framing.data-is-json-object", streamed(GOOD_SSE + "event: response.ping\ndata: ping\n\n"), Verdict.FAIL),
    ("framing.data-is-json-object", streamed('event: x\ndata: ["x"]\n\n'), Verdict.FAIL),
    # content type of a stream
    ("framing.stream-content-type", streamed(GOOD_SSE), Verdict.PASS),
    ("framing.stream-content-type", streamed(GOOD_SSE, "Text/Event-Stream"), Verdict.PASS),
    ("framing.stream-content-type", streamed(GOOD_SSE, "application/json"), Verdict.FAIL),
    ("framing.stream-content-type", streamed(GOOD_SSE, "text/event-stream; charset=iso-8859-1"), Verdict.FAIL),
    ("framing.stream-content-type", streamed(GOOD_SSE, None), None),
    ("framing.stream-charset", streamed(GOOD_SSE), Verdict.PASS),
    ("framing.stream-charset", streamed(GOOD_SSE, 'text/event-stream;charset="UTF-8"'), Verdict.PASS),
    ("framing.stream-charset", streamed(GOOD_SSE, "text/event-stream"), Verdict.WARN),
    # a request without stream:true gets JSON
    ("framing.non-stream-json", plain({"id": "resp_1"}), Verdict.PASS),
    ("framing.non-stream-json", plain({"id": "resp_1"}, "application/json; charset=utf-8"), Verdict.PASS),
    ("framing.non-stream-json", plain({"id": "resp_1"}, "text/plain"), Verdict.FAIL),
    ("framing.non-stream-json", plain(None, "application/json", text="<html>"), Verdict.FAIL),
    # A JSON null is JSON; that it is no Response is schema.response's verdict.
    ("framing.non-stream-json", plain(None, "application/json", text="null"), Verdict.PASS),
    ("framing.non-stream-json", streamed(GOOD_SSE, stream=False), Verdict.FAIL),
    ("framing.non-stream-json", plain({"error": {}}, status=400), None),
    ("framing.non-stream-json", plain(None, None, status=204, method="DELETE"), None),
    # a stream:true request gets a stream (or a JSON error)
    ("framing.stream-request-streams", streamed(GOOD_SSE), Verdict.PASS),
    (
        "framing.stream-request-streams",
        plain({"id": "resp_1", "object": "response"}, request_body={"stream": True}),
        Verdict.FAIL,
    ),
    ("framing.stream-request-streams", plain({"error": {}}, status=400, request_body={"stream": True}), Verdict.PASS),
    ("framing.stream-request-streams", streamed('data: {"error": {}}\n\n', status=400), Verdict.FAIL),
    # a background response streamed by GET /v1/responses/{id}?stream=true
    ("framing.stream-request-streams", plain({"id": "resp_1"}, method="GET", query="stream=true"), Verdict.FAIL),
    ("framing.stream-request-streams", plain({"id": "resp_1"}, method="GET", query={"stream": "true"}), Verdict.FAIL),
    ("framing.stream-request-streams", plain({"id": "resp_1"}, method="GET", query="limit=2"), None),
]


@pytest.mark.parametrize(
    ("check_id", "ex", "expected"), CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]
)
def test_verdict(check_id: str, ex: Exchange, expected: Verdict | None) -> None:
    assert verdict(check_id, ex) is expected


def test_every_framing_check_has_a_failing_and_a_passing_case() -> None:
    from conformance.registry import all_checks

    ids = {c.id for c in all_checks() if c.func.__module__ == "conformance.checks.framing"}
    assert ids
    passing = {c for c, _, v in CASES if v is Verdict.PASS}
    failing = {c for c, _, v in CASES if v in (Verdict.FAIL, Verdict.WARN)}
    assert ids <= passing and ids <= failing


def test_evidence_points_at_the_offending_event() -> None:
    ex = streamed(GOOD_SSE + 'event: response.done\ndata: {"type":"response.completed"}\n\n')
    result = judge(get("framing.event-name-matches-type"), Transcript("t", [ex]))
    assert result is not None
    assert result.evidence["event_index"] == 2 and result.evidence["line"] == 7
    assert result.evidence["got"] == "response.done" and result.evidence["expected"] == "response.completed"
