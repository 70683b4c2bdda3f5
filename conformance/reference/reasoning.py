"""Reasoning items as this server writes them and takes them back (docs/reference-server.md#reasoning).

Like gpt-oss behind TensorRT-LLM or vLLM, the reference model's reasoning is readable `reasoning_text` content;
a summary is added when `reasoning.summary` asks for one. `encrypted_content` (sent when `include` asks for
`reasoning.encrypted_content`) is this server's marked base64 JSON of the item's text, so a stateless client
can pass the item back and the server can tell its own items from forged ones.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from conformance.reference import errors
from conformance.reference.errors import ApiError
from conformance.reference.ids import new_id

ENCRYPTED_PREFIX = "refrs1:"


def reasoning_text(user: str, calls: list[str]) -> str:
    """What the model thinks before it answers: deterministic, and readable."""
    asked = " ".join(user.split()) or "nothing"
    plan = f"call {', '.join(calls)}" if calls else "answer"
    return f"The user wrote: {asked} I will {plan} now."


def summary_text(user: str) -> str:
    return "Answering the latest message directly." if user else "Greeting the user."


def encrypt(content: list[dict[str, Any]], summary: list[dict[str, Any]]) -> str:
    packed = json.dumps({"content": content, "summary": summary}, separators=(",", ":")).encode()
    return ENCRYPTED_PREFIX + base64.b64encode(packed).decode()


def decrypts(value: str) -> bool:
    """Whether `value` is an encrypted_content this server wrote."""
    if not value.startswith(ENCRYPTED_PREFIX):
        return False
    try:
        return isinstance(json.loads(base64.b64decode(value[len(ENCRYPTED_PREFIX):], validate=True)), dict)
    except ValueError:
        return False


def reasoning_input(item: dict[str, Any], path: str) -> dict[str, Any]:
    """A reasoning item passed back as input: `summary` is required; `encrypted_content`, when present,
    must be one this server wrote (OpenAI refuses content it cannot verify)."""
    summary = item.get("summary")
    if summary is None:
        raise errors.missing(f"{path}.summary")
    if not isinstance(summary, list):
        raise errors.invalid_type(f"{path}.summary", "an array", summary)
    sealed = item.get("encrypted_content")
    if sealed is not None and not (isinstance(sealed, str) and decrypts(sealed)):
        raise ApiError(400, f"The encrypted content for '{path}' could not be verified.",
                       param=f"{path}.encrypted_content", code="invalid_encrypted_content")
    out: dict[str, Any] = {"id": item.get("id") or new_id("rs"), "type": "reasoning", "summary": summary}
    if isinstance(item.get("content"), list):
        out["content"] = item["content"]
    if sealed is not None:
        out["encrypted_content"] = sealed
    return out
