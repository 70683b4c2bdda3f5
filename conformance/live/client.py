"""An HTTP client that records every exchange exactly as it happened, with bounded waits.

It never raises for HTTP errors or transport failures: those become part of the Exchange
(``status``, ``transport_error``), because judging them is the checks' job. It is shared by every worker thread
of a run, so its state (the exchange list, the rate-limit gate) is thread-safe.

Whatever the endpoint sends, an exchange is bounded: a hard deadline from the first byte sent to the last byte
read (deadline.py), caps on bytes, decoded bytes, events and line length (bounds.py), a run-wide rate-limit
budget (ratelimit.py). Paths are built from segments so no id can steer a request (paths.py); redirects are
recorded, never followed; no cookie is kept; the key is scrubbed from everything recorded.
"""

from __future__ import annotations

import codecs
import http.cookiejar
import itertools
import json
import threading
import time
from typing import Any, Iterator
from urllib.parse import urlsplit

import httpx

from conformance import __version__
from conformance.exchange import SERVER_CLOSED_NOTE, Exchange, RecordedRequest, RecordedResponse, now_iso
from conformance.jsonsafe import loads as strict_json
from conformance.live import deadline as _deadline
from conformance.live import paths
from conformance.live.bounds import ACCEPT_ENCODING, CapReached, Limits, Meter
from conformance.live.load import Load, attempt_record, broke, congested, timed_out
from conformance.live.ratelimit import RateBudget, RateGate
from conformance.live.target import Target
from conformance.redact import redact_headers, register_secret, register_secret_header, scrub
from conformance.sse import StreamParser


def no_cookies() -> http.cookiejar.CookieJar:
    """A jar that stores nothing: a Set-Cookie from the endpoint is never sent back."""
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


