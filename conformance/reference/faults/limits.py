"""Faults of the limits family: max_output_tokens (checks/limits.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault, rewrite


FAULTS: list[Fault] = [
    fault("max-output-tokens-ignored", "`max_output_tokens` is dropped.", "synthetic",
          rewrite_request=rewrite(max_output_tokens=lambda v: None)),
]
