"""Faults of the input_tokens family: POST /v1/responses/input_tokens (checks/input_tokens.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault, on_route, set_key


FAULTS: list[Fault] = [
    fault("input-tokens-constant", "input_tokens always counts 1.", "synthetic",
          reply=on_route("input_tokens", set_key("input_tokens", 1))),
    fault("input-tokens-string", "input_tokens sends the count as a string.", "synthetic",
          reply=on_route("input_tokens", lambda b: b.update(input_tokens=str(b["input_tokens"])))),
]
