"""A tiny scripted HTTP server on 127.0.0.1 for client tests: it answers every request with fixed bytes,
optionally then stays silent (a hung stream) until the test ends."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def scripted_server(payload: bytes, hang: bool = False) -> Iterator[str]:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        conns = []
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conns.append(conn)
            conn.settimeout(2)
            try:
                conn.recv(65536)
                conn.sendall(payload)
                if not hang:
                    conn.close()
            except OSError:
                pass
        for c in conns:
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/v1"
    finally:
        stop.set()
        t.join(2)
        srv.close()


def sse_response(events: str) -> bytes:
    head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    head += "connection: close\r\n\r\n"
    return head.encode() + events.encode()


@contextmanager
def routed_server(answer: Callable[[bytes], bytes | None]) -> Iterator[str]:
    """Like scripted_server, but ``answer(request head)`` picks the bytes for each request; None closes the
    connection without any answer."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        head += chunk
                    payload = answer(head)
                    if payload is not None:
                        conn.sendall(payload)
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/v1"
    finally:
        stop.set()
        t.join(2)
        srv.close()