class RecordingClient:
    def __init__(self, target: Target, transport: httpx.BaseTransport | None = None, *,
                 limits: Limits | None = None, budget: RateBudget | None = None) -> None:
        self.target = target
        self.limits = limits or Limits()
        self.gate = RateGate(budget)
        self.load = Load()  # no limit until an engine adapts it (Engine.__init__)
        register_secret(target.api_key)
        if target.auth_header.lower() not in ("authorization", "none"):
            register_secret_header(target.auth_header)
        timeout = httpx.Timeout(
            connect=target.connect_timeout_s,
            read=target.idle_timeout_s,  # httpx's read timeout is a per-read wait: an idle timeout
            write=target.request_timeout_s,
            pool=target.connect_timeout_s,
        )
        headers = {"user-agent": f"responses-conformance/{__version__}", "accept-encoding": ACCEPT_ENCODING,
                   **target.headers, **target.auth_headers()}
        if transport is None:
            # No keep-alive: a server may legally close an idle pooled connection (llama.cpp does after streams),
            # and httpx does not retry, so reuse would record spurious transport errors. See docs/llamacpp.md.
            # It also means every connection is opened under the deadline of the exchange that uses it.
            transport = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
            _deadline.install(transport)
        self._http = httpx.Client(base_url=target.base_url + "/", timeout=timeout, headers=headers,
                                  transport=transport, follow_redirects=False, cookies=no_cookies())
        base = httpx.URL(target.base_url)
        self._origin = (base.scheme, base.host, base.port)
        self._path_prefix = urlsplit(target.base_url).path.rstrip("/")
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange sent so far (including retried rate-limit answers), in order."""
        with self._lock:
            return list(self._exchanges)

    def record(self, ex: Exchange) -> None:
        with self._lock:
            self._exchanges.append(ex)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RecordingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def inside_api(self, url: httpx.URL | Any) -> bool:
        """Whether an absolute URL is on the target's origin and under its /responses or /models paths."""
        raw_path = url.raw_path.decode("ascii", "replace").split("?", 1)[0]
        return (url.scheme, url.host, url.port) == self._origin and paths.inside(self._path_prefix, raw_path)

    def request(self, method: str, path: paths.Path, *, together: bool = False, **kw: Any) -> Exchange:
        """Send one request and record it. A rate-limit answer pauses the whole run for its Retry-After and is
        retried within the run's budget; past the budget the answer is final and says so in transport_error.

        The request takes a slot of the run's adaptive limit (load.py); one that failed while others were in
        flight is sent again alone. `together`: sent at once with others on purpose (no slot, no retry)."""
        for attempt in itertools.count():
            self.gate.wait()
            ex = self._sent_under_load(method, path, together, **kw)
            if ex.transport_error:
                return ex
            wait, reason = self.gate.answer(ex.response.status, ex.response.headers, attempt)
            if reason:
                ex.transport_error = reason
            if wait is None:
                return ex
            ex.notes.append(f"rate limited: retried after {wait:g}s")
        raise AssertionError("unreachable")

    def _sent_under_load(self, method: str, path: paths.Path, together: bool, **kw: Any) -> Exchange:
        ticket = self.load.enter(together)
        try:
            ex = self._send(method, path, **kw)
        except BaseException:  # _send records failures rather than raising; the slot is returned regardless
            self.load.leave(ticket, congested=False)
            raise
        others = self.load.leave(ticket, congested(ex))
        if not self.load.may_retry_alone(ticket, together) or not (broke(ex) or timed_out(ex)):
            return ex
        with self.load.alone():
            retry = self._send(method, path, **kw)
        retry.under_load = attempt_record(ex, others)
        ex.notes.append("failed under load: sent again alone (its retry is what the scenario judges)")
        return retry

    def _send(
        self,
        method: str,
        path: paths.Path,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        stream: bool = False,
        label: str = "",
        source: str = "",
    ) -> Exchange:
        """Send one request and record it. ``path`` is relative to the base URL: "responses", or segments such as
        ("responses", rid) whose ids are encoded here."""
        q = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (query or {}).items()} or None
        bad_query = next((f"{k}={paths.shorten(v)}: {p}" for k, v in (q or {}).items() if (p := paths.send_problem(v))),
                         None)
        req_headers = {"accept": "text/event-stream" if stream else "application/json"}
        if body is not None:
            req_headers["content-type"] = "application/json"
        ex = Exchange(
            request=RecordedRequest(method=method.upper(), path="", body=body, query=q),
            response=RecordedResponse(status=None),
            label=label,
            source=source,
            recorded_from="live",
            recorded_at=now_iso(),
        )
        self.record(ex)
        try:
            if bad_query:
                raise paths.Unsendable(f"the query value {bad_query}")
            request = self._http.build_request(method, paths.encode(path), params=q, headers=req_headers,
                                               content=None if body is None else json.dumps(body))
            if not self.inside_api(request.url):
                raise paths.Unsendable(f"{paths.shorten(str(request.url))} is outside the API's paths")
        except (paths.Unsendable, httpx.InvalidURL) as exc:
            ex.request.path = f"{self._path_prefix}/{paths.shown(path)}"
            ex.request.query = {k: paths.shorten(v) for k, v in (q or {}).items()} or None
            ex.transport_error = f"not sent: {exc}"
            ex.elapsed_s = 0.0
            return ex
        ex.request.path = request.url.path
        ex.request.headers = redact_headers({k.lower(): v for k, v in request.headers.items()})
        t0 = time.monotonic()
        limit = _deadline.Deadline(self.target.request_timeout_s)
        try:
            with limit.arm():
                resp = self._http.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            ex.transport_error = f"connect failed ({_describe(exc)})"
        except httpx.TimeoutException as exc:
            ex.transport_error = f"timeout: no response headers within the limits ({exc.__class__.__name__})"
        except httpx.HTTPError as exc:
            ex.transport_error = f"protocol error: the response could not be read ({_describe(exc)})"
        if ex.transport_error:
            limit.cancel()
            if limit.expired:
                ex.transport_error = self._late("no complete response headers")
            ex.elapsed_s = time.monotonic() - t0
            return ex
        try:
            ex.response.status = resp.status_code
            ex.response.headers = {k.lower(): scrub(v) for k, v in resp.headers.items()}
            if resp.is_redirect:
                ex.notes.append(f"redirect to {paths.shorten(scrub(resp.headers.get('location', '')), 200)} "
                                "not followed")
            self._read(resp, ex, t0, limit)
        finally:
            limit.cancel()
            resp.close()
            ex.elapsed_s = time.monotonic() - t0
        return ex

    def _late(self, what: str) -> str:
        return f"timeout: {what} within the {self.target.request_timeout_s:g}s limit for one exchange"

    def _read(self, resp: httpx.Response, ex: Exchange, t0: float, limit: _deadline.Deadline) -> None:
        is_sse = "text/event-stream" in resp.headers.get("content-type", "")
        chunks: list[bytes] = []
        parser = StreamParser() if is_sse else None
        text_of = codecs.getincrementaldecoder("utf-8")(errors="replace")
        offsets: list[float] = []
        cut: str | None = None  # a bound the suite enforced: keep only whole events, never blame the endpoint
        closed: str | None = None  # the server dropped the stream: keep its whole events, and judge them
        try:
            meter = Meter(self.limits, resp.headers.get("content-encoding"), is_sse)
        except CapReached as exc:
            ex.transport_error = str(exc)
            return
        try:
            for raw in _raw(resp):
                data = meter.feed(raw)
                chunks.append(data)
                if parser is not None and data:
                    now = time.monotonic() - t0
                    offsets.extend(now for _ in parser.feed(text_of.decode(data), now))
                if limit.expired:
                    break
            else:
                chunks.append(meter.flush())
        except CapReached as exc:
            cut = str(exc)
        except httpx.TimeoutException:
            where = "the stream sent nothing" if is_sse else "no bytes arrived"
            ex.transport_error = f"idle-timeout: {where} for {self.target.idle_timeout_s:g}s"
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if limit.expired:
                pass
            elif is_sse:  # no deadline, cap or timeout of the suite: the endpoint ended it (docs/rules.md#streams-cut-by-the-server)
                closed = f"{SERVER_CLOSED_NOTE} ({_describe(exc)})"
            else:
                ex.transport_error = f"connection lost while reading the body ({_describe(exc)})"
        except httpx.HTTPError as exc:
            if not limit.expired:
                what = "the stream broke off" if is_sse else "connection lost while reading the body"
                ex.transport_error = f"{what} ({_describe(exc)})"
        if limit.expired and cut is None:
            cut = self._late("the stream was still open" if is_sse else "the body did not end")
        data = b"".join(chunks)
        chunks.clear()
        if cut is not None:
            ex.transport_error = cut
        if closed is not None:
            ex.notes.append(closed)
        if is_sse and (cut or closed):
            data = data[:_end_of_last_event(data)]
        text = scrub(data.decode("utf-8", errors="replace"))
        if parser is not None:
            if cut is None and closed is None:
                parser.feed(text_of.decode(b"", final=True))
                parser.close(time.monotonic() - t0)
                # The last event may be dispatched only at close (no trailing blank line).
                while len(offsets) < len(parser.result.events):
                    offsets.append(time.monotonic() - t0)
            ex.response.sse = text
            ex.event_offsets = offsets  # whole events only: the parser dispatches an event at its blank line
            return
        if cut is not None:
            ex.response.text = text or None
            return
        try:
            ex.response.body = strict_json(text) if text.strip() else None  # text is scrubbed
            if ex.response.body is None and text:
                ex.response.text = text
        except ValueError as exc:
            ex.response.text = text
            ex.notes.append(f"body is not valid JSON: {exc}")


def _raw(resp: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives; a response built in memory (a test's MockTransport) is already read."""
    if resp.is_stream_consumed:
        yield resp.content
    else:
        yield from resp.iter_raw()


def _end_of_last_event(data: bytes) -> int:
    ends = [data.rfind(sep) + len(sep) for sep in (b"\r\n\r\n", b"\n\n", b"\r\r") if data.rfind(sep) >= 0]
    return max(ends, default=0)


def _describe(exc: BaseException) -> str:
    text = scrub(str(exc)) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if text != exc.__class__.__name__ else text
