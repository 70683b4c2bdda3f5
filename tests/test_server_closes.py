"""A stream the server drops before its terminal event, with no deadline, cap or timeout of the suite involved,
is the endpoint's failure (docs/rules.md#streams-cut-by-the-server): its whole events are kept and judged, and
stream.terminal-event FAILs it, instead of an ERROR for an exchange that never completed."""

from __future__ import annotations

from conformance.exchange import Transcript
from conformance.judge import judge
from conformance.live.client import RecordingClient
from conformance.live.target import Target
from conformance.reference.server import ReferenceServer
from conformance.registry import get
from conformance.verdicts import Verdict


def _stream(fault: str | None, request_timeout_s: float = 10.0):
    with ReferenceServer(faults=(fault,) if fault else ()) as srv:
        target = Target(name="r", base_url=srv.base_url, idle_timeout_s=5.0, request_timeout_s=request_timeout_s)
        with RecordingClient(target) as client:
            body = {"model": srv.model, "input": "tell me about the sea", "stream": True, "max_output_tokens": 40}
            return client.request("POST", "responses", body=body, stream=True, label="stream")


def test_a_dropped_stream_is_judged_and_fails_the_terminal_event() -> None:
    ex = _stream("stream-server-closes")
    assert ex.transport_error is None and ex.response.status == 200
    assert any(n.startswith("the server closed the stream before its end") for n in ex.notes), ex.notes
    events = ex.stream.events
    assert events and events[0].type == "response.created" and len(ex.event_offsets or []) == len(events)
    assert ex.response.sse.endswith("\n\n")  # whole events only
    r = judge(get("stream.terminal-event"), Transcript("t", [ex]))
    assert r is not None and r.verdict is Verdict.FAIL and "server closed the stream" in r.message
    assert r.evidence["server_closed"] is True
    complete = judge(get("run.exchange-complete"), Transcript("t", [ex]))
    assert complete is None or complete.verdict is Verdict.PASS


def test_a_clean_stream_has_no_such_note() -> None:
    ex = _stream(None)
    assert ex.transport_error is None and not ex.notes
    assert judge(get("stream.terminal-event"), Transcript("t", [ex])).verdict is Verdict.PASS
