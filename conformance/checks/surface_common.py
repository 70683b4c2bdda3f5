"""Helpers for the API-surface checks (websocket, compact, input_tokens, conversations, inputs,
concurrency). Registers no check.

Shapes are judged against the pinned openai-python's own models (`model_validate`), the same classes the SDK
parses these answers into, so "the SDK's shape" means exactly what a client would accept.
"""

from __future__ import annotations

from typing import Any

import pydantic

from conformance.exchange import Exchange

SDK = "openai-python 3.51.0"
SDK_DOCS = "https://developers.openai.com/api/reference/resources"


def sdk_problems(model: type[pydantic.BaseModel], obj: Any, limit: int = 5) -> list[str]:
    """Why ``obj`` does not parse as the SDK ``model`` ("path: message"), at most ``limit``; [] when it does."""
    try:
        model.model_validate(obj, strict=True)  # JSON as sent: no "5" for 5, no 1.5 for an int
    except pydantic.ValidationError as exc:
        errors = [e for e in exc.errors() if not _relaxed(e)]
        return [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in errors[:limit]]
    return []


def _relaxed(err: Any) -> bool:
    """The schemas' relaxation overlay, for the SDK models: `cache_write_tokens` may be absent (DESIGN §4)."""
    return err["type"] == "missing" and err["loc"][-1:] == ("cache_write_tokens",)


def events(ex: Exchange | None) -> list[dict[str, Any]]:
    """The JSON objects a stream (or WebSocket turn) carried, in order."""
    if ex is None or ex.stream is None:
        return []
    return [e.json for e in ex.stream.typed()]
