"""WebSocket mode (`responses.connect`): a bounded socket client that records each turn as an Exchange.

A turn (one `response.create` client event and the server events it brings) becomes one Exchange that the
stream checks read exactly as they read an SSE stream: every received message is written into
`response.sse` as one `data:` event (its text unchanged), with its arrival time. Events are events; only the
framing differs, so the SSE framing and HTTP error-body checks do not apply to exchanges tagged
`websocket` (`extract.is_websocket`). Status convention of a turn: 200 when the socket answered with response
events, else the `status` of the `error` event (None when it gave none). The upgrade itself is recorded as
its own Exchange (label `<label>.connect`): 101, or the HTTP status and body of a refused upgrade. An upgrade
refused with 401/403, or a connection closed without any answer, is followed by `<label>.probe`: GET /models
with the same key, so the checks can tell a bad key from a server that refuses WebSocket.

Waits: the upgrade is bounded by the target's connect timeout, each message by its idle timeout and each
turn by its request timeout. A socket the server closes mid-turn is not a transport error (the server
answered, by closing); it is kept in the transcript's `params["sockets"]` for the websocket checks.
"""

from __future__ import annotations

import itertools
import json
import time
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidMessage, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from conformance import __version__
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, now_iso
from conformance.extract import WEBSOCKET
from conformance.live.load import congested
from conformance.live.scenario import ScenarioAborted, ScenarioContext
from conformance.redact import redact_headers

