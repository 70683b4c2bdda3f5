"""The async tier's checks on hand-made transcripts (each with a case that keeps its rule and one that breaks it),
and its recording transport against hostile endpoints, as coroutines under pytest-asyncio (strict mode)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import openai
import pytest

from conformance.exchange import Transcript
from conformance.judge import judge
from conformance.live.bounds import Limits
from conformance.live.client import RecordingClient
from conformance.live.scenario import ScenarioContext
from conformance.live.scenarios.async_sdk import ABANDONED, AsyncRecordingTransport, async_client, label
from conformance.live.target import Target
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict
from tests.hostile_server import KEY, HostileServer

PASS, FAIL, SKIP, UNSUP, ERROR = Verdict.PASS, Verdict.FAIL, Verdict.SKIP, Verdict.UNSUPPORTED, Verdict.ERROR
OK_RESP = {"ok": True, "id": "resp_1", "status": "completed", "output_text": "hi"}
CONN_ERR = {"ok": False, "exception": "openai.APIConnectionError", "message": "Connection error.",
            "cause": "RemoteProtocolError: Server disconnected without sending a response."}
RATE_LIMITED = {"ok": False, "exception": "openai.RateLimitError", "message": "Error code: 429"}
TIMEOUT = {"ok": False, "exception": "openai.APITimeoutError", "message": "Request timed out."}


def tr(scenario: str, **params: Any) -> Transcript:
    return Transcript(scenario=scenario, params=params)


def stream(rid: str, word: str, **change: Any) -> dict[str, Any]:
    return {"ok": True, "created_id": rid, "terminal": "response.completed", "terminal_id": rid,
            "metadata": {"nonce": word}, "output_text": f"{word}", **change}


NONCES = {"alone": "ASY-1", "parallel-0": "ASY-2", "parallel-1": "ASY-3"}


def parallel(**change: dict[str, Any]) -> Transcript:
    streams = {"alone": stream("resp_a", "ASY-1"), "parallel-0": stream("resp_0", "ASY-2"),
               "parallel-1": stream("resp_1", "ASY-3")}
    for step, facts in change.items():
        streams[step] = {**streams[step], **facts} if facts.get("ok", True) else facts
    return tr("async_sdk.parallel", nonces=dict(NONCES), streams=streams)


def abandon(after: dict[str, Any] | None = None, left: dict[str, Any] | None = None,
            before: dict[str, Any] | None = None) -> Transcript:
    return tr("async_sdk.abandon", before=before or OK_RESP, left=left or {"ok": True, "left_half_way": True},
              after=after or OK_RESP, after_bound_s=5.0)


Case = tuple[str, Callable[[], Transcript], Verdict]
CASES: list[Case] = [
    # the sync tier's checks judge the async create, stream and parse alike
    ("sdk.create-ok", lambda: tr("async_sdk.create", sdk=OK_RESP), PASS),
    ("sdk.create-ok", lambda: tr("async_sdk.create", sdk={"ok": False, "exception": "openai.BadRequestError",
                                                          "message": "400"}), FAIL),
    ("sdk.stream-final-response", lambda: tr("async_sdk.stream", sdk=OK_RESP), PASS),
    ("sdk.parse-output-parsed", lambda: tr("async_sdk.parse", sdk={"ok": True, "parsed_ok": False}), FAIL),
    ("async_sdk.create-stream-terminal", lambda: tr("async_sdk.create-stream", sdk={
        "ok": True, "events": 9, "first": "response.created", "last": "response.completed"}), PASS),
    ("async_sdk.create-stream-terminal", lambda: tr("async_sdk.create-stream", sdk={
        "ok": True, "events": 4, "first": "response.created", "last": "response.output_text.delta"}), FAIL),
    ("async_sdk.create-stream-terminal", lambda: tr("async_sdk.create-stream", sdk={
        "ok": False, "exception": "TypeError", "message": "list indices must be integers"}), FAIL),
    ("async_sdk.create-stream-terminal", lambda: tr("async_sdk.create-stream", sdk=TIMEOUT), ERROR),
    ("async_sdk.retrieve-matches", lambda: tr("async_sdk.retrieve", created=OK_RESP, retrieved=OK_RESP), PASS),
    ("async_sdk.retrieve-matches", lambda: tr("async_sdk.retrieve", created=OK_RESP,
                                              retrieved={**OK_RESP, "output_text": "other"}), FAIL),
    ("async_sdk.retrieve-matches", lambda: tr("async_sdk.retrieve", created=OK_RESP, retrieved={
        "ok": False, "exception": "openai.NotFoundError", "message": "File Not Found"}), UNSUP),
    ("async_sdk.retrieve-matches", lambda: tr("async_sdk.retrieve", created=OK_RESP, retrieved=CONN_ERR), ERROR),
    ("async_sdk.parallel-own-terminal", parallel, PASS),
    # crossed streams: the stream opened resp_1 but ended with resp_0's terminal event
    ("async_sdk.parallel-own-terminal", lambda: parallel(**{"parallel-1": {"terminal_id": "resp_0"}}), FAIL),
    ("async_sdk.parallel-own-terminal", lambda: parallel(**{"parallel-1": {"output_text": "ASY-2"}}), FAIL),
    ("async_sdk.parallel-own-terminal", lambda: parallel(**{"parallel-1": {"metadata": {"nonce": "ASY-2"}}}), FAIL),
    ("async_sdk.parallel-own-terminal", lambda: parallel(**{"parallel-0": {"terminal": None}}), FAIL),
    ("async_sdk.parallel-own-terminal", lambda: parallel(**{"parallel-0": {
        "ok": False, "exception": "openai.InternalServerError", "message": "500"}}), FAIL),
    ("async_sdk.parallel-own-terminal", lambda: parallel(alone={"ok": False, "exception": "TypeError"}), SKIP),
    ("async_sdk.parallel-own-code-word", parallel, PASS),
    ("async_sdk.parallel-own-code-word", lambda: parallel(**{"parallel-0": {"output_text": "something"}}), FAIL),
    ("async_sdk.parallel-own-code-word", lambda: parallel(alone={"output_text": "no word"}), SKIP),
    ("async_sdk.keepalive-reuse", lambda: tr("async_sdk.keepalive", requests=[OK_RESP] * 4, connections=1), PASS),
    ("async_sdk.keepalive-reuse", lambda: tr("async_sdk.keepalive", requests=[OK_RESP, CONN_ERR, OK_RESP]), FAIL),
    ("async_sdk.keepalive-reuse", lambda: tr("async_sdk.keepalive", requests=[OK_RESP, TIMEOUT]), ERROR),
    ("async_sdk.keepalive-reuse", lambda: tr("async_sdk.keepalive", requests=[CONN_ERR, OK_RESP]), ERROR),
    ("async_sdk.keepalive-reuse", lambda: tr("async_sdk.keepalive", requests=[OK_RESP, RATE_LIMITED]), ERROR),
    ("async_sdk.abandoned-stream-harmless", abandon, PASS),
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(after={
        "ok": False, "exception": "timeout", "message": "no answer within 5.0s"}), FAIL),
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(after=CONN_ERR), FAIL),
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(after={
        "ok": False, "exception": "openai.InternalServerError", "message": "500"}), FAIL),
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(left={"ok": True, "left_half_way": False}), SKIP),
    # the run's rate-limit budget spent on the request after: the suite could not judge
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(after=RATE_LIMITED), ERROR),
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(before=CONN_ERR), SKIP),
    ("async_sdk.abandoned-stream-harmless", lambda: abandon(left={"ok": False, "exception": "json.JSONDecodeError",
                                                                  "message": "Expecting value"}), SKIP),
]


@pytest.mark.parametrize("check_id,factory,expected", CASES,
                         ids=[f"{c}-{e.value}-{i}" for i, (c, _, e) in enumerate(CASES)])
def test_verdict(check_id: str, factory: Callable[[], Transcript], expected: Verdict) -> None:
    result = judge(get(check_id), factory())
    assert result is not None, f"{check_id} gave no result"
    assert result.verdict is expected, f"{check_id}: {result.verdict.value} ({result.message})"


def test_every_async_check_has_a_pass_and_a_non_pass_case() -> None:
    by_check: dict[str, set[Verdict]] = {}
    for check_id, _, expected in CASES:
        by_check.setdefault(check_id, set()).add(expected)
    for check in (c for c in all_checks() if c.area == "async_sdk"):
        assert PASS in by_check.get(check.id, set()), check.id
        assert by_check[check.id] - {PASS}, check.id
    assert {c.id for c in all_checks() if c.area == "async_sdk" and c.model_dependent} == {
        "async_sdk.parallel-own-code-word"}


# ---- the recording transport, driven by AsyncOpenAI on pytest-asyncio's loop ---------------------------------

SMALL = Limits(max_wire_bytes=256 * 1024, max_decoded_bytes=256 * 1024, max_events=200, max_event_bytes=64 * 1024,
               max_line_bytes=64 * 1024)


def _ctx(url: str, request_timeout: float = 1.0, idle: float = 5.0, limits: Limits | None = SMALL) -> ScenarioContext:
    target = Target(name="h", base_url=url, model="m", api_key=KEY, request_timeout_s=request_timeout,
                    idle_timeout_s=idle, connect_timeout_s=2.0)
    return ScenarioContext(target, RecordingClient(target, limits=limits), Transcript("async_sdk.t"))


@pytest.mark.asyncio
@pytest.mark.parametrize("name,expect,deadline", [
    ("trickle-headers", "timeout: no complete response headers", 1.0),  # every read short: only the deadline ends it
    ("slowloris-body", "timeout", 1.0),
    ("slow-keepalive", "timeout", 1.0),
    # The caps get a longer deadline, so that a loaded machine still reaches the cap before the deadline.
    ("endless-deltas", "exceeded 200 events", 10.0),
    ("gzip-bomb", "decoded to more than", 10.0),
])
async def test_every_exchange_is_bounded(name: str, expect: str, deadline: float) -> None:
    with HostileServer(name) as url:
        ctx = _ctx(url, request_timeout=deadline)
        client = async_client(ctx, AsyncRecordingTransport(ctx))
        t0 = time.monotonic()
        try:
            async with client.responses.stream(model="m", input="hi") as s:
                async for _ in s:
                    pass
        except Exception:
            pass  # the SDK's verdict is the scenario's business; the exchange is ours
        finally:
            await client.close()
            ctx.client.close()
        took = time.monotonic() - t0
    assert took < deadline + 3, (name, took)  # room for a loaded machine
    [ex] = ctx.transcript.exchanges
    assert ex.transport_error and expect in ex.transport_error, (name, ex.transport_error)


@pytest.mark.asyncio
async def test_parallel_tasks_keep_their_own_labels_and_an_abandoned_stream_is_not_judged() -> None:
    with HostileServer("endless-deltas") as url:  # a stream that never ends: leaving it is the only way out
        ctx = _ctx(url, request_timeout=5.0, limits=None)  # no event cap: the client leaves, not the suite
        transport = AsyncRecordingTransport(ctx)
        client = async_client(ctx, transport)

        async def create(step: str) -> str:
            label(step)
            return (await client.models.list()).object

        try:
            assert await asyncio.gather(*(create(f"p-{i}") for i in range(3))) == ["list"] * 3
            label(ABANDONED)
            t0 = time.monotonic()
            async with await client.responses.create(model="m", input="hi", stream=True) as s:
                async for _ in s:
                    break
            assert time.monotonic() - t0 < 4  # closed unread, not drained until the 5 s deadline
        finally:
            await client.close()
            ctx.client.close()
    assert sorted(ex.label for ex in ctx.transcript.exchanges) == ["p-0", "p-1", "p-2"]
    assert ctx.params["abandoned"]["status"] == 200


@pytest.mark.asyncio
async def test_retries_are_off_and_the_run_wide_gate_is_awaited() -> None:
    with HostileServer("429-retry-1-forever") as url:
        ctx = _ctx(url, request_timeout=2.0, idle=1.0)
        client = async_client(ctx, AsyncRecordingTransport(ctx))
        assert client.max_retries == 0
        t0 = time.monotonic()
        ticks = 0

        async def tick() -> None:  # the loop stays free while the gate pauses the run
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        try:
            with pytest.raises(openai.RateLimitError):
                await client.responses.create(model="m", input="hi")
        finally:
            ticker.cancel()
            await client.close()
            ctx.client.close()
    took = time.monotonic() - t0
    assert 0.9 < took < 8, took
    assert ticks >= 10
    assert all(ex.status == 429 for ex in ctx.transcript.exchanges)
