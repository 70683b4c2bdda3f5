"""SSE framing exactly as api.openai.com writes it: `event: <type>`, one compact `data:` line, a blank line.
No comments, no `[DONE]`."""

from __future__ import annotations

import json
from typing import Any

from conformance.reference.events import DELTA_TYPES
from conformance.reference.hooks import Chunk

CONTENT_TYPE = "text/event-stream; charset=utf-8"


def encode_data(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def encode_event(event: dict[str, Any]) -> str:
    return f"event: {event.get('type')}\ndata: {encode_data(event)}\n\n"


def to_chunks(events: list[dict[str, Any]], token_delay: float) -> list[Chunk]:
    """One chunk per event; deltas wait `token_delay` first so a slow endpoint can be simulated."""
    return [Chunk(encode_event(e), token_delay if e.get("type") in DELTA_TYPES else 0.0) for e in events]