TERMINAL_TYPES = ("response.completed", "response.incomplete", "response.failed")
MAX_MESSAGES = 20_000  # per turn: a runaway socket is cut, never read forever
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def socket_url(base_url: str) -> str:
    """ws(s)://host/base/responses for an http(s) base URL, as openai-python derives it."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/responses", parts.query, ""))


class Socket:
    """One socket of a scenario. ``open()`` returns whether the upgrade succeeded; ``turn()`` sends one
    client event and records the answer. Always ``close()`` it (it is a context manager)."""

    def __init__(self, ctx: ScenarioContext, name: str) -> None:
        self.ctx = ctx
        self.name = name
        self.conn: ClientConnection | None = None
        self.closed: dict[str, Any] | None = None  # {"code", "reason", "during"} once the server closed it
        self._stack = ExitStack()
        self.abandoned: str | None = None  # why the socket can no longer be trusted (a turn was cut)
        self._log: dict[str, Any] = ctx.params.setdefault("sockets", {}).setdefault(name, {"turns": []})
        self._path = urlsplit(ctx.target.base_url).path.rstrip("/") + "/responses"

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exchange(self, label: str, method: str, headers: dict[str, str], body: Any) -> Exchange:
        ex = Exchange(request=RecordedRequest(method=method, path=self._path, headers=redact_headers(headers),
                                              body=body),
                      response=RecordedResponse(status=None), label=label, source=self.ctx.transcript.scenario,
                      recorded_from="live", recorded_at=now_iso(), features=[WEBSOCKET])
        self.ctx.transcript.exchanges.append(ex)
        return ex

    def open(self) -> bool:
        target = self.ctx.target
        headers = {"user-agent": f"responses-conformance/{__version__}", **target.headers, **target.auth_headers()}
        ex = self._exchange(f"{self.name}.connect", "GET", {k.lower(): v for k, v in headers.items()}, None)
        t0 = time.monotonic()
        try:
            # As a context manager: websockets 17 deprecates a bare connect(); 13-16 accept both.
            self.conn = self._stack.enter_context(connect(
                socket_url(target.base_url), additional_headers=headers, user_agent_header=None,
                open_timeout=target.connect_timeout_s, close_timeout=target.connect_timeout_s,
                max_size=MAX_MESSAGE_BYTES, compression=None))
        except InvalidStatus as exc:
            resp = exc.response
            ex.response.status = resp.status_code
            ex.response.headers = {k.lower(): v for k, v in resp.headers.raw_items()}
            _set_body(ex, resp.body or b"")
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            if _closed_unanswered(exc):  # the server's answer (as a close mid-turn is), judged by websocket.upgrade
                self._log["closed_unanswered"] = True
                ex.notes.append(f"the server closed the connection without answering the upgrade ({_describe(exc)})")
            else:
                ex.transport_error = f"connect failed: the WebSocket upgrade did not complete ({_describe(exc)})"
        else:
            resp = self.conn.response
            ex.response.status = resp.status_code if resp is not None else 101
            ex.response.headers = {k.lower(): v for k, v in resp.headers.raw_items()} if resp is not None else {}
        ex.elapsed_s = time.monotonic() - t0
        self._log["upgrade"] = ex.response.status
        if ex.response.status in (401, 403) or self._log.get("closed_unanswered"):
            self._probe()
        return self.conn is not None

    def _probe(self) -> None:
        """An authenticated HTTP request with the same key and headers (GET /models, generates nothing), so the
        checks can tell a bad key from a server that refuses WebSocket: FastAPI/Starlette answer an upgrade on a
        route with no WebSocket handler with 403 and an empty body; some servers close the connection unanswered
        when no WebSocket library is installed (docs/api-surface.md)."""
        try:
            self.ctx.request(f"{self.name}.probe", "GET", "models")
        except ScenarioAborted:
            pass  # recorded: the probe's own transport error says why

    def turn(self, label: str, event: dict[str, Any]) -> Exchange:
        """Send ``event`` and read until a terminal event, an `error` event that ends the turn, a close or a
        bound. Returns the recorded Exchange (status convention in the module docstring).

        A turn holds a slot of the run's adaptive limit (live/load.py), so requests retried alone are alone;
        it is not retried under load: the socket's state carries over from turn to turn. A turn that starts a
        chain (no previous_response_id) refused with a rate-limit `error` event (status 429) is sent again on the
        same socket after the run-wide pause, within the run's rate-limit budget (live/ratelimit.py), as an HTTP
        request is. A continuation is not: a failed turn evicts the response it referenced from the socket's
        cache (OpenAI's WebSocket mode guide, "How continuation works"), so its retry would be judged on a
        state the suite broke; the checks report it as rate limited (ERROR)."""
        gate = self.ctx.client.gate
        starts_chain = not event.get("previous_response_id")
        for attempt in itertools.count():
            gate.wait()
            ex = self._turn_in_slot(label, event)
            if (ex.response.status != 429 or not starts_chain or self.closed is not None
                    or self.abandoned is not None):
                return ex
            wait, reason = gate.answer(ex.response.status, {}, attempt)  # an event carries no Retry-After
            if wait is None:
                if reason:
                    ex.notes.append(reason)
                return ex
            self.ctx.transcript.exchanges.remove(ex)  # only the answer that counts is judged
            self._log["turns"].pop()
        raise AssertionError("unreachable")

    def _turn_in_slot(self, label: str, event: dict[str, Any]) -> Exchange:
        load = self.ctx.client.load
        ticket = load.enter()
        ex = None
        try:
            ex = self._turn(label, event)
            return ex
        finally:
            load.leave(ticket, ex is None or congested(ex))

    def _turn(self, label: str, event: dict[str, Any]) -> Exchange:
        assert self.conn is not None, "open() the socket first"
        target = self.ctx.target
        ex = self._exchange(label, "WS", {}, event)
        record: dict[str, Any] = {"label": label, "close": None, "terminal": None, "error_event": False}
        self._log["turns"].append(record)
        texts: list[str] = []
        offsets: list[float] = []
        t0 = time.monotonic()
        deadline = t0 + target.request_timeout_s
        started = False
        try:
            if self.abandoned is not None:
                raise _Abandoned
            if self.closed is not None:
                raise _AlreadyClosed
            self.conn.send(json.dumps(event))
            while len(texts) < MAX_MESSAGES:
                wait = min(target.idle_timeout_s, deadline - time.monotonic())
                if wait <= 0:
                    ex.transport_error = f"timeout: the turn was still open after {target.request_timeout_s:g}s"
                    break
                try:
                    message = self.conn.recv(timeout=wait)
                except TimeoutError:
                    if time.monotonic() >= deadline:
                        ex.transport_error = f"timeout: the turn was still open after {target.request_timeout_s:g}s"
                    else:
                        ex.transport_error = (f"idle-timeout: the socket sent nothing for {target.idle_timeout_s:g}s "
                                              "and the turn was abandoned")
                    break
                text = message if isinstance(message, str) else message.decode("utf-8", errors="replace")
                texts.append(text)
                offsets.append(time.monotonic() - t0)
                kind = _type(text)
                if kind == "error" and not started:
                    record["error_event"] = True
                    ex.response.status = _error_status(text)
                    break  # an error before any response event answers the turn (OpenAI's rejection)
                started = started or kind != "error"
                if kind in TERMINAL_TYPES:
                    record["terminal"] = kind
                    break
            else:
                ex.transport_error = f"cut: more than {MAX_MESSAGES} messages in one turn"
        except ConnectionClosed as exc:
            if exc.rcvd is None and exc.sent is not None and exc.sent.code == 1009:  # our size cap, not the server
                ex.transport_error = f"cut: a message was larger than {MAX_MESSAGE_BYTES} bytes"
            # A close (or a dropped connection, code None) is the server's answer, judged by the websocket checks.
            self.closed = {"code": exc.rcvd.code if exc.rcvd else None,
                           "reason": exc.rcvd.reason if exc.rcvd else "", "during": label}
            record["close"] = self.closed
            ex.notes.append(f"the server closed the socket (code {self.closed['code']}) during this turn")
        except _AlreadyClosed:
            record["close"] = self.closed
            ex.notes.append("not sent: the server had already closed the socket")
        except _Abandoned:
            ex.transport_error = f"not sent: an earlier turn on this socket was abandoned ({self.abandoned})"
        if ex.transport_error and self.abandoned is None:
            # Whatever that turn still sends would be read as the next turn's answer: the socket is done.
            self.abandoned = f"{label}: {ex.transport_error}"
        if started:
            ex.response.status = 200
        ex.response.sse = "".join(_as_event(t) for t in texts)
        ex.event_offsets = offsets
        ex.elapsed_s = time.monotonic() - t0
        return ex

    def close(self) -> None:
        self.conn = None
        self._stack.close()


class _AlreadyClosed(Exception):
    pass


class _Abandoned(Exception):
    pass


def _as_event(text: str) -> str:
    """One SSE event whose data is exactly ``text`` (each line of it one `data:` line)."""
    return "".join(f"data: {line}\n" for line in text.split("\n")) + "\n"


def _type(text: str) -> Any:
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj.get("type") if isinstance(obj, dict) else None


def _error_status(text: str) -> int | None:
    obj = json.loads(text)
    status = obj.get("status")
    return status if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599 else None


def _set_body(ex: Exchange, raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    try:
        ex.response.body = json.loads(text) if text.strip() else None
    except ValueError:
        ex.response.text = text[:10_000]


def _closed_unanswered(exc: BaseException) -> bool:
    """The server accepted the TCP connection, then closed it without any HTTP answer to the upgrade."""
    if isinstance(exc, InvalidMessage):
        return isinstance(exc.__cause__, (EOFError, ConnectionError))
    return isinstance(exc, (ConnectionResetError, ConnectionAbortedError))


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if text != exc.__class__.__name__ else text
