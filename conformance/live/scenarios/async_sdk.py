"""Async SDK tier: openai-python's AsyncOpenAI against the target, as web backends and agent frameworks use it.

Each scenario runs its own event loop (``asyncio.run``) in the engine's worker thread, with one AsyncOpenAI
client whose httpx2 pool keeps connections alive between requests (the sync tier opens one per request), and
``max_retries=0``, so a retry never hides a connection the server broke. Every wait is bounded twice: httpx
timeouts per socket operation, and an asyncio deadline per exchange (``_Bound``) and per scenario.

Outcomes go to ``ctx.params``: ``"sdk"`` in the sync tier's shape (so checks/sdk.py judges create, stream and
parse alike), and per-scenario facts for checks/async_sdk.py. An exception the SDK raised is stored as
``{"ok": False, "exception": "<module.Class>", "message": ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import itertools
import sys
import threading
import time
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx2
import openai

from conformance.exchange import Exchange
from conformance.live.bounds import CapReached, Meter
from conformance.live.client import no_cookies
from conformance.live.load import Ticket, attempt_record, congested
from conformance.live.scenario import ScenarioContext, batch_instructions, nonce, scenario
from conformance.live.scenarios.sdk import Sky, client_options, new_exchange, record_head
from conformance.redact import scrub

PARALLEL = 4  # streams at once through one client
SHORT = 16  # max_output_tokens where the text does not matter (keepalive, abandon): quick on a real model
KEEPALIVE_REQUESTS = 4  # sequential creates on one pooled client
POISON_FLOOR_S = 5.0  # the request after an abandoned stream gets at least this long (or 4x the same request before)
TERMINAL = ("response.completed", "response.incomplete", "response.failed")
ABANDONED = "abandoned"  # the label of the stream the scenario leaves half-way (not judged as an exchange)
# The step label of the requests a task sends: a context variable, so each of the parallel tasks has its own.
_LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("sdk_step", default="sdk")
# Whether this task's requests are sent at once with others on purpose (async_sdk.parallel): beyond the run's
# limit on requests in flight, and never retried alone (live/load.py).
_TOGETHER: contextvars.ContextVar[bool] = contextvars.ContextVar("sdk_together", default=False)
# The transport of the scenario this task runs (set by ``_run``), for a body to hold the run alone through it.
_TRANSPORT: contextvars.ContextVar["AsyncRecordingTransport"] = contextvars.ContextVar("sdk_transport")


def label(name: str) -> None:
    """Label the exchanges this task sends from now on."""
    _LABEL.set(name)


class _Bound:
    """One exchange's deadline on the event loop: every await of the exchange gets what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self.expired = False

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    async def run(self, step: Awaitable[Any]) -> Any:
        try:
            if sys.version_info >= (3, 11):  # in this task: an async generator is never stepped from another one
                async with asyncio.timeout(self.left()):
                    return await step
            return await asyncio.wait_for(step, self.left())
        except asyncio.TimeoutError:
            self.expired = True
            raise


class _Once:
    """Gives a request's slot back exactly once, whichever of body end, failure, abandonment or the client's
    close comes first. `ex`: the exchange it belongs to, once recorded."""

    def __init__(self, release: Callable[[Exchange], None]) -> None:
        self._release = release
        self.ex: Exchange | None = None
        self.done = False

    def __call__(self, ex: Exchange | None) -> None:
        if not self.done:
            self.done = True
            ex = ex or self.ex
            if ex is not None:
                self._release(ex)


