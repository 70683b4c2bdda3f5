"""Compaction items: what `POST /v1/responses/compact` returns and a later create takes back as input.

OpenAI's `encrypted_content` is opaque; this server's is its own marked base64 JSON of the compacted items,
so a later turn (and the reference model) can see them again.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from conformance.reference.ids import new_id

COMPACTION_PREFIX = "refcmp1:"
MODEL_ID = "reference-echo"  # the compacting model (request.MODEL_ID; not imported: request imports this module)


def compaction_item(items: list[dict[str, Any]]) -> dict[str, Any]:
    """One `compaction` item carrying `items` (this server's own opaque encoding)."""
    packed = base64.b64encode(json.dumps(items, separators=(",", ":")).encode()).decode()
    return {"id": new_id("cmp"), "type": "compaction", "encrypted_content": COMPACTION_PREFIX + packed,
            "created_by": MODEL_ID}


def compacted_items(content: str) -> list[dict[str, Any]] | None:
    """The items a compaction item carries, or None when this server did not write it."""
    if not content.startswith(COMPACTION_PREFIX):
        return None
    try:
        items = json.loads(base64.b64decode(content[len(COMPACTION_PREFIX):], validate=True))
    except ValueError:
        return None
    return items if isinstance(items, list) and all(isinstance(i, dict) for i in items) else None
