"""A hard deadline per exchange, from the first byte sent to the last byte read.

httpx's timeouts bound each socket operation, never a whole request: response headers trickled one byte per
second, an endless run of ``100 Continue`` or a slowloris body each keep every single read short. So the
transport's network backend is wrapped: every connection opened while a Deadline is active on the thread is
watched, and when the deadline passes a timer shuts the socket down. The blocked read returns at once, httpx
raises (or sees the end of the body), and the caller finds ``deadline.expired`` set and records a timeout.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

_active = threading.local()


class Deadline:
    """Use ``with deadline.arm():`` around the call that opens the connection; ``cancel()`` when done reading."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def arm(self) -> _Armed:
        return _Armed(self)

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for s in sockets:
            _shut(s)


class _Armed:
    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def __enter__(self) -> Deadline:
        _active.deadline = self._deadline
        return self._deadline

    def __exit__(self, *exc: object) -> None:
        _active.deadline = None


def _shut(sock: socket.socket) -> None:
    """Shut the connection down under whoever is reading it. A duplicate descriptor is used so a TLS socket's
    Python object (owned by the reading thread) is left alone; shutdown acts on the connection itself."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return
        dup = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


class _WatchedStream:
    """A network stream (httpcore or httpcore2, same duck type) registered with the deadline it was opened under."""

    def __init__(self, inner: Any, deadline: Deadline | None) -> None:
        self._inner = inner
        self._deadline = deadline
        if deadline is not None:
            deadline.watch(inner.get_extra_info("socket"))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> _WatchedStream:
        return _WatchedStream(self._inner.start_tls(*args, **kwargs), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _WatchedBackend:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> _WatchedStream:
        return _WatchedStream(self._inner.connect_tcp(*args, **kwargs), getattr(_active, "deadline", None))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> _WatchedStream:
        return _WatchedStream(self._inner.connect_unix_socket(*args, **kwargs), getattr(_active, "deadline", None))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(transport: Any) -> None:
    """Watch every connection of an httpx (or httpx2) HTTPTransport. Neither exposes its network backend, so
    this reaches into the pool; fail loudly if that changes rather than run without a deadline."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        raise RuntimeError("cannot bound exchanges: the HTTP transport has no network backend to watch "
                           "(httpcore internals changed)")
    if not isinstance(backend, _WatchedBackend):
        pool._network_backend = _WatchedBackend(backend)
