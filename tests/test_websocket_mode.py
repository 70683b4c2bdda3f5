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
    by_scenario: dict = {}
    for t in session.transcripts:
        by_scenario.setdefault(t.scenario, []).append(t)
    return results, by_scenario


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


def test_a_silent_socket_is_a_bounded_transport_error_and_the_socket_is_not_reused():
    import threading

    from websockets.sync.server import serve

    from conformance.exchange import Transcript
    from conformance.live.client import RecordingClient
    from conformance.live.scenario import ScenarioContext
    from conformance.live.websocket import Socket

    def silent(ws) -> None:  # accepts every message, answers none
        for _ in ws:
            pass

    with serve(silent, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.socket.getsockname()[1]
        target = Target(name="silent", base_url=f"http://127.0.0.1:{port}/v1", model="m", idle_timeout_s=0.3,
                        request_timeout_s=2.0, connect_timeout_s=2.0)
        with RecordingClient(target) as client:
            ctx = ScenarioContext(target, client, Transcript("websocket.two-turns"))
            with Socket(ctx, "socket") as sock:
                assert sock.open()
                first = sock.turn("turn1", {"type": "response.create", "input": "hi"})
                second = sock.turn("turn2", {"type": "response.create", "input": "again"})
        server.shutdown()
    assert first.transport_error and first.transport_error.startswith("idle-timeout")
    assert first.elapsed_s is not None and first.elapsed_s < 1.5
    assert second.transport_error and second.transport_error.startswith("not sent: an earlier turn")
