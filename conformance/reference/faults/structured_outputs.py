"""Faults of the structured_outputs family (checks/structured_outputs.py)."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.reference.faults.base import Fault, fault


def _ignore_ref_schemas(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if isinstance(fmt, dict) and isinstance(fmt.get("schema"), dict) and "$defs" in fmt["schema"]:
        return {**body, "text": {**body["text"], "format": {"type": "text"}}}
    return body


FAULTS: list[Fault] = [
    fault("schema-defs-ignored", "A json_schema using `$defs` is accepted and ignored: the answer is plain text.",
          "synthetic", rewrite_request=_ignore_ref_schemas),
]