class _AsyncTee(httpx2.AsyncByteStream):
    """The async twin of sdk._TeeStream: passes the body to the SDK through the suite's caps and deadline and
    records it when closed. An unfinished body is read to its end on close, as in the sync tier, except for a
    stream the scenario abandons on purpose (``abandon``): that one is closed unread, as a consumer leaving an
    ``async for`` does, and is dropped from the transcript (``on_abandon``)."""

    def __init__(self, inner: httpx2.AsyncByteStream, meter: Meter, bound: _Bound,
                 on_close: Callable[[bytes, str | None], None], on_abandon: Callable[[int], None] | None) -> None:
        self._inner = inner
        self._meter = meter
        self._bound = bound
        self._on_close = on_close
        self._on_abandon = on_abandon
        self._chunks: list[bytes] = []
        self._broken: str | None = None
        self._closed = False
        self._done = False
        self._reader: AsyncIterator[bytes] | None = None
        self.discard = False  # an answer about to be retried (rate limited, or failed under load)

    async def _read(self) -> AsyncIterator[bytes]:
        if self._reader is None:
            self._reader = self._inner.__aiter__()
        try:
            while not self._done:
                try:
                    raw: bytes | None = await self._bound.run(self._reader.__anext__())
                except StopAsyncIteration:
                    raw = None
                data = self._meter.flush() if raw is None else self._meter.feed(raw)
                self._done = raw is None
                if data:
                    self._chunks.append(data)
                    yield data
        except CapReached as exc:
            self._done = True
            self._broken = str(exc)
        except asyncio.TimeoutError:
            self._done = True
            self._broken = f"timeout: the body did not end within the {self._bound.seconds:g}s limit for one exchange"
        except httpx2.HTTPError as exc:
            self._done = True
            self._broken = f"the body broke off ({exc.__class__.__name__}: {scrub(str(exc))})"
            raise
        except asyncio.CancelledError:  # a step's own deadline: the SDK will not close this body
            self._done = True
            self._broken = "cancelled: the scenario's deadline for this step passed"
            self._record(abandoned=False)
            raise

    def _record(self, abandoned: bool) -> None:
        if self._closed:
            return
        self._closed = True
        if abandoned and self._on_abandon is not None:
            self._on_abandon(self._meter.events)
        else:
            self._on_close(b"".join(self._chunks), self._broken)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for data in self._read():
            yield data

    def final(self, reason: str) -> None:
        self._broken = reason

    async def aclose(self) -> None:
        # A rate-limit answer about to be retried is discarded, not abandoned: the retry's answer is the stream.
        abandoned = self._on_abandon is not None and not self.discard and not self._done and self._broken is None
        if not self._closed and not self.discard and not abandoned and self._broken is None:
            try:
                async for _ in self._read():
                    pass
            except httpx2.HTTPError:
                pass  # recorded in self._broken
        await self._inner.aclose()
        self._record(abandoned)


