"""An HTTP client that records every exchange exactly as it happened, with bounded waits.

It never raises for HTTP errors or transport failures: those become part of the Exchange
(``status``, ``transport_error``), because judging them is the checks' job.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance import __version__
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.live.target import Target
from conformance.redact import redact_headers, register_secret, register_secret_header
from conformance.report.model import now_iso
from conformance.sse import StreamParser


class RecordingClient:
    def __init__(self, target: Target, transport: httpx.BaseTransport | None = None) -> None:
        self.target = target
        register_secret(target.api_key)
        if target.auth_header.lower() not in ("authorization", "none"):
            register_secret_header(target.auth_header)
        timeout = httpx.Timeout(
            connect=target.connect_timeout_s,
            read=target.idle_timeout_s,  # httpx's read timeout is a per-read wait: an idle timeout
            write=target.request_timeout_s,
            pool=target.connect_timeout_s,
        )
        headers = {"user-agent": f"responses-conformance/{__version__}", **target.headers, **target.auth_headers()}
        # No keep-alive: a server may legally close an idle pooled connection (llama.cpp does after streams),
        # and httpx does not retry, so reuse would record spurious transport errors. See docs/llamacpp.md.
        self._http = httpx.Client(base_url=target.base_url + "/", timeout=timeout, headers=headers,
                                  transport=transport, limits=httpx.Limits(max_keepalive_connections=0))
        self._path_prefix = urlsplit(target.base_url).path.rstrip("/")
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RecordingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kw: Any) -> Exchange:
        """Send one request and record it; a 429 with a short Retry-After is waited out (bounded) and retried,
        because rate limiting is legitimate API behaviour, not something to judge the scenario by."""
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            ex = self._send(method, path, **kw)
            wait = retry_after_s(ex)
            if wait is None or attempt == MAX_RATE_LIMIT_RETRIES:
                return ex
            ex.notes.append(f"rate limited: retried after {wait:g}s")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        stream: bool = False,
        label: str = "",
        source: str = "",
    ) -> Exchange:
        """Send one request and record it. ``path`` is relative to the base URL (e.g. "responses")."""
        path = path.lstrip("/")
        q = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (query or {}).items()} or None
        req_headers = {"accept": "text/event-stream" if stream else "application/json"}
        if body is not None:
            req_headers["content-type"] = "application/json"
        request = self._http.build_request(
            method, path, params=q, headers=req_headers, content=None if body is None else json.dumps(body)
        )
        ex = Exchange(
            request=RecordedRequest(
                method=method.upper(),
                path=request.url.path,
                headers=redact_headers({k.lower(): v for k, v in request.headers.items()}),
                body=body,
                query=q,
            ),
            response=RecordedResponse(status=None),
            label=label,
            source=source,
            recorded_from="live",
            recorded_at=now_iso(),
        )
        self.exchanges.append(ex)
        t0 = time.monotonic()
        deadline = t0 + self.target.request_timeout_s
        try:
            resp = self._http.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            ex.transport_error = f"connect failed ({_describe(exc)})"
        except httpx.TimeoutException as exc:
            ex.transport_error = f"timeout: no response headers within the limits ({exc.__class__.__name__})"
        except httpx.HTTPError as exc:
            ex.transport_error = f"protocol error: the response could not be read ({_describe(exc)})"
        if ex.transport_error:
            ex.elapsed_s = time.monotonic() - t0
            return ex
        try:
            ex.response.status = resp.status_code
            ex.response.headers = {k.lower(): v for k, v in resp.headers.items()}
            is_sse = "text/event-stream" in resp.headers.get("content-type", "")
            if is_sse:
                self._read_stream(resp, ex, t0, deadline)
            else:
                self._read_body(resp, ex, deadline)
        finally:
            resp.close()
            ex.elapsed_s = time.monotonic() - t0
        return ex

    def _read_body(self, resp: httpx.Response, ex: Exchange, deadline: float) -> None:
        chunks: list[bytes] = []
        try:
            for chunk in resp.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    ex.transport_error = f"timeout: the body took longer than {self.target.request_timeout_s:g}s"
                    break
        except httpx.TimeoutException:
            ex.transport_error = f"idle-timeout: no bytes for {self.target.idle_timeout_s:g}s while reading the body"
        except httpx.HTTPError as exc:
            ex.transport_error = f"connection lost while reading the body ({_describe(exc)})"
        raw = b"".join(chunks)
        text = raw.decode("utf-8", errors="replace")
        try:
            ex.response.body = json.loads(text) if text.strip() else None
            if ex.response.body is None and text:
                ex.response.text = text
        except ValueError:
            ex.response.text = text

    def _read_stream(self, resp: httpx.Response, ex: Exchange, t0: float, deadline: float) -> None:
        parser = StreamParser()
        raw: list[str] = []
        offsets: list[float] = []
        try:
            for chunk in resp.iter_text():
                now = time.monotonic() - t0
                raw.append(chunk)
                offsets.extend(now for _ in parser.feed(chunk, now))
                if time.monotonic() > deadline:
                    ex.transport_error = (
                        f"timeout: the stream was still open after {self.target.request_timeout_s:g}s"
                    )
                    break
        except httpx.TimeoutException:
            ex.transport_error = (
                f"idle-timeout: the stream sent nothing for {self.target.idle_timeout_s:g}s and was abandoned"
            )
        except httpx.HTTPError as exc:
            ex.transport_error = f"the stream broke off ({_describe(exc)})"
        parser.close(time.monotonic() - t0)
        ex.response.sse = "".join(raw)
        # The last event may be dispatched only at close (no trailing blank line).
        while len(offsets) < len(parser.result.events):
            offsets.append(time.monotonic() - t0)
        ex.event_offsets = offsets


MAX_RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER_S = 10.0


def retry_after_s(ex: Exchange) -> float | None:
    """Seconds to wait before retrying a 429, or None when it should not be retried."""
    if ex.response.status != 429:
        return None
    raw = ex.response.headers.get("retry-after", "1")
    try:
        wait = float(raw)
    except ValueError:
        return None  # an HTTP-date: don't guess, judge the 429 as it is
    return wait if 0 <= wait <= MAX_RETRY_AFTER_S else None


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if text != exc.__class__.__name__ else text
