"""The LiteLLM proxy (litellm[proxy]) on 127.0.0.1, in front of another server: the gateway path.

    with LiteLLMProxy.prepared(upstream_base_url, "smollm2-135m-instruct") as proxy:
        ...proxy.base_url, proxy.api_key...

ROUTES names how the proxy treats ``/v1/responses``: ``chat`` (``openai/chat_completions/<model>``) turns it into
chat completions upstream; ``responses`` (``hosted_vllm/<model>``) passes it through. ``LITELLM_MASTER_KEY``
sets the key clients must send, ``LITELLM_LOCAL_MODEL_COST_MAP=True`` keeps it from fetching its cost map. It
ignores SIGTERM, so ``stop`` sends SIGINT.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from pathlib import Path
from typing import Mapping

from conformance.servers.process import ServerProcess
from conformance.servers.venvs import LITELLM, cache_root, ensure

ROUTES = {"chat": "openai/chat_completions/{model}", "responses": "hosted_vllm/{model}"}


class LiteLLMProxy(ServerProcess):
    name = "LiteLLM proxy"
    stop_signal = signal.SIGINT

    def __init__(self, python: Path, upstream_base_url: str, model: str, *, route: str = "chat",
                 log_path: Path | None = None, startup_timeout_s: float = 180.0) -> None:
        logs = cache_root() / "logs"
        super().__init__(log_path or logs / f"litellm-{route}.log", startup_timeout_s=startup_timeout_s)
        self.python, self.upstream, self.route, self.served = python, upstream_base_url, route, model
        self.api_key = "sk-" + secrets.token_hex(16)  # a fresh key per start: nothing to keep secret across runs
        self.config_path = self.log_path.with_name(f"litellm-{route}.config.yaml")
        self.version = LITELLM.version

    @classmethod
    def prepared(cls, upstream_base_url: str, model: str, route: str = "chat", root: Path | None = None) -> LiteLLMProxy:
        return cls(ensure(LITELLM, root), upstream_base_url, model, route=route)

    def command(self) -> list[str]:
        config = {"model_list": [{"model_name": self.served, "litellm_params": {
            "model": ROUTES[self.route].format(model=self.served), "api_base": self.upstream, "api_key": "none"}}]}
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(config, indent=1))  # JSON is YAML
        return [str(self.python.with_name("litellm")), "--config", str(self.config_path),
                "--host", "127.0.0.1", "--port", str(self.port), "--num_workers", "1"]

    def environment(self) -> dict[str, str]:
        return dict(os.environ, LITELLM_MASTER_KEY=self.api_key, LITELLM_LOCAL_MODEL_COST_MAP="True",
                    LITELLM_TELEMETRY="False", NO_COLOR="1")

    def auth(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}