class AsyncRecordingTransport(httpx2.AsyncBaseTransport):
    """Records each AsyncOpenAI request as an Exchange (labelled by ``label()``), under the run's rate-limit gate,
    caps and per-exchange deadline, over one pool of keep-alive connections. ``connections`` counts the distinct
    connections that carried an answer."""

    def __init__(self, ctx: ScenarioContext, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self._ctx = ctx
        self._inner = inner or httpx2.AsyncHTTPTransport()
        self._streams: set[int] = set()
        self._open: set[_Once] = set()  # each request's slot release (live/load.py), called once
        self._load_s = 0.0  # see load_s
        self._waiting: dict[object, float] = {}  # slot waits under way, by start time
        self._solo = False  # the scenario holds the run alone (``alone``): its requests take no slot

    @property
    def connections(self) -> int:
        return len(self._streams)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        gate = self._ctx.client.gate
        request.headers["accept-encoding"] = "identity"  # record the body as sent, not compressed
        await request.aread()
        step = _LABEL.get()
        for attempt in itertools.count():
            await asyncio.to_thread(gate.wait)  # the run-wide rate-limit pause; never blocks the loop
            ex, resp, tee = await self._send_under_load(request, step)
            wait, reason = gate.answer(ex.response.status, ex.response.headers, attempt)
            if reason:
                tee.final(reason)
            if wait is None:
                return resp
            tee.discard = True
            await resp.aclose()
            self._ctx.transcript.exchanges.remove(ex)  # only the answer that counts is judged
        raise AssertionError("unreachable")

    async def _send_under_load(self, request: httpx2.Request, step: str) -> tuple[Exchange, httpx2.Response, _AsyncTee]:
        """Send in a slot of the run's adaptive limit, held until the body ends (live/load.py), as the sync tiers
        do. A 5xx, or a timeout before the headers, met while others were in flight is sent again alone and the
        retry is what the scenario judges, so a server that fails under the run's own load is judged by
        concurrency.stable-under-load, not by every async_sdk check. Slots are taken in a worker thread: the
        event loop never blocks."""
        if self._solo:  # nothing else is in flight, and nothing to retry alone
            return await self._send(request, step, _Once(lambda ex: None))
        load = self._ctx.client.load
        together = _TOGETHER.get()
        ticket = await self._waited(load.enter, lambda t: load.leave(t, congested=False), together)
        ended = _Once(lambda ex: load.leave(ticket, congested(ex)))
        self._open.add(ended)
        try:
            ex, resp, tee = await self._send(request, step, ended)
        except httpx2.HTTPError as exc:
            ended(None)
            failed = ended.ex
            # A broken connection is not retried: this tier keeps connections alive, and a pooled connection the
            # server dropped is async_sdk.keepalive-reuse's finding, not the run's load.
            if (not load.may_retry_alone(ticket, together) or failed is None
                    or not isinstance(exc, httpx2.TimeoutException)):
                raise
            self._ctx.transcript.exchanges.remove(failed)
            return await self._send_alone(request, step, failed, ticket.others)
        except BaseException:
            ended(None)
            raise
        if not load.may_retry_alone(ticket, together) or (ex.response.status or 0) < 500:
            return ex, resp, tee
        tee.discard = True  # dropped, not abandoned: its retry is what the scenario judges
        await resp.aclose()
        self._ctx.transcript.exchanges.remove(ex)
        return await self._send_alone(request, step, ex, ticket.others)

    @property
    def load_s(self) -> float:
        """What the run's own load has cost this client so far: waits for a slot (those under way included), and
        one exchange's time per retry alone."""
        now = time.monotonic()
        return self._load_s + sum(now - t0 for t0 in self._waiting.values())

    async def _waited(self, take: Callable[..., Ticket], release: Callable[[Ticket], None], *args: Any) -> Ticket:
        """``take(*args)`` in a worker thread. If this wait is cancelled (a deadline), the ticket the thread still
        gets is given back with ``release``: a slot, or the run held alone, must never be kept by no one."""
        key = object()
        self._waiting[key] = t0 = time.monotonic()
        lock, got, gave_up = threading.Lock(), [], []

        def take_unless_given_up() -> Ticket:
            ticket = take(*args)
            with lock:
                if gave_up:
                    release(ticket)
                else:
                    got.append(ticket)
            return ticket

        try:
            return await asyncio.to_thread(take_unless_given_up)
        except asyncio.CancelledError:
            with lock:
                gave_up.append(True)
                for ticket in got:
                    release(ticket)
            raise
        finally:
            del self._waiting[key]
            self._load_s += time.monotonic() - t0

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        """Hold the run alone: other scenarios' new requests wait, those in flight end first (live/load.py). For
        requests whose times are compared: another scenario's load queued at the endpoint is not their finding. The
        wait counts as load (``load_s``), so the scenario's deadline is not spent on it."""
        load = self._ctx.client.load
        ticket = await self._waited(load.enter_alone, load.leave_alone, False)
        self._solo = True
        try:
            yield
        finally:
            self._solo = False
            load.leave_alone(ticket)

    async def _send_alone(self, request: httpx2.Request, step: str, failed: Exchange, others: int
                          ) -> tuple[Exchange, httpx2.Response, _AsyncTee]:
        """The retry, with nothing else in flight; the slot is held until its headers only (as the sync SDK tier
        does), so a body the SDK never reads cannot stall the run."""
        load = self._ctx.client.load
        ticket = await self._waited(load.enter_alone, load.leave_alone)
        self._load_s += self._ctx.target.request_timeout_s
        try:
            retry, resp, tee = await self._send(request, step, _Once(lambda ex: None))
        finally:
            load.leave_alone(ticket)
        retry.under_load = attempt_record(failed, others)
        return retry, resp, tee

    async def _send(self, request: httpx2.Request, label: str, ended: "_Once"
                    ) -> tuple[Exchange, httpx2.Response, _AsyncTee]:
        """Send and record; `ended(ex)` is called once the exchange has ended (its body read, or it failed)."""
        ex = new_exchange(self._ctx, request, label)
        ended.ex = ex
        t0 = time.monotonic()
        bound = _Bound(self._ctx.target.request_timeout_s)
        try:
            resp = await bound.run(self._inner.handle_async_request(request))
        except asyncio.TimeoutError:
            ex.transport_error = (f"timeout: no complete response headers within the {bound.seconds:g}s limit "
                                  "for one exchange")
            ex.elapsed_s = time.monotonic() - t0
            raise httpx2.ReadTimeout(ex.transport_error, request=request) from None
        except httpx2.HTTPError as exc:
            # A pooled connection may break on reuse, after it connected: "connection failed", not "connect".
            kind = "timeout" if isinstance(exc, httpx2.TimeoutException) else "connection failed"
            ex.transport_error = f"{kind}: {exc.__class__.__name__}" + (f" ({scrub(str(exc))})" if str(exc) else "")
            ex.elapsed_s = time.monotonic() - t0
            raise
        except asyncio.CancelledError:
            ex.transport_error = "cancelled: the scenario's own deadline for this step passed"
            ex.elapsed_s = time.monotonic() - t0
            raise
        stream = resp.extensions.get("network_stream")
        if stream is not None:
            self._streams.add(id(stream))
        meter, headers, finish = record_head(self._ctx, ex, resp, t0, ended)

        def abandon(events: int) -> None:
            ended(ex)
            self._ctx.transcript.exchanges.remove(ex)
            self._ctx.params["abandoned"] = {"status": ex.response.status, "events_before_leaving": events}

        assert isinstance(resp.stream, httpx2.AsyncByteStream)
        tee = _AsyncTee(resp.stream, meter, bound, finish, abandon if label == ABANDONED else None)
        return ex, httpx2.Response(resp.status_code, headers=headers, stream=tee, extensions=resp.extensions,
                                   request=request), tee

    async def aclose(self) -> None:
        for ended in list(self._open):  # a body the SDK never read nor closed still gives its slot back
            ended(None)
        await self._inner.aclose()


def async_client(ctx: ScenarioContext, transport: AsyncRecordingTransport) -> openai.AsyncOpenAI:
    opts = client_options(ctx)
    return openai.AsyncOpenAI(**opts, http_client=httpx2.AsyncClient(
        transport=transport, timeout=opts["timeout"], follow_redirects=False, cookies=no_cookies()))


def failure(exc: BaseException) -> dict[str, Any]:
    """What the checks read of an exception the SDK (or a bound) raised."""
    if isinstance(exc, asyncio.TimeoutError):
        return {"ok": False, "exception": "openai.APITimeoutError", "message": "the scenario's deadline passed"}
    cls = exc.__class__
    out: dict[str, Any] = {"ok": False, "exception": f"{cls.__module__}.{cls.__qualname__}",
                           "message": scrub(str(exc))[:500]}
    cause = exc.__cause__
    if cause is not None:
        out["cause"] = f"{cause.__class__.__name__}: {scrub(str(cause))[:200]}"
    return out


async def attempt(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """The call's facts as ``{"ok": True, ...}``, or what it raised."""
    try:
        return {"ok": True, **await call}
    except Exception as exc:  # whatever the SDK raised is the finding
        return failure(exc)


_COLLECTING = threading.Lock()


def _collect_quietly() -> None:
    """gc.collect(), without the one message finalising these generators can print to stderr.

    An async generator whose step was cut by a deadline while it awaited another generator (the SDK's stream
    iterators over the tee) can stay flagged as running; finalising it then raises "async generator already
    executing", which CPython prints as "Exception ignored". Its connection was closed with the client, so the
    message is noise; anything else raised during the collection is reported as usual. The lock keeps two
    scenarios' threads from swapping the hook under each other."""
    with _COLLECTING:
        previous = sys.unraisablehook

        def hook(u: Any) -> None:
            if not (isinstance(u.exc_value, ValueError) and "async generator already executing" in str(u.exc_value)):
                previous(u)

        sys.unraisablehook = hook
        try:
            gc.collect()
        finally:
            sys.unraisablehook = previous


def _run(ctx: ScenarioContext, steps: int, body: Callable[[openai.AsyncOpenAI], Awaitable[None]]) -> None:
    """Run ``body`` on a fresh event loop with one client; the whole scenario gets ``steps`` exchanges' time, plus
    what the run's own load cost it (waits for a slot, retries alone: ``AsyncRecordingTransport.load_s``), so a
    queueing endpoint is not cut short for the suite's doing. What ``body`` raises is the SDK's outcome
    (``params["sdk"]``)."""

    async def main() -> None:
        transport = AsyncRecordingTransport(ctx)
        client = async_client(ctx, transport)
        budget = steps * ctx.target.request_timeout_s + 5
        t0 = time.monotonic()
        _TRANSPORT.set(transport)  # before the task is made: it copies this context
        task = asyncio.ensure_future(body(client))
        try:
            while not task.done():
                left = budget + transport.load_s - (time.monotonic() - t0)
                if left <= 0:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    raise asyncio.TimeoutError
                await asyncio.wait({task}, timeout=left)
            task.result()
        except Exception as exc:  # whatever the SDK raised (or the scenario's deadline) is the finding
            ctx.params["sdk"] = failure(exc)
        finally:
            await asyncio.wait_for(client.close(), 10)
        ctx.params["connections"] = transport.connections
        # Streams left half-way (or broken) leave async generators in reference cycles. Collected here, they are
        # closed on this loop; collected later, in another thread, they would print "Exception ignored".
        _collect_quietly()
        await asyncio.sleep(0)

    asyncio.run(main())


@scenario("async_sdk.create", "AsyncOpenAI: await client.responses.create with a string input")
def create(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        label("create")
        r = await client.responses.create(model=ctx.model, input="Say hello.",
                                          max_output_tokens=ctx.target.max_output_tokens)
        ctx.params["sdk"] = {"ok": True, "id": r.id, "status": r.status, "output_text": r.output_text}

    _run(ctx, 1, body)


@scenario("async_sdk.stream", "AsyncOpenAI: async with client.responses.stream(), async for over the events, "
          "then get_final_response()", streams=True)
def stream(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        label("stream")
        async with client.responses.stream(model=ctx.model, input="Say hello.",
                                           max_output_tokens=ctx.target.max_output_tokens) as s:
            events = 0
            async for _ in s:
                events += 1
            final = await s.get_final_response()
        ctx.params["sdk"] = {"ok": True, "events": events, "id": final.id, "status": final.status,
                             "output_text": final.output_text}

    _run(ctx, 1, body)


@scenario("async_sdk.create-stream", "AsyncOpenAI: client.responses.create(stream=True), async for over the events",
          streams=True)
def create_stream(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        label("stream")
        types: list[str] = []
        async with await client.responses.create(model=ctx.model, input="Say hello.", stream=True,
                                                 max_output_tokens=ctx.target.max_output_tokens) as s:
            async for event in s:
                types.append(event.type)
        ctx.params["sdk"] = {"ok": True, "events": len(types), "first": types[0] if types else None,
                             "last": types[-1] if types else None}

    _run(ctx, 1, body)


@scenario("async_sdk.parse", "AsyncOpenAI: await client.responses.parse(text_format=<pydantic model>)")
def parse(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        label("parse")
        r = await client.responses.parse(
            model=ctx.model, text_format=Sky, max_output_tokens=max(ctx.target.max_output_tokens, 64),
            input="What color is a clear sky, and is it daytime when the sun is up? Answer in JSON.",
        )
        parsed = r.output_parsed
        ctx.params["sdk"] = {"ok": True, "status": r.status, "parsed_type": type(parsed).__name__,
                             "parsed_ok": isinstance(parsed, Sky),
                             "parsed": parsed.model_dump() if isinstance(parsed, Sky) else repr(parsed)[:200]}

    _run(ctx, 1, body)


@scenario("async_sdk.retrieve", "AsyncOpenAI: create a stored response, then client.responses.retrieve(id) on the "
          "same client")
def retrieve(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        label("create")
        made = await attempt(_create_facts(client.responses.create(
            model=ctx.model, input="Say hello.", max_output_tokens=ctx.target.max_output_tokens)))
        ctx.params["created"] = made
        if made.get("ok") and made.get("id"):
            ctx.stored_ids.append(made["id"])
            label("retrieve")
            ctx.params["retrieved"] = await attempt(_create_facts(client.responses.retrieve(made["id"])))

    _run(ctx, 2, body)


async def _create_facts(call: Awaitable[Any]) -> dict[str, Any]:
    r = await call
    return {"id": r.id, "status": r.status, "output_text": r.output_text}


async def _stream_facts(client: openai.AsyncOpenAI, ctx: ScenarioContext, word: str,
                        instructions: str) -> dict[str, Any]:
    """One create(stream=True) with a code word, read with async for: what its own events say about whose it is.
    The raw events, not the stream helper's accumulator, so a server the accumulator rejects is still judged."""
    created_id = terminal = terminal_id = metadata = None
    text: list[str] = []
    final_text = None
    async with await client.responses.create(
            stream=True, model=ctx.model, instructions=instructions, input=f"The code word is {word}.", store=False,
            metadata={"nonce": word}, max_output_tokens=ctx.target.max_output_tokens) as s:
        async for event in s:
            if event.type == "response.created":
                created_id = event.response.id
            elif event.type == "response.output_text.delta":
                text.append(event.delta)
            elif event.type in TERMINAL:
                terminal, terminal_id = event.type, event.response.id
                metadata, final_text = event.response.metadata, event.response.output_text
    return {"created_id": created_id, "terminal": terminal, "terminal_id": terminal_id, "metadata": metadata,
            "output_text": final_text if final_text else "".join(text)}


@scenario("async_sdk.parallel", f"AsyncOpenAI: one stream alone (the baseline), then {PARALLEL} streams at once "
          "through the same client (asyncio.gather), each with its own code word in input and metadata",
          streams=True)
def parallel(ctx: ScenarioContext) -> None:
    words = [nonce("ASY") for _ in range(PARALLEL + 1)]
    instructions = batch_instructions()
    ctx.params["nonces"] = {"alone": words[0], **{f"parallel-{i}": w for i, w in enumerate(words[1:])}}

    async def body(client: openai.AsyncOpenAI) -> None:
        label("alone")
        ctx.params["streams"] = {"alone": await attempt(_stream_facts(client, ctx, words[0], instructions))}

        async def one(i: int) -> dict[str, Any]:
            label(f"parallel-{i}")  # this task's own context: the other tasks keep theirs
            _TOGETHER.set(True)  # sent at once on purpose: beyond the run's limit, never retried alone
            return await attempt(_stream_facts(client, ctx, words[i + 1], instructions))

        got = await asyncio.gather(*(one(i) for i in range(PARALLEL)))
        ctx.params["streams"].update({f"parallel-{i}": facts for i, facts in enumerate(got)})

    _run(ctx, 2, body)


@scenario("async_sdk.keepalive", f"AsyncOpenAI with max_retries=0: {KEEPALIVE_REQUESTS} creates one after the "
          "other on one client, so later ones reuse its pooled keep-alive connections")
def keepalive(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        outcomes: list[dict[str, Any]] = []
        for i in range(KEEPALIVE_REQUESTS):
            label(f"request-{i + 1}")
            outcomes.append(await attempt(_create_facts(client.responses.create(
                model=ctx.model, input="Say hello.", store=False,
                max_output_tokens=min(SHORT, ctx.target.max_output_tokens)))))
        ctx.params["requests"] = outcomes

    _run(ctx, KEEPALIVE_REQUESTS, body)


async def _leave_at_first_delta(client: openai.AsyncOpenAI, request: dict[str, Any]) -> dict[str, Any]:
    """Break out of async for at the first text delta; leaving the async with closes the response unread."""
    async with await client.responses.create(**request, stream=True) as s:
        async for event in s:
            if event.type == "response.output_text.delta":
                return {"left_half_way": True}
    return {"left_half_way": False}


async def _within(ctx: ScenarioContext, call: Awaitable[dict[str, Any]], bound: float) -> dict[str, Any]:
    """``call``'s result if it ends within ``bound`` seconds, not counting the time the run-wide rate-limit gate
    paused it (a 429 is waited out, not blamed); asyncio.TimeoutError (the call cancelled) otherwise."""
    task = asyncio.ensure_future(call)
    gate = ctx.client.gate
    paused_before, t0 = gate.waited_s, time.monotonic()
    while True:
        left = t0 + bound + (gate.waited_s - paused_before) - time.monotonic()
        done, _ = await asyncio.wait({task}, timeout=max(0.0, min(left, 0.5)))
        if done:
            return task.result()
        if left <= 0:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise asyncio.TimeoutError


# The abandoned stream is not recorded as an exchange (_AsyncTee's on_abandon): only how far it got.
@scenario("async_sdk.abandon", "AsyncOpenAI: a create (timed), then, holding the run alone, a stream left at its "
          "first text delta (break out of async for) and the same create again on the same client")
def abandon(ctx: ScenarioContext) -> None:
    async def body(client: openai.AsyncOpenAI) -> None:
        request = {"model": ctx.model, "input": "Say hello.", "store": False,
                   "max_output_tokens": min(SHORT, ctx.target.max_output_tokens)}
        label("before")
        t0 = time.monotonic()
        ctx.params["before"] = await attempt(_create_facts(client.responses.create(**request)))
        ctx.params["before_s"] = before_s = round(time.monotonic() - t0, 3)
        if not ctx.params["before"]["ok"]:
            return
        # From here nothing else of the run is in flight: a create queued behind other scenarios' requests at the
        # endpoint would look like one the abandoned stream held up. (`before` under load only widens the bound.)
        async with _TRANSPORT.get().alone():
            label(ABANDONED)
            ctx.params["left"] = await attempt(_leave_at_first_delta(client, request))
            if not ctx.params["left"].get("left_half_way"):
                return
            label("after")
            # Poisoned means failed, or far slower than the same create before: 4x its time, at least
            # POISON_FLOOR_S.
            bound = min(ctx.target.request_timeout_s, max(POISON_FLOOR_S, 4 * before_s))
            ctx.params["after_bound_s"] = round(bound, 3)
            t0 = time.monotonic()
            try:
                ctx.params["after"] = await _within(ctx, attempt(_create_facts(client.responses.create(**request))),
                                                    bound)
            except asyncio.TimeoutError:
                ctx.params["after"] = {"ok": False, "exception": "timeout",
                                       "message": f"no answer within {bound:.1f}s, though the same create took "
                                                  f"{before_s:.2f}s before the abandoned stream"}
            ctx.params["after_s"] = round(time.monotonic() - t0, 3)

    _run(ctx, 3, body)
