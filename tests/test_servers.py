"""The real servers' machinery without the servers: cached venv installs, and start/stop of a process group."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conformance.servers.process import ServerProcess, ServerStartError
from conformance.servers.venvs import InstallError, ServerEnv, ensure, problem

# A server that answers GET /v1/models, has a child that ignores SIGTERM (as vLLM's engine outlives its API
# server), and itself ignores SIGTERM when told to (as LiteLLM does).
FAKE = textwrap.dedent("""
    import http.server, signal, subprocess, sys
    if sys.argv[2] == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c",
                              "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
    open(sys.argv[3], "w").write(str(child.pid))
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"data": [{"id": "fake-model"}]}'
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
""")


class Fake(ServerProcess):
    def __init__(self, tmp: Path, mode: str, stop_signal: int) -> None:
        super().__init__(tmp / "fake.log", startup_timeout_s=30, stop_timeout_s=3)
        self.tmp, self.mode, self.stop_signal = tmp, mode, stop_signal  # type: ignore[assignment]
        (tmp / "fake.py").write_text(FAKE)

    def command(self) -> list[str]:
        return [sys.executable, str(self.tmp / "fake.py"), str(self.port), self.mode, str(self.tmp / "child.pid")]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"


@pytest.mark.parametrize("mode,sig", [("plain", signal.SIGTERM), ("ignore-term", signal.SIGINT),
                                      ("ignore-term", signal.SIGTERM)])
def test_stop_ends_the_whole_process_group(tmp_path: Path, mode: str, sig: int) -> None:
    with Fake(tmp_path, mode, sig) as srv:
        assert srv.model == "fake-model" and srv.base_url.startswith("http://127.0.0.1:")
        leader = srv._proc.pid  # type: ignore[union-attr]
        child = int((tmp_path / "child.pid").read_text())
        assert os.getpgid(child) == leader  # its own group, apart from the test's
    time.sleep(0.2)
    assert not _alive(leader) and not _alive(child)


def test_a_server_that_dies_at_start_up_says_why(tmp_path: Path) -> None:
    class Dies(ServerProcess):
        def command(self) -> list[str]:
            return [sys.executable, "-c", "import sys; print('no model here'); sys.exit(3)"]

    with pytest.raises(ServerStartError, match="(?s)status 3.*no model here"):
        Dies(tmp_path / "dies.log", startup_timeout_s=30).start()


def test_install_is_cached_and_probed(tmp_path: Path) -> None:
    """The cold path on a small package: a venv made, pip run, the probe satisfied; then nothing to do."""
    env = ServerEnv("tiny", "2.3.1", ("iniconfig==2.3.1",), (("iniconfig", "2.3.1"),), remove=("pip-nonexistent",))
    assert "no virtual environment" in str(problem(env, tmp_path))
    t0 = time.monotonic()
    python = ensure(env, tmp_path)
    assert python == tmp_path / "servers" / "tiny-2.3.1" / "bin" / "python" and problem(env, tmp_path) is None
    log = (tmp_path / "servers" / "tiny-2.3.1.install.log").read_text()
    assert "pip install" in log and "pip uninstall" in log
    cold = time.monotonic() - t0
    t0 = time.monotonic()
    ensure(env, tmp_path)  # warm: only the probe
    assert time.monotonic() - t0 < cold
    assert (tmp_path / "servers" / "tiny-2.3.1.install.log").read_text() == log


def test_a_failed_install_raises_with_the_log(tmp_path: Path) -> None:
    env = ServerEnv("broken", "0", ("not a requirement ===",), (("broken", "0"),))
    with pytest.raises(InstallError, match="exit status"):
        ensure(env, tmp_path, timeout_s=300)
