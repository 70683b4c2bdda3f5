"""`ReferenceServer`: the reference app under uvicorn on a free 127.0.0.1 port, in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Sequence

import httpx
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from conformance.reference.app import Settings, create_app
from conformance.reference.catalogue import resolve_hooks
from conformance.reference.profiles import PROFILES
from conformance.reference.request import MODEL_ID


class ReferenceServer:
    """Run the reference server for the length of a `with` block::

        with ReferenceServer(faults=["llamacpp-no-sequence-number"], token_delay=0.0) as srv:
            OpenAI(base_url=srv.base_url, api_key="x")

    Unknown fault or profile names raise `UnknownName` (a ValueError) before anything starts.
    """

    model = MODEL_ID

    def __init__(self, faults: Sequence[str] = (), profile: str | None = None, token_delay: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0) -> None:
        self.settings = Settings(hooks=resolve_hooks(faults, profile), token_delay=token_delay)
        # Headers the profile insists on (e.g. the gateway's provider header), for clients to send.
        self.required_headers = dict(PROFILES[profile].required_headers) if profile else {}
        self.host, self.port = host, port
        self.startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as `base_url` (ends in /v1)."""
        return f"{self.url}/v1"

    def start(self) -> "ReferenceServer":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it: no delayed-ACK stalls
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        policy = self.settings.hooks.connection
        config = uvicorn.Config(create_app(self.settings), log_level="warning", lifespan="off",
                                ws="websockets-sansio", http=_DropsReused if policy and policy.drop_reused else "auto",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                                        name=f"reference-server-{self.port}", daemon=True)
        self._thread.start()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("the reference server stopped while starting")
            try:
                httpx.get(f"{self.base_url}/models", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"the reference server did not answer within {self.startup_timeout}s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._server = self._thread = None

    def __enter__(self) -> "ReferenceServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class _DropsReused(H11Protocol):
    """A connection that closes, unanswered, when a request arrives after it answered one: a server (or a proxy)
    that keeps the connection open without saying Connection: close, yet will not serve a second request on it."""

    answered = False

    def on_response_complete(self) -> None:
        self.answered = True
        super().on_response_complete()

    def data_received(self, data: bytes) -> None:
        if self.answered:
            self.transport.close()
            return
        super().data_received(data)
