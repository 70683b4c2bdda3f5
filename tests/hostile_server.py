"""A misbehaving Responses endpoint on 127.0.0.1, for the suite's own hostile tests (tests/test_hostile.py) and
the benchmark that measures them (benchmarks/hostile.py).

Each behaviour is one way an endpoint can be broken or hostile: transport, HTTP framing, SSE framing, JSON,
sizes, ids, headers, rate limits, redirects, cookies, key echo. Otherwise the server answers like a tiny valid
endpoint, so scenarios get far enough to meet the behaviour (a stored response to retrieve, an id to cancel).
Every request it receives is recorded (method, raw target, headers), so a test can assert none left the API's
paths and none carried a cookie.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Callable

KEY = "sk-hostile-" + "Q7x2Lm9Vb4Nc8Rt1Yw6Zp3Ks5Hd0Gf2Ja"  # the key the tests pass; must appear in no output
MIB = 1024 * 1024


@dataclass
class Request:
    method: str
    target: str  # the raw request target, as sent
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def json(self) -> dict:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def wants_stream(self) -> bool:
        return self.json.get("stream") is True or "stream=true" in self.target


Handler = Callable[["Conn", Request], None]


@dataclass(frozen=True)
class Behaviour:
    name: str
    area: str
    description: str
    handler: Handler


BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(name: str, area: str, description: str) -> Callable[[Handler], Handler]:
    def deco(func: Handler) -> Handler:
        BEHAVIOURS[name] = Behaviour(name, area, description, func)
        return func

    return deco


class Conn:
    """One accepted connection; writes never raise (the client may have gone)."""

    def __init__(self, sock: socket.socket, server: HostileServer) -> None:
        self.sock = sock
        self.server = server

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def trickle(self, data: bytes, every_s: float, step: int = 1) -> None:
        for i in range(0, len(data), step):
            if self.server.stopped.is_set() or not self.send(data[i:i + step]):
                return
            time.sleep(every_s)

    def forever(self, piece: Callable[[int], bytes], every_s: float = 0.0) -> None:
        """Send pieces until the client goes away or the server stops (an endless answer)."""
        i = 0
        while not self.server.stopped.is_set() and self.send(piece(i)):
            i += 1
            if every_s:
                time.sleep(every_s)

    def hold(self) -> None:
        """Keep the connection open and silent until the client gives up."""
        self.sock.settimeout(0.2)
        while not self.server.stopped.is_set():
            try:
                if self.sock.recv(65536) == b"":
                    return
            except socket.timeout:
                continue
            except OSError:
                return


def head(status: int = 200, headers: dict[str, str] | list[tuple[str, str]] | None = None,
         reason: str = "OK") -> bytes:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in items] + ["connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def reply(status: int, body: bytes, content_type: str = "application/json", extra: dict[str, str] | None = None,
          reason: str = "OK") -> bytes:
    return head(status, {"content-type": content_type, "content-length": str(len(body)), **(extra or {})},
                reason) + body


def as_json(obj: object) -> bytes:
    return json.dumps(obj).encode()


# A small valid endpoint ---------------------------------------------------------------------------------------

def response_obj(rid: str, model: str = "m", text: str = "Hello.") -> dict:
    return {"id": rid, "object": "response", "created_at": 1700000000, "status": "completed", "model": model,
            "error": None, "incomplete_details": None, "instructions": None, "metadata": {},
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "parallel_tool_calls": True, "temperature": 1.0, "tool_choice": "auto", "tools": [], "top_p": 1.0,
            "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5,
                      "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
            "text": {"format": {"type": "text"}}, "store": True, "background": False, "user": None}


def sse_event(obj: dict) -> bytes:
    return f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n".encode()


def stream_events(rid: str) -> list[dict]:
    done = response_obj(rid)
    start = {**done, "status": "in_progress", "output": [], "usage": None}
    item = done["output"][0]
    part = item["content"][0]
    evs: list[dict] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
        {"type": "response.output_item.added", "output_index": 0,
         "item": {**item, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": {**part, "text": ""}},
        {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "delta": part["text"], "logprobs": []},
        {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "text": part["text"], "logprobs": []},
        {"type": "response.content_part.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": done},
    ]
    return [{**e, "sequence_number": i} for i, e in enumerate(evs)]


def sse_stream(rid: str) -> bytes:
    return b"".join(sse_event(e) for e in stream_events(rid))


def normal(conn: Conn, req: Request, rid: str = "resp_hostile1") -> None:
    """What a small valid endpoint answers (responses carry ``rid``)."""
    path = req.path
    if path.endswith("/models"):
        conn.send(reply(200, as_json({"object": "list", "data": [{"id": "m", "object": "model"}]})))
    elif req.method == "DELETE":
        conn.send(reply(200, as_json({"id": rid, "object": "response.deleted", "deleted": True})))
    elif path.endswith("/input_items"):
        conn.send(reply(200, as_json({"object": "list", "data": [], "first_id": None, "last_id": None,
                                      "has_more": False})))
    elif req.wants_stream:
        conn.send(head(200, {"content-type": "text/event-stream; charset=utf-8"}) + sse_stream(rid))
    else:
        conn.send(reply(200, as_json(response_obj(rid, str(req.json.get("model", "m"))))))


def is_create(req: Request) -> bool:
    return req.method == "POST" and req.path.endswith("/responses")


def on_create(hostile: Handler) -> Handler:
    """A behaviour that misbehaves on POST /responses only; everything else is answered normally."""

    def handler(conn: Conn, req: Request) -> None:
        (hostile if is_create(req) else normal)(conn, req)

    return handler


# Transport ----------------------------------------------------------------------------------------------------

@behaviour("close-at-once", "transport", "accepts, then closes without a byte")
def _close(conn: Conn, req: Request) -> None:
    return


@behaviour("reset", "transport", "resets the connection (RST) instead of answering")
def _reset(conn: Conn, req: Request) -> None:
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@behaviour("silent", "transport", "accepts and never answers")
def _silent(conn: Conn, req: Request) -> None:
    conn.hold()


@behaviour("trickle-headers", "transport", "response headers one byte every 0.2 s, forever")
def _trickle_headers(conn: Conn, req: Request) -> None:
    conn.trickle(head(200, [("x-pad", "a" * 50)] * 400), 0.2)


@behaviour("endless-100-continue", "transport", "an endless series of 100 Continue interim responses")
def _continue(conn: Conn, req: Request) -> None:
    conn.forever(lambda i: b"HTTP/1.1 100 Continue\r\n\r\n", 0.05)


@behaviour("slowloris-body", "transport", "declares 1 MB, sends one byte every 0.1 s")
def _slowloris(conn: Conn, req: Request) -> None:
    conn.send(head(200, {"content-type": "application/json", "content-length": str(MIB)}))
    conn.trickle(b" " * MIB, 0.1)


@behaviour("headers-then-close", "transport", "half a header block, then close")
def _half_headers(conn: Conn, req: Request) -> None:
    conn.send(b"HTTP/1.1 200 OK\r\ncontent-type: appl")


@behaviour("garbage", "transport", "bytes that are not HTTP")
def _garbage(conn: Conn, req: Request) -> None:
    conn.send(bytes(range(256)) * 64)


# HTTP framing --------------------------------------------------------------------------------------------------

@behaviour("short-body", "http", "content-length 1000, 10 bytes, close")
def _short(conn: Conn, req: Request) -> None:
    conn.send(head(200, {"content-type": "application/json", "content-length": "1000"}) + b'{"id": "re')


@behaviour("bad-chunked", "http", "chunked encoding with an invalid chunk size")
def _bad_chunked(conn: Conn, req: Request) -> None:
    conn.send(head(200, {"content-type": "application/json", "transfer-encoding": "chunked"}) + b"zz\r\n{}\r\n")


@behaviour("huge-header", "http", "one 1 MB response header")
def _huge_header(conn: Conn, req: Request) -> None:
    conn.send(head(200, {"content-type": "application/json", "x-big": "a" * MIB, "content-length": "2"}) + b"{}")


@behaviour("many-headers", "http", "100,000 response headers")
def _many_headers(conn: Conn, req: Request) -> None:
    conn.send(head(200, [(f"x-h{i}", "v") for i in range(100_000)]) + b"{}")


@behaviour("bad-status-line", "http", "a status line with status 999 and no reason")
def _bad_status(conn: Conn, req: Request) -> None:
    conn.send(b"HTTP/1.1 999\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")


@behaviour("no-content-type", "http", "JSON bodies with no content-type; streams too")
def _no_ct(conn: Conn, req: Request) -> None:
    body = sse_stream("resp_hostile1") if req.wants_stream else as_json(response_obj("resp_hostile1"))
    conn.send(head(200, {"content-length": str(len(body))}) + body)


@behaviour("html-error", "http", "every request answered 500 with a large HTML page")
def _html(conn: Conn, req: Request) -> None:
    conn.send(reply(500, b"<html><body>" + b"<p>oops</p>" * 50_000 + b"</body></html>", "text/html",
                    reason="Internal Server Error"))


# SSE framing ---------------------------------------------------------------------------------------------------

def _sse_head() -> bytes:
    return head(200, {"content-type": "text/event-stream; charset=utf-8"})


def _delta(i: int) -> bytes:
    return sse_event({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                      "content_index": 0, "delta": "x", "sequence_number": i + 1, "logprobs": []})


@behaviour("endless-deltas", "sse", "a stream of deltas as fast as possible, never ending")
def _endless(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    created = stream_events("resp_hostile1")[0]
    conn.send(_sse_head() + sse_event(created))
    conn.forever(lambda i: b"".join(_delta(i * 50 + j) for j in range(50)))


@behaviour("endless-comments", "sse", "SSE comments as fast as possible, never an event")
def _comments(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head())
    conn.forever(lambda i: b": keep-alive\n\n" * 500)


@behaviour("slow-keepalive", "sse", "a comment every 0.3 s, forever (never idle, never done)")
def _slow_keepalive(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head())
    conn.forever(lambda i: b": ping\n\n", 0.3)


@behaviour("endless-line", "sse", "one data line that never ends")
def _endless_line(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head() + b"data: ")
    conn.forever(lambda i: b"x" * 65536)


@behaviour("huge-event", "sse", "one event of 4 MB in many data lines")
def _huge_event(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head() + b"data: " + b"x" * 1000 + b"\n" + b"data: x\n" * (4 * MIB // 8) + b"\n")


@behaviour("sse-binary", "sse", "NUL bytes and invalid UTF-8 inside events")
def _sse_binary(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head() + b"event: \x00\xff\xfe\ndata: {\"type\": \"\xc3\x28\x00\"}\n\n" + sse_stream("resp_hostile1"))


@behaviour("sse-deep-json", "sse", "an event whose data nests 100,000 deep")
def _sse_deep(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head() + b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n" + sse_stream("resp_hostile1"))


@behaviour("sse-nan", "sse", "events with NaN and Infinity literals")
def _sse_nan(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    text = sse_stream("resp_hostile1").replace(b'"temperature": 1.0', b'"temperature": NaN')
    conn.send(_sse_head() + text.replace(b'"top_p": 1.0', b'"top_p": -Infinity'))


@behaviour("done-then-more", "sse", "[DONE], then more events, then an unterminated half event")
def _done_more(conn: Conn, req: Request) -> None:
    if not req.wants_stream:
        return normal(conn, req)
    conn.send(_sse_head() + sse_stream("resp_hostile1") + b"data: [DONE]\n\n" + _delta(99) + b"data: {\"ty")


# JSON ------------------------------------------------------------------------------------------------------------

@behaviour("deep-json", "json", "every body (GET /models too) nests 100,000 deep")
def _deep(conn: Conn, req: Request) -> None:
    conn.send(reply(200, b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))


@behaviour("deep-json-discovery", "json", "GET /models (model discovery: no --model) answers JSON 100,000 deep")
def _deep_discovery(conn: Conn, req: Request) -> None:
    _deep(conn, req)


@behaviour("nan-json", "json", "bodies with NaN and Infinity literals")
def _nan(conn: Conn, req: Request) -> None:
    if req.wants_stream:
        return _sse_nan(conn, req)
    body = as_json(response_obj("resp_hostile1")).replace(b'"temperature": 1.0', b'"temperature": NaN')
    conn.send(reply(200, body.replace(b'"top_p": 1.0', b'"top_p": Infinity')))


@behaviour("huge-number", "json", "numbers like 1e999999 and a 100,000-digit integer")
def _huge_number(conn: Conn, req: Request) -> None:
    body = as_json(response_obj("resp_hostile1")).replace(b'"temperature": 1.0', b'"temperature": 1e999999')
    conn.send(reply(200, body.replace(b'"created_at": 1700000000', b'"created_at": ' + b"9" * 100_000)))


@behaviour("invalid-utf8", "json", "bodies that are not UTF-8")
def _bad_utf8(conn: Conn, req: Request) -> None:
    conn.send(reply(200, b'{"id": "\xff\xfe\xc3\x28", "object": "response"}'))


@behaviour("wide-json", "json", "a valid JSON body of 7 MB: one list of a million small numbers")
def _wide(conn: Conn, req: Request) -> None:
    body = as_json(response_obj("resp_hostile1"))[:-1] + b', "extra": [' + b"1," * (3 * MIB) + b"1]}"
    conn.send(reply(200, body))


# Sizes -----------------------------------------------------------------------------------------------------------

@behaviour("100mb-body", "size", "a 100 MB body, sent as fast as possible")
def _big(conn: Conn, req: Request) -> None:
    conn.send(head(200, {"content-type": "application/json", "content-length": str(100 * MIB)}))
    chunk = b" " * MIB
    for _ in range(100):
        if not conn.send(chunk):
            return


_BOMB: dict[str, bytes] = {}


def _bomb(kind: str) -> bytes:
    """About 1 GB of spaces, compressed to about 1 MB. Fully flushed blocks compress alike, so one is repeated
    (its trailer's checksum is wrong, which no decoder reaches before inflating the gigabyte)."""
    if kind not in _BOMB:
        z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if kind == "gzip" else zlib.MAX_WBITS)
        block = b" " * MIB
        first = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
        again = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
        _BOMB[kind] = first + again * 1023 + z.flush()
    return _BOMB[kind]


