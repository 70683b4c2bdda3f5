"""SDK-compatibility tier: the installed openai-python (any release the pyproject range allows) against the target.

Each scenario makes one SDK call and stores its outcome in ``ctx.params["sdk"]``: ``{"ok": True, ...facts}``
or ``{"ok": False, "exception": "<module.Class>", "message": ...}``. The SDK's own HTTP traffic is recorded
through a transport wrapper, so its exchanges reach the exchange checks and the report's evidence.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Iterator, Literal

import httpx2
import openai
from pydantic import BaseModel

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, now_iso
from conformance.jsonsafe import loads as strict_json
from conformance.live.bounds import CapReached, Meter
from conformance.live.client import no_cookies
from conformance.live.deadline import Deadline
from conformance.live.deadline import install as install_deadlines
from conformance.live.load import attempt_record, congested
from conformance.live.paths import shorten
from conformance.live.scenario import ScenarioContext, scenario
from conformance.redact import redact_headers, scrub


class Sky(BaseModel):
    """The parse scenario's text_format: short enum/boolean fields, so a strict schema keeps it small."""

    color: Literal["red", "green", "blue", "grey"]
    daytime: bool


class _TeeStream(httpx2.SyncByteStream):
    """Passes the body through to the SDK, bounded, and hands the whole body to ``on_close``.

    The body is decoded and counted here (bounds.Meter), so a gzip bomb or an endless stream stops at the
    suite's caps; past a cap the SDK simply sees the body end, and the exchange records the cap as the reason.
    When the SDK stops reading early (it raised on an event, e.g. a missing output_index), ``close`` reads the
    rest first: the exchange records what the server sent, not where the client gave up, so the stream checks do
    not blame the server for a truncation the client caused. That read is bounded by the same caps and by the
    exchange's deadline, which shuts the connection down when it passes.
    """

    def __init__(self, inner: httpx2.SyncByteStream, meter: Meter, limit: Deadline,
                 on_close: Callable[[bytes, str | None], None]) -> None:
        self._inner = inner
        self._meter = meter
        self._limit = limit
        self._on_close = on_close
        self._chunks: list[bytes] = []
        self._broken: str | None = None
        self._closed = False
        self._done = False
        self._reader: Iterator[bytes] | None = None
        self.discard = False  # a rate-limit answer about to be retried: close without reading it

    def _read(self) -> Iterator[bytes]:
        if self._reader is None:
            self._reader = iter(self._inner)
        try:
            while not self._done:
                raw = next(self._reader, None)
                data = self._meter.flush() if raw is None else self._meter.feed(raw)
                self._done = raw is None
                if data:
                    self._chunks.append(data)
                    yield data
                if self._limit.expired:
                    raise CapReached(f"timeout: the body did not end within the {self._limit.seconds:g}s limit "
                                     "for one exchange")
        except CapReached as exc:
            self._done = True
            self._broken = str(exc)  # the suite's cut: the SDK sees the body end here
        except httpx2.HTTPError as exc:
            self._done = True
            self._broken = (f"timeout: the body did not end within the {self._limit.seconds:g}s limit for one "
                            "exchange") if self._limit.expired else \
                f"the body broke off ({exc.__class__.__name__}: {scrub(str(exc))})"
            raise

    def __iter__(self) -> Iterator[bytes]:
        yield from self._read()

    def final(self, reason: str) -> None:
        """A rate limit past the run's budget: the body is the SDK's to read, the exchange records ``reason``."""
        self._broken = reason

    def close(self) -> None:
        if not self._closed and not self.discard and self._broken is None:
            try:
                for _ in self._read():
                    pass
            except httpx2.HTTPError:
                pass  # recorded in self._broken
        self._inner.close()
        self._limit.cancel()
        if not self._closed:
            self._closed = True
            self._on_close(b"".join(self._chunks), self._broken)


