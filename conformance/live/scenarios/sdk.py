"""SDK-compatibility tier: the installed openai-python (any release the pyproject range allows) against the target.

Each scenario makes one SDK call and stores its outcome in ``ctx.params["sdk"]``: ``{"ok": True, ...facts}``
or ``{"ok": False, "exception": "<module.Class>", "message": ...}``. The SDK's own HTTP traffic is recorded
through a transport wrapper, so its exchanges reach the exchange checks and the report's evidence.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterator, Literal

import httpx2
import openai
from pydantic import BaseModel

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.live.client import MAX_RATE_LIMIT_RETRIES, retry_after_s
from conformance.live.scenario import ScenarioContext, scenario
from conformance.redact import redact_headers, scrub
from conformance.report.model import now_iso


class Sky(BaseModel):
    """The parse scenario's text_format: short enum/boolean fields, so a strict schema keeps it small."""

    color: Literal["red", "green", "blue", "grey"]
    daytime: bool


class _TeeStream(httpx2.SyncByteStream):
    """Passes the body through to the SDK and hands the whole body to ``on_close``.

    When the SDK stops reading early (it raised on an event, e.g. a missing output_index), ``close`` reads
    the rest first: the exchange records what the server sent, not where the client gave up, so the stream
    checks do not blame the server for a truncation the client caused. Reads stay bounded by the read timeout.
    """

    def __init__(self, inner: httpx2.SyncByteStream, on_close: Callable[[bytes, str | None], None]) -> None:
        self._inner = inner
        self._on_close = on_close
        self._chunks: list[bytes] = []
        self._broken: str | None = None
        self._closed = False
        self._reader: Iterator[bytes] | None = None

    def _read(self) -> Iterator[bytes]:
        if self._reader is None:
            self._reader = iter(self._inner)
        try:
            for chunk in self._reader:
                self._chunks.append(chunk)
                yield chunk
        except httpx2.HTTPError as exc:
            self._broken = f"the body broke off ({exc.__class__.__name__}: {exc})"
            raise

    def __iter__(self) -> Iterator[bytes]:
        yield from self._read()

    def close(self) -> None:
        if not self._closed and self._reader is not None and self._broken is None:
            try:
                for _ in self._read():
                    pass
            except httpx2.HTTPError:
                pass  # recorded in self._broken
        self._inner.close()
        if not self._closed:
            self._closed = True
            self._on_close(b"".join(self._chunks), self._broken)


class RecordingTransport(httpx2.BaseTransport):
    """Records each SDK request as an Exchange labelled with the current ``label``."""

    def __init__(self, ctx: ScenarioContext, inner: httpx2.BaseTransport | None = None) -> None:
        self._ctx = ctx
        self._inner = inner or httpx2.HTTPTransport()
        self.label = "sdk"

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send and record; a 429 with a short Retry-After is waited out like RecordingClient does (the SDK
        runs with max_retries=0, so rate limiting would otherwise fail the SDK tier)."""
        request.headers["accept-encoding"] = "identity"  # record the body as sent, not compressed
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            ex, resp = self._send(request)
            wait = retry_after_s(ex) if attempt < MAX_RATE_LIMIT_RETRIES else None
            if wait is None:
                return resp
            resp.read()
            resp.close()
            self._ctx.transcript.exchanges.remove(ex)  # as RecordingClient: only the answer that counts is judged
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _send(self, request: httpx2.Request) -> tuple[Exchange, httpx2.Response]:
        raw = request.read()
        try:
            req_body = json.loads(raw) if raw else None
        except ValueError:
            req_body = None
        ex = Exchange(
            request=RecordedRequest(
                method=request.method, path=request.url.path,
                headers=redact_headers({k.lower(): v for k, v in request.headers.items()}),
                body=req_body, query=dict(request.url.params) or None,
            ),
            response=RecordedResponse(status=None), label=self.label, source=self._ctx.transcript.scenario,
            recorded_from="live", recorded_at=now_iso(),
        )
        self._ctx.transcript.exchanges.append(ex)
        t0 = time.monotonic()
        try:
            resp = self._inner.handle_request(request)
        except httpx2.HTTPError as exc:
            ex.transport_error = f"{'timeout' if isinstance(exc, httpx2.TimeoutException) else 'connect failed'}: {exc}"
            ex.elapsed_s = time.monotonic() - t0
            raise
        ex.response.status = resp.status_code
        ex.response.headers = {k.lower(): v for k, v in resp.headers.items()}

        def finish(data: bytes, broken: str | None) -> None:
            text = data.decode("utf-8", errors="replace")
            if "text/event-stream" in ex.response.headers.get("content-type", ""):
                ex.response.sse = text
            else:
                try:
                    ex.response.body = json.loads(text) if text.strip() else None
                except ValueError:
                    ex.response.text = text
            ex.transport_error = broken
            ex.elapsed_s = time.monotonic() - t0

        return ex, httpx2.Response(resp.status_code, headers=resp.headers,
                                   stream=_TeeStream(resp.stream, finish), extensions=resp.extensions,
                                   request=request)

    def close(self) -> None:
        self._inner.close()


def sdk_client(ctx: ScenarioContext, transport: httpx2.BaseTransport) -> openai.OpenAI:
    """An SDK client configured from the Target: base URL, key, extra headers, timeouts, no retries."""
    t = ctx.target
    headers = dict(t.headers)
    key = t.api_key if t.api_key and t.auth_header.lower() == "authorization" else "unused"
    if t.auth_header.lower() != "authorization":
        headers.update(t.auth_headers())  # a custom header carries the key; the SDK's Bearer is a placeholder
    timeout = httpx2.Timeout(t.request_timeout_s, connect=t.connect_timeout_s, read=t.idle_timeout_s)
    return openai.OpenAI(base_url=t.base_url, api_key=key, default_headers=headers, max_retries=0, timeout=timeout,
                         http_client=httpx2.Client(transport=transport, timeout=timeout))


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


@scenario("sdk.stream", "client.responses.stream(): iterate the events, then get_final_response()")
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
