"""What an exchange says, read without judging: its Response object, its id, its output text.

Shared by scenarios (which chain requests on these) and checks (which judge them), so neither imports the other.
"""

from __future__ import annotations

from typing import Any

from conformance.exchange import Exchange


WEBSOCKET = "websocket"  # the feature tag of exchanges recorded from a WebSocket (conformance/live/websocket.py)


def is_websocket(ex: Exchange) -> bool:
    """A WebSocket upgrade or turn: its events are judged like a stream's, but SSE framing and HTTP error-body
    rules do not apply to it."""
    return WEBSOCKET in ex.features


def response_id(ex: Exchange) -> str | None:
    """The response id from a JSON body, or from the first stream event that carries one."""
    body = ex.response.body
    if isinstance(body, dict) and isinstance(body.get("id"), str) and body.get("object") == "response":
        return body["id"]
    if ex.stream is not None:
        for ev in ex.stream.typed():
            r = ev.json.get("response")
            if isinstance(r, dict) and isinstance(r.get("id"), str):
                return r["id"]
    return None


def final_response(ex: Exchange) -> dict[str, Any] | None:
    """The Response object an exchange ended with: the JSON body, or the terminal event's response."""
    body = ex.response.body
    if isinstance(body, dict) and body.get("object") == "response":
        return body
    if ex.stream is not None:
        for ev in reversed(ex.stream.typed()):
            if ev.type in ("response.completed", "response.incomplete", "response.failed"):
                r = ev.json.get("response")
                return r if isinstance(r, dict) else None
    return None


def output_text(resp: dict[str, Any] | None) -> str:
    """All output_text of a Response object, concatenated (what the SDK's `output_text` gives)."""
    if not resp:
        return ""
    parts = []
    for item in resp.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "message":
            for c in item.get("content") or []:
                if isinstance(c, dict) and c.get("type") == "output_text" and isinstance(c.get("text"), str):
                    parts.append(c["text"])
    return "".join(parts)
