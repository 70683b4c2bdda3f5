"""A TCP proxy on loopback that makes an endpoint slow or stalled, to try the run engine as users' endpoints
try it: `delay_s` before each response's first byte (a busy server's queueing), `stall_posts` POSTs that
never get an answer (held open until the client gives up), and `slots`: how many requests it serves at once,
the others waiting their turn (llama.cpp's server with one slot).

It relays bytes and looks only at the start of what the client sends (the method and path of the request
line), so it needs one request per connection, which is how the suite's client talks (no keep-alive).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class ProxyStats:
    requests: int = 0
    stalled: int = 0
    paths: list[str] = field(default_factory=list)  # "METHOD /path" of each request line seen


class SlowProxy:
    def __init__(self, upstream_port: int, delay_s: float = 0.0, stall_posts: int = 0,
                 stall_path: str = "/responses", host: str = "127.0.0.1", slots: int | None = None) -> None:
        self.upstream_port = upstream_port
        self.slots = slots
        self._slots: asyncio.Semaphore | None = None
        self.delay_s = delay_s
        self.stall_posts = stall_posts
        self.stall_path = stall_path
        self.host = host
        self.port = 0
        self.stats = ProxyStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._lock = threading.Lock()

    def base_url(self, path: str = "/v1") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> SlowProxy:
        self._thread = threading.Thread(target=self._serve, name="slow-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            done = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                done.result(5)
            except Exception:  # noqa: BLE001 - shutting down: nothing to report
                pass
        if self._thread is not None:
            self._thread.join(5)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        while tasks := [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        if self.slots:
            self._slots = asyncio.Semaphore(self.slots)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.close()

    def _should_stall(self, line: str) -> bool:
        method, _, rest = line.partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        with self._lock:
            self.stats.requests += 1
            self.stats.paths.append(f"{method} {path}")
            if method == "POST" and path.endswith(self.stall_path) and self.stats.stalled < self.stall_posts:
                self.stats.stalled += 1
                return True
        return False

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            first = await asyncio.wait_for(client_r.readline(), 30)
            if self._should_stall(first.decode("latin-1")):
                await client_r.read()  # hold the connection until the client gives up
                return
            if self._slots is None:
                await self._relay(first, client_r, client_w)
            else:
                async with self._slots:  # the others wait their turn, as on a server with that many slots
                    await self._relay(first, client_r, client_w)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            client_w.close()

    async def _relay(self, first: bytes, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection(self.host, self.upstream_port)
        up_w.write(first)
        to_upstream = asyncio.ensure_future(self._pipe(client_r, up_w))
        head = await up_r.read(65536)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        client_w.write(head)
        await self._pipe(up_r, client_w)
        to_upstream.cancel()

    @staticmethod
    async def _pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except OSError:
            pass
        finally:
            if not w.is_closing() and w.can_write_eof():
                try:
                    w.write_eof()
                except OSError:
                    pass
