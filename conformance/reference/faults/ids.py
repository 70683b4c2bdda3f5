"""Faults in the ids an endpoint returns (checks/ids.py)."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults.base import Fault, on_responses, pair


def _unsafe_response_id(response: dict[str, Any]) -> None:
    if isinstance(response.get("id"), str):
        response["id"] += "\u202e1"  # a right-to-left override: shows one id, is another


def _url_syntax_response_id(response: dict[str, Any]) -> None:
    if isinstance(response.get("id"), str):
        response["id"] += "%2F..%2Fadmin"  # decoded by a proxy before routing, it climbs out of /responses


FAULTS: list[Fault] = [
    pair("response-id-url-syntax", "Response ids carry URL syntax (`%2F..%2F`), which a decoding proxy routes "
         "elsewhere.", "synthetic", on_responses(_url_syntax_response_id)),
    pair("response-id-not-ascii", "Response ids carry a right-to-left override character (not printable ASCII).",
         "synthetic", on_responses(_unsafe_response_id)),
]
