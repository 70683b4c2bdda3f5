"""Where the suite sends traffic: one Target per endpoint, from CLI options, environment or a TOML file.

API keys are never written into targets files: a file names an environment variable (`api_key_env`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MAX_OUTPUT_TOKENS = 64


class TargetError(ValueError):
    """A target configuration that cannot be used. The message says what to fix."""


@dataclass
class Target:
    name: str
    base_url: str  # up to and including the API version, e.g. "http://127.0.0.1:8000/v1"
    api_key: str | None = None
    model: str | None = None  # None: discovered from GET /models
    headers: dict[str, str] = field(default_factory=dict)  # extra headers, e.g. a gateway's routing header
    # Header that carries the key: "Authorization" sends "Bearer KEY"; any other name sends the bare key;
    # "none" sends no auth at all.
    auth_header: str = "Authorization"
    request_timeout_s: float = 60.0  # the whole exchange, stream included
    connect_timeout_s: float = 10.0
    idle_timeout_s: float = 30.0  # longest silence allowed inside a response or stream
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS  # every generation request is bounded
    trials: int = 1  # runs of each model-dependent scenario (pass@k / FLAKY)
    server: str | None = None  # what answers, with its version ("vLLM 0.32.0"): the matrix's header row

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise TargetError(f"target {self.name!r}: base URL {self.base_url!r} must start with http:// or https://")
        if self.trials < 1:
            raise TargetError(f"target {self.name!r}: trials must be at least 1")
        if self.max_output_tokens < 1:
            raise TargetError(f"target {self.name!r}: max_output_tokens must be at least 1")
        for v in (self.request_timeout_s, self.connect_timeout_s, self.idle_timeout_s):
            if v <= 0:
                raise TargetError(f"target {self.name!r}: timeouts must be positive")

    def auth_headers(self) -> dict[str, str]:
        if not self.api_key or self.auth_header.lower() == "none":
            return {}
        if self.auth_header.lower() == "authorization":
            return {"Authorization": f"Bearer {self.api_key}"}
        return {self.auth_header: self.api_key}

    def describe(self) -> dict[str, Any]:
        """What reports may say about the target (never the key)."""
        out: dict[str, Any] = {"name": self.name, "base_url": self.base_url, "model": self.model}
        if self.server:
            out["server"] = self.server
        return out


def parse_header(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        raise TargetError(f"header {raw!r} must look like 'Name: value'")
    return name.strip(), value.strip()


def load_targets_file(path: str | Path) -> list[Target]:
    """Read a TOML file with one ``[targets.NAME]`` table per endpoint."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"{p}: invalid TOML ({exc})") from None
    tables = data.get("targets")
    if not isinstance(tables, dict) or not tables:
        raise TargetError(f"{p}: needs at least one [targets.NAME] table")
    known = {
        "base_url", "api_key_env", "model", "headers", "auth_header", "request_timeout_s",
        "connect_timeout_s", "idle_timeout_s", "max_output_tokens", "trials",
        "server",
    }
    out = []
    for name, t in tables.items():
        if not isinstance(t, dict):
            raise TargetError(f"{p}: [targets.{name}] must be a table")
        unknown = set(t) - known
        if "api_key" in unknown:
            raise TargetError(f"{p}: [targets.{name}] must not hold a key; name its variable with api_key_env")
        if unknown:
            raise TargetError(f"{p}: [targets.{name}] has unknown keys {sorted(unknown)}; known: {sorted(known)}")
        if "base_url" not in t:
            raise TargetError(f"{p}: [targets.{name}] needs base_url")
        key_env = t.get("api_key_env")
        kwargs = {k: v for k, v in t.items() if k not in ("api_key_env",)}
        try:
            out.append(Target(name=name, api_key=os.environ.get(key_env) if key_env else None, **kwargs))
        except TypeError as exc:
            raise TargetError(f"{p}: [targets.{name}]: {exc}") from None
    return out