class RecordingTransport(httpx2.BaseTransport):
    """Records each SDK request as an Exchange labelled with the current ``label``.

    It holds the SDK to the run's rules, through the RecordingClient it shares (``ctx.client``): the run-wide
    rate-limit gate and budget (the SDK runs with max_retries=0, so rate limiting would otherwise fail the SDK
    tier), the same per-exchange deadline and caps, and no request outside the API's paths."""

    def __init__(self, ctx: ScenarioContext, inner: httpx2.BaseTransport | None = None) -> None:
        self._ctx = ctx
        if inner is None:
            # No keep-alive, so every connection is opened under the deadline of the exchange that uses it.
            inner = httpx2.HTTPTransport(limits=httpx2.Limits(max_keepalive_connections=0))
            install_deadlines(inner)
        self._inner = inner
        self.label = "sdk"

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send and record; a rate-limit answer is retried as RecordingClient does, through its gate."""
        client = self._ctx.client
        request.headers["accept-encoding"] = "identity"  # record the body as sent, not compressed
        for attempt in itertools.count():
            client.gate.wait()
            ex, resp, tee = self._send_under_load(request)
            wait, reason = client.gate.answer(ex.response.status, ex.response.headers, attempt)
            if reason:
                tee.final(reason)
            if wait is None:
                return resp
            tee.discard = True
            resp.close()
            self._ctx.transcript.exchanges.remove(ex)  # as RecordingClient: only the answer that counts is judged
        raise AssertionError("unreachable")

    def _send_under_load(self, request: httpx2.Request) -> tuple[Exchange, httpx2.Response, _TeeStream]:
        """Send in a slot of the run's adaptive limit, held until the body ends (live/load.py); a 5xx answered
        while others were in flight is sent again alone, as RecordingClient does."""
        load = self._ctx.client.load
        ticket = load.enter()
        ex, resp, tee = self._send(request, lambda ex: load.leave(ticket, congested(ex)))
        if not load.may_retry_alone(ticket) or (ex.response.status or 0) < 500:
            return ex, resp, tee
        others = ticket.others
        tee.close()  # read the failed answer to its end: it is kept in the client's record, not judged here
        resp.close()
        self._ctx.transcript.exchanges.remove(ex)
        with load.alone():
            retry, resp, tee = self._send(request, lambda ex: None)
        retry.under_load = attempt_record(ex, others)
        return retry, resp, tee

    def _send(self, request: httpx2.Request, on_end: Callable[[Exchange], None]
              ) -> tuple[Exchange, httpx2.Response, _TeeStream]:
        """Send and record; `on_end(ex)` is called once the exchange has ended (its body read, or it failed)."""
        ex = new_exchange(self._ctx, request, self.label, on_end)
        t0 = time.monotonic()
        limit = Deadline(self._ctx.target.request_timeout_s)
        try:
            with limit.arm():
                resp = self._inner.handle_request(request)
        except httpx2.HTTPError as exc:
            limit.cancel()
            if limit.expired:
                ex.transport_error = (f"timeout: no complete response headers within the {limit.seconds:g}s "
                                      "limit for one exchange")
            else:
                kind = "timeout" if isinstance(exc, httpx2.TimeoutException) else "connect failed"
                ex.transport_error = f"{kind}: {scrub(str(exc))}"
            ex.elapsed_s = time.monotonic() - t0
            on_end(ex)
            raise
        meter, headers, finish = record_head(self._ctx, ex, resp, t0, on_end)
        tee = _TeeStream(resp.stream, meter, limit, finish)
        return ex, httpx2.Response(resp.status_code, headers=headers, stream=tee, extensions=resp.extensions,
                                   request=request), tee

    def close(self) -> None:
        self._inner.close()


def new_exchange(ctx: ScenarioContext, request: httpx2.Request, label: str,
                 on_end: Callable[[Exchange], None] = lambda ex: None) -> Exchange:
    """The Exchange for an SDK request, appended to the transcript; raises (recorded) outside the API's paths,
    after calling `on_end(ex)`."""
    raw = request.content if isinstance(request.stream, httpx2.ByteStream) else request.read()
    try:
        req_body = strict_json(raw) if raw else None
    except ValueError:
        req_body = None
    ex = Exchange(
        request=RecordedRequest(
            method=request.method, path=request.url.path,
            headers=redact_headers({k.lower(): v for k, v in request.headers.items()}),
            body=req_body, query=dict(request.url.params) or None,
        ),
        response=RecordedResponse(status=None), label=label, source=ctx.transcript.scenario,
        recorded_from="live", recorded_at=now_iso(),
    )
    ctx.transcript.exchanges.append(ex)
    if not ctx.client.inside_api(request.url):
        ex.request.path = shorten(request.url.path, 200)
        ex.transport_error = f"not sent: {shorten(str(request.url), 200)} is outside the API's paths"
        ex.elapsed_s = 0.0
        on_end(ex)
        raise httpx2.UnsupportedProtocol(ex.transport_error, request=request)
    return ex


def record_head(ctx: ScenarioContext, ex: Exchange, resp: httpx2.Response, t0: float,
                on_end: Callable[[Exchange], None] = lambda ex: None
                ) -> tuple[Meter, list[tuple[str, str]], Callable[[bytes, str | None], None]]:
    """Record the status and headers; return the body's meter, the headers to hand the SDK, and the callback that
    records the body once it ends (``finish(data, why_it_broke)``, which then calls `on_end(ex)`)."""
    ex.response.status = resp.status_code
    ex.response.headers = {k.lower(): scrub(v) for k, v in resp.headers.items()}
    is_sse = "text/event-stream" in ex.response.headers.get("content-type", "")

    def finish(data: bytes, broken: str | None) -> None:
        text = scrub(data.decode("utf-8", errors="replace"))
        if is_sse:
            ex.response.sse = text
        elif broken is None:
            try:
                ex.response.body = strict_json(text) if text.strip() else None  # text is scrubbed
            except ValueError:
                ex.response.text = text
        else:
            ex.response.text = text or None
        ex.transport_error = broken
        ex.elapsed_s = time.monotonic() - t0
        on_end(ex)

    try:
        meter = Meter(ctx.client.limits, resp.headers.get("content-encoding"), is_sse)
    except CapReached as exc:
        meter = Meter(ctx.client.limits, None, is_sse)  # pass the body on undecoded; the exchange says why
        ex.notes.append(str(exc))
    # The SDK gets the body decoded by the meter, so it must not decode it again.
    headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")]
    return meter, headers, finish


def client_options(ctx: ScenarioContext) -> dict[str, Any]:
    """The SDK client's options from the Target: base URL, key, extra headers, timeouts, no retries."""
    t = ctx.target
    headers = dict(t.headers)
    key = t.api_key if t.api_key and t.auth_header.lower() == "authorization" else "unused"
    if t.auth_header.lower() != "authorization":
        headers.update(t.auth_headers())  # a custom header carries the key; the SDK's Bearer is a placeholder
    timeout = httpx2.Timeout(t.request_timeout_s, connect=t.connect_timeout_s, read=t.idle_timeout_s)
    return {"base_url": t.base_url, "api_key": key, "default_headers": headers, "max_retries": 0, "timeout": timeout}


