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

SCENARIOS = ["websocket.two-turns", "websocket.error-then-continue", "websocket.not-found", "websocket.unstored-chain",
             "websocket.failed-continuation", "websocket.after-compact"]


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
    framed = [r for r in results if r.check_id.startswith("framing.")]
    assert framed and all("websocket" not in r.exchange.features for r in framed)  # no SSE framing on a socket
    assert {r.exchange.label for r in framed} == {"compact"}  # the one HTTP step (websocket.after-compact)
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


# --- a server that refuses WebSocket while HTTP works (issue 18, item 9) ----------------------------------

MODELS_OK = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 28\r\nconnection: close\r\n\r\n' \
            b'{"object":"list","data":[]} '
FORBIDDEN_EMPTY = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
UNAUTHORIZED = (b'HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 60\r\n'
                b'connection: close\r\n\r\n{"error":{"message":"bad key","type":"invalid_request_error"}}')


def upgrade_verdict(base_url: str) -> tuple[Verdict, str, list[str]]:
    """websocket.upgrade on websocket.two-turns run against ``base_url`` (verdict, message, step labels)."""
    from conformance.exchange import Transcript
    from conformance.judge import judge
    from conformance.live.client import RecordingClient
    from conformance.live.scenario import ScenarioContext
    from conformance.live.scenarios.websocket import two_turns
    from conformance.registry import get

    target = Target(name="raw", base_url=base_url, model="m", api_key="sk-test", idle_timeout_s=1.0,
                    request_timeout_s=3.0, connect_timeout_s=2.0)
    transcript = Transcript("websocket.two-turns")
    with RecordingClient(target) as client:
        two_turns(ScenarioContext(target, client, transcript))
    result = judge(get("websocket.upgrade"), transcript)
    assert result is not None
    return result.verdict, result.message, [ex.label for ex in transcript.exchanges]


def by_request(upgrade: bytes | None, http: bytes):
    return lambda head: upgrade if b"upgrade: websocket" in head.lower() else http


def test_a_403_with_an_empty_body_while_the_key_works_is_unsupported():
    from tests.rawserver import routed_server

    with routed_server(by_request(FORBIDDEN_EMPTY, MODELS_OK)) as base:
        verdict, message, steps = upgrade_verdict(base)
    assert verdict is Verdict.UNSUPPORTED, message
    assert "HTTP 403 with an empty body" in message and "same key answered HTTP 200" in message
    assert steps == ["socket.connect", "socket.probe"]


def test_a_connection_closed_unanswered_while_the_key_works_is_unsupported():
    from tests.rawserver import routed_server

    with routed_server(by_request(None, MODELS_OK)) as base:
        verdict, message, _ = upgrade_verdict(base)
    assert verdict is Verdict.UNSUPPORTED, message
    assert "closed the connection without answering the upgrade" in message


@pytest.mark.parametrize("upgrade", [FORBIDDEN_EMPTY, UNAUTHORIZED, None])
def test_a_refusal_when_the_key_fails_over_http_too_stays_an_error(upgrade: bytes | None):
    from tests.rawserver import routed_server

    with routed_server(by_request(upgrade, UNAUTHORIZED)) as base:
        verdict, message, _ = upgrade_verdict(base)
    assert verdict is Verdict.ERROR, message
    if upgrade is not None:
        assert "check the API key" in message and "HTTP 401" in message


@pytest.mark.parametrize("ws,status", [("websockets-sansio", 403), ("none", 405)])
def test_a_real_starlette_app_without_a_websocket_route_is_unsupported(ws: str, status: int):
    """A real Starlette app under uvicorn with HTTP routes only: with a WebSocket library uvicorn turns the
    unrouted upgrade into 403 with an empty body; without one (ws="none") it serves the GET as HTTP (405)."""
    import asyncio
    import socket
    import threading
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def models(request):  # type: ignore[no-untyped-def]
        return JSONResponse({"object": "list", "data": []})

    async def create(request):  # type: ignore[no-untyped-def]
        return JSONResponse({"error": {"message": "not here"}}, status_code=400)

    app = Starlette(routes=[Route("/v1/models", models), Route("/v1/responses", create, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", ws=ws, lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        verdict, message, _ = upgrade_verdict(f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
    assert verdict is Verdict.UNSUPPORTED, message
    assert f"HTTP {status}" in message


def test_a_rate_limited_turn_that_starts_a_chain_is_sent_again_and_a_continuation_is_not():
    """rate-limit-429 refuses every fourth create (over HTTP and on sockets alike). A turn without
    previous_response_id is retried on the same socket after the run-wide pause; a continuation is left as the
    server answered, because the failed turn evicted what it referenced (OpenAI's WebSocket mode guide)."""
    from conformance.exchange import Transcript
    from conformance.live.client import RecordingClient
    from conformance.live.scenario import ScenarioContext
    from conformance.live.websocket import Socket
    from conformance.extract import response_id

    event = {"type": "response.create", "model": "reference-echo", "input": "Say OK.", "store": False,
             "max_output_tokens": 16}
    with ReferenceServer(faults=["rate-limit-429"]) as srv:
        target = Target(name="reference", base_url=srv.base_url, model="reference-echo", request_timeout_s=10.0)
        with RecordingClient(target) as client:
            ctx = ScenarioContext(target, client, Transcript("websocket.two-turns"))
            with Socket(ctx, "socket") as sock:
                assert sock.open()
                starts = [sock.turn(f"start{i}", event) for i in range(4)]  # the fourth create is refused once
                rid = response_id(starts[-1])
                follow = [sock.turn(f"next{i}", {**event, "previous_response_id": rid}) for i in range(4)]
            assert client.gate.waited_s >= 1.0
    assert [t.status for t in starts] == [200, 200, 200, 200]
    assert [t.label for t in ctx.transcript.exchanges if t.label.startswith("start")] == [f"start{i}" for i in range(4)]
    assert 429 in [t.status for t in follow]  # the eighth create: refused, and not retried