@behaviour("gzip-bomb", "size", "a gzip body that inflates to 1 GB")
def _gzip_bomb(conn: Conn, req: Request) -> None:
    data = _bomb("gzip")
    conn.send(head(200, {"content-type": "application/json", "content-encoding": "gzip",
                         "content-length": str(len(data))}) + data)


@behaviour("deflate-bomb-sse", "size", "a deflate stream that inflates to 1 GB")
def _deflate_bomb(conn: Conn, req: Request) -> None:
    data = _bomb("deflate")
    ct = "text/event-stream" if req.wants_stream else "application/json"
    conn.send(head(200, {"content-type": ct, "content-encoding": "deflate", "content-length": str(len(data))})
              + data)


@behaviour("bad-gzip", "size", "content-encoding gzip over bytes that are not gzip")
def _bad_gzip(conn: Conn, req: Request) -> None:
    conn.send(reply(200, b"this is not gzip" * 10, extra={"content-encoding": "gzip"}))


@behaviour("unasked-encoding", "size", "content-encoding br, which the client did not accept")
def _br(conn: Conn, req: Request) -> None:
    conn.send(reply(200, gzip.compress(as_json(response_obj("resp_hostile1"))), extra={"content-encoding": "br"}))


# Ids -------------------------------------------------------------------------------------------------------------

