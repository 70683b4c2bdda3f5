"""Faults of the compact family: POST /v1/responses/compact (checks/compact.py)."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults.base import Fault, fault, on_route, refuse_input, set_key


def _keep_only_compaction(body: dict[str, Any]) -> None:
    body["output"] = [i for i in body.get("output", []) if i.get("type") == "compaction"]


FAULTS: list[Fault] = [
    fault("compact-object-name", "The compaction answers `object: \"response.compacted\"`.", "synthetic",
          reply=on_route("compact", set_key("object", "response.compacted"))),
    fault("compact-drops-user-messages", "The compacted output holds only the compaction item.", "synthetic",
          reply=on_route("compact", _keep_only_compaction)),
    fault("compaction-input-refused", "Input holding `compaction` items is refused with 400.", "synthetic",
          check_request=refuse_input("compaction", lambda i: i.get("type") == "compaction")),
]
