"""WebSocket mode end to end against the reference server: socket turns are recorded as exchanges that the
stream checks judge exactly like SSE streams, SSE framing and HTTP error-body checks leave them alone, and a
refused upgrade is UNSUPPORTED."""

from __future__ import annotations

import pytest

from conformance.live.runner import run_and_judge
from conformance.live.target import Target
from conformance.live.websocket import socket_url
from conformance.reference.server import ReferenceServer
from conformance.verdicts import Result, Verdict

SCENARIOS = ["websocket.two-turns", "websocket.error-then-continue"]


def run(**server: object) -> tuple[list[Result], dict[str, list]]:
    with ReferenceServer(token_delay=0.001, **server) as srv:  # type: ignore[arg-type]
        target = Target(name="reference", base_url=srv.base_url, idle_timeout_s=2.0, request_timeout_s=10.0)
        results, session = run_and_judge(target, SCENARIOS)
    return results, session.transcripts


def test_socket_url_follows_the_base_url():
    assert socket_url("http://h:1/v1") == "ws://h:1/v1/responses"
    assert socket_url("https://api.example.com/openai/v1/") == "wss://api.example.com/openai/v1/responses"


def test_turns_are_streams_the_stream_checks_judge():
    results, transcripts = run()
    turn = transcripts["websocket.two-turns"][0].step("turn1")
    assert turn is not None and turn.features == ["websocket"] and turn.status == 200
    assert turn.stream.typed()[0].type == "response.created"
    assert turn.stream.typed()[-1].type == "response.completed"
    judged = {r.check_id for r in results if r.scenario == "websocket.two-turns" and r.verdict is Verdict.PASS}
    assert {"stream.first-event-created", "stream.terminal-event", "schema.stream-events"} <= judged
    assert not [r for r in results if r.check_id.startswith("framing.")]  # no SSE framing on a socket
    assert all(r.verdict is Verdict.PASS for r in results), [(r.check_id, r.message) for r in results
                                                            if r.verdict is not Verdict.PASS]


def test_a_stream_fault_is_caught_on_the_socket_too():
    results, _ = run(faults=["part-not-done"])
    caught = {r.check_id for r in results if r.verdict is Verdict.FAIL and r.scenario == "websocket.two-turns"}
    assert any(c.startswith("stream.") for c in caught), caught


@pytest.mark.parametrize("profile,upgrade", [("llamacpp", Verdict.UNSUPPORTED)])
def test_a_refused_upgrade_is_unsupported(profile: str, upgrade: Verdict):
    results, transcripts = run(profile=profile)
    verdicts = {r.check_id: r.verdict for r in results if r.scenario == "websocket.two-turns"}
    assert verdicts["websocket.upgrade"] is upgrade
    assert not [c for c in verdicts if c.startswith("errors.envelope")]  # the refusal's body is not judged
    connect = transcripts["websocket.two-turns"][0].step("socket.connect")
    assert connect.status == 404 and connect.transport_error is None
