"""Faults of the metadata family (checks/metadata.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, on_responses, pair, set_field


FAULTS: list[Fault] = [
    pair("metadata-null", "Responses carry `metadata: null` whatever was sent.", "synthetic",
         on_responses(set_field("metadata", None))),
]
