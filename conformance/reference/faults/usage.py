"""Faults in usage accounting (checks/usage.py)."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults.base import Fault, on_responses, pair


def _usage_off_by_one(response: dict[str, Any]) -> None:
    if isinstance(response.get("usage"), dict):
        response["usage"]["total_tokens"] += 1


def _no_usage_details(response: dict[str, Any]) -> None:
    if isinstance(response.get("usage"), dict):
        response["usage"].pop("input_tokens_details", None)
        response["usage"].pop("output_tokens_details", None)


FAULTS: list[Fault] = [
    pair("usage-mismatch", "`usage.total_tokens` is one more than input + output.", "synthetic",
         on_responses(_usage_off_by_one)),
    pair("usage-no-details", "`usage` has no `input_tokens_details` or `output_tokens_details`.", "synthetic",
         on_responses(_no_usage_details)),
]
