"""A real server in a child process of its own process group, on 127.0.0.1, ready when ``GET /v1/models`` says 200.

Start-up and shutdown are bounded: ``start`` raises ``ServerStartError`` with the log's tail when the process
dies or is not ready in time; ``stop`` sends the server's own stop signal to the whole group (vLLM's engine
and worker processes outlive a signal to the API server alone; LiteLLM ignores SIGTERM), then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Mapping

import httpx


class ServerStartError(RuntimeError):
    """The server did not come up; the message ends with the tail of its log."""


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (the servers here cannot report a port they picked)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            return b"".join(deque(fh, maxlen=lines)).decode("utf-8", "replace")
    except OSError:
        return ""


class ServerProcess:
    """Subclasses set ``name`` and ``stop_signal`` and build the command in ``command()``."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, log_path: Path, *, startup_timeout_s: float, stop_timeout_s: float = 20.0) -> None:
        self.log_path = log_path
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.port = 0
        self.model: str | None = None
        self.startup_s: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def auth(self) -> Mapping[str, str]:
        return {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ServerProcess:
        self.port = free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=self.environment(), start_new_session=True)  # its own process group
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _signal_group(proc.pid, self.stop_signal)
        deadline = time.monotonic() + self.stop_timeout_s
        while time.monotonic() < deadline and (proc.poll() is None or _group_alive(proc.pid)):
            time.sleep(0.2)
        _signal_group(proc.pid, signal.SIGKILL)  # whatever of the group is left
        proc.wait(timeout=self.stop_timeout_s)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _wait_ready(self, t0: float) -> None:
        assert self._proc is not None
        deadline = t0 + self.startup_timeout_s
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            while True:
                if self._proc.poll() is not None:
                    raise ServerStartError(f"{self.name} exited with status {self._proc.returncode} during start-up; "
                                           f"log tail:\n{log_tail(self.log_path)}")
                if time.monotonic() > deadline:
                    raise ServerStartError(f"{self.name} not ready after {self.startup_timeout_s:.0f}s; "
                                           f"log tail:\n{log_tail(self.log_path)}")
                try:
                    r = client.get(self.base_url + "/models", headers=dict(self.auth()))
                    if r.status_code == 200:
                        self.model = r.json()["data"][0]["id"]
                        return
                except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
                    pass  # not listening yet, or still loading
                time.sleep(0.5)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)  # pid == pgid under start_new_session
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