def _id_behaviour(name: str, rid: str, description: str) -> None:
    behaviour(name, "ids", description)(lambda conn, req: normal(conn, req, rid=rid))


_id_behaviour("id-traversal", "resp_1/../../../admin", "response ids that climb out of the API's paths")
_id_behaviour("id-query", "resp_1?x=1#", "response ids that would start a query and a fragment")
_id_behaviour("id-percent", "resp_1%2F..%2Fadmin", "response ids with percent-escapes for the server to decode")
_id_behaviour("id-crlf", "resp_1\r\nx-injected: 1", "response ids with CR LF (header injection)")
_id_behaviour("id-1mb", "resp_" + "a" * MIB, "response ids 1 MB long")
_id_behaviour("id-unicode", "resp_\u00e9\u202e\u0000", "response ids with non-ASCII, bidi and NUL characters")
_id_behaviour("id-dot", "..", "a response id that is a dot segment")


@behaviour("id-not-string", "ids", "response ids that are objects")
def _id_obj(conn: Conn, req: Request) -> None:
    body = response_obj("x")
    body["id"] = {"$ne": None}
    conn.send(reply(200, as_json(body)))


# Headers, rate limits, redirects, cookies -------------------------------------------------------------------------

def _error(status: int, message: str, code: str | None = None) -> bytes:
    return as_json({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}})