def sdk_client(ctx: ScenarioContext, transport: httpx2.BaseTransport) -> openai.OpenAI:
    """An SDK client configured from the Target: base URL, key, extra headers, timeouts, no retries."""
    opts = client_options(ctx)
    return openai.OpenAI(**opts, http_client=httpx2.Client(transport=transport, timeout=opts["timeout"],
                                                           follow_redirects=False, cookies=no_cookies()))


def _run(ctx: ScenarioContext, label: str, call: Callable[[openai.OpenAI], dict[str, Any]]) -> None:
    transport = RecordingTransport(ctx)
    transport.label = label
    client = sdk_client(ctx, transport)
    try:
        ctx.params["sdk"] = {"ok": True, **call(client)}
    except Exception as exc:  # whatever the SDK raised is the finding
        cls = exc.__class__
        ctx.params["sdk"] = {"ok": False, "exception": f"{cls.__module__}.{cls.__qualname__}",
                             "message": scrub(str(exc))[:500]}
    finally:
        client.close()


@scenario("sdk.create", "client.responses.create with a string input")
def create(ctx: ScenarioContext) -> None:
    def call(client: openai.OpenAI) -> dict[str, Any]:
        r = client.responses.create(model=ctx.model, input="Say hello.",
                                    max_output_tokens=ctx.target.max_output_tokens)
        return {"id": r.id, "status": r.status, "output_text": r.output_text}

    _run(ctx, "create", call)


@scenario("sdk.stream", "client.responses.stream(): iterate the events, then get_final_response()", streams=True)
def stream(ctx: ScenarioContext) -> None:
    def call(client: openai.OpenAI) -> dict[str, Any]:
        with client.responses.stream(model=ctx.model, input="Say hello.",
                                     max_output_tokens=ctx.target.max_output_tokens) as s:
            events = sum(1 for _ in s)
            final = s.get_final_response()
        return {"events": events, "id": final.id, "status": final.status, "output_text": final.output_text}

    _run(ctx, "stream", call)


@scenario("sdk.parse", "client.responses.parse(text_format=<pydantic model>)")
def parse(ctx: ScenarioContext) -> None:
    def call(client: openai.OpenAI) -> dict[str, Any]:
        r = client.responses.parse(
            model=ctx.model, text_format=Sky, max_output_tokens=max(ctx.target.max_output_tokens, 64),
            input="What color is a clear sky, and is it daytime when the sun is up? Answer in JSON.",
        )
        parsed = r.output_parsed
        return {"status": r.status, "parsed_type": type(parsed).__name__, "parsed_ok": isinstance(parsed, Sky),
                "parsed": parsed.model_dump() if isinstance(parsed, Sky) else repr(parsed)[:200]}

    _run(ctx, "parse", call)