def _rate_limited(retry_after: str | None, status: int = 429) -> Handler:
    def handler(conn: Conn, req: Request) -> None:
        extra = {"retry-after": retry_after} if retry_after is not None else {}
        conn.send(reply(status, _error(status, "slow down", "rate_limit_exceeded"), extra=extra,
                        reason="Too Many Requests"))

    return handler


for _name, _value, _status, _what in [
    ("429-retry-1-forever", "1", 429, "429 with Retry-After: 1 on every request"),
    ("429-retry-10-forever", "10", 429, "429 with Retry-After: 10 on every request"),
    ("429-retry-3600", "3600", 429, "429 with Retry-After: 3600"),
    ("429-no-retry-after", None, 429, "429 without Retry-After, forever"),
    ("429-bad-retry-after", "1.5e9 soon", 429, "429 with a Retry-After that is neither seconds nor a date"),
    ("429-date-future", "FUTURE", 429, "429 with an HTTP-date Retry-After a day ahead"),
    ("503-retry-1-forever", "1", 503, "503 with Retry-After: 1 on every request"),
]:
    def _make(value: str | None = _value, status: int = _status) -> Handler:
        def handler(conn: Conn, req: Request) -> None:
            v = email.utils.formatdate(time.time() + 86400, usegmt=True) if value == "FUTURE" else value
            _rate_limited(v, status)(conn, req)

        return handler

    behaviour(_name, "rate-limit", _what)(_make())


@behaviour("redirect-admin", "redirect", "307 to /admin on the same host, with the key in mind")
def _redirect_admin(conn: Conn, req: Request) -> None:
    conn.send(reply(307, b"", extra={"location": "/admin/steal"}, reason="Temporary Redirect"))


@behaviour("redirect-elsewhere", "redirect", "302 to another host")
def _redirect_other(conn: Conn, req: Request) -> None:
    conn.send(reply(302, b"", extra={"location": f"{conn.server.elsewhere_url}/v1/responses"}, reason="Found"))


@behaviour("set-cookie", "cookies", "Set-Cookie on every answer (it must never come back)")
def _cookie(conn: Conn, req: Request) -> None:
    extra = {"set-cookie": "session=hostile; Path=/; HttpOnly"}
    if req.wants_stream:
        conn.send(head(200, {"content-type": "text/event-stream", **extra}) + sse_stream("resp_hostile1"))
    else:
        conn.send(reply(200, as_json(response_obj("resp_hostile1")), extra=extra))


def _auth(req: Request) -> str:
    return req.headers.get("authorization", "")


@behaviour("key-echo-error", "key-echo", "400s whose message echoes the Authorization header after 150 characters")
def _echo_error(conn: Conn, req: Request) -> None:
    msg = "x" * 150 + f" you sent {_auth(req)} which is wrong; " + "y" * 200
    conn.send(reply(400, _error(400, msg), extra={"x-echo": _auth(req)}, reason="Bad Request"))


@behaviour("key-echo-forms", "key-echo", "the key echoed quoted, JSON-escaped, URL-encoded and in a stream")
def _echo_forms(conn: Conn, req: Request) -> None:
    key = _auth(req).removeprefix("Bearer ")
    forms = f'"{key}" {json.dumps(key)} {key.replace("-", "%2D")} Bearer {key}'
    if req.wants_stream:
        evs = stream_events("resp_hostile1")
        evs[4]["delta"] = forms
        conn.send(_sse_head() + b"".join(sse_event(e) for e in evs) + f": {forms}\n\n".encode())
    else:
        conn.send(reply(200, as_json(response_obj("resp_hostile1", text=forms)), extra={"x-key": key}))


@behaviour("key-in-location", "key-echo", "a redirect whose Location carries the key")
def _echo_location(conn: Conn, req: Request) -> None:
    key = _auth(req).removeprefix("Bearer ")
    conn.send(reply(301, b"", extra={"location": f"/v1/responses?key={key}"}, reason="Moved Permanently"))


@behaviour("html-with-script", "headers", "error pages with script tags in body and headers")
def _script(conn: Conn, req: Request) -> None:
    payload = "<script>document.title='PWNED'</script>"
    conn.send(reply(400, _error(400, payload), extra={"x-evil": payload}, reason="Bad Request"))


# The server -------------------------------------------------------------------------------------------------------

class HostileServer:
    """``with HostileServer("slowloris-body") as url:``; ``.requests`` holds what arrived, ``.elsewhere`` what
    a second host (the target of redirect-elsewhere) received."""

    def __init__(self, name: str) -> None:
        self.behaviour = BEHAVIOURS[name]
        self.requests: list[Request] = []
        self.elsewhere: list[str] = []
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._socks = [self._listen(), self._listen()]
        self.url = f"http://127.0.0.1:{self._socks[0].getsockname()[1]}/v1"
        self.elsewhere_url = f"http://127.0.0.1:{self._socks[1].getsockname()[1]}"
        self._threads = [threading.Thread(target=self._accept, args=(s, main), daemon=True)
                         for s, main in zip(self._socks, (True, False))]

    @staticmethod
    def _listen() -> socket.socket:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        s.settimeout(0.2)
        return s

    def __enter__(self) -> str:
        for t in self._threads:
            t.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for t in self._threads:
            t.join(5)
        for s in self._socks:
            s.close()

    def _accept(self, srv: socket.socket, main: bool) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(sock, main), daemon=True).start()

    def _serve(self, sock: socket.socket, main: bool) -> None:
        sock.settimeout(5)
        try:
            req = _read_request(sock)
            if req is None:
                return
            with self._lock:
                (self.requests if main else self.elsewhere).append(req if main else req.target)  # type: ignore[arg-type]
            if main:
                self.behaviour.handler(Conn(sock, self), req)
            else:
                sock.sendall(reply(200, b"{}"))
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > 1 << 20:
            return None
        data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    want = int(headers.get("content-length", "0") or 0)
    while len(body) < want:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, target, headers, body)
