"""Faults that stop an exchange from completing or refuse it for a while (checks/run.py and the run engine)."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.faults.base import Fault, fault
from conformance.reference.hooks import Chunk, Hooks


def _hang_midway(chunks: list[Chunk]) -> list[Chunk]:
    half = max(1, len(chunks) // 2)
    return chunks[:half] + [Chunk("", hang=True)]


class _EveryNth:
    """check_request refusing every `n`th create with 429 and Retry-After (a rate-limited endpoint)."""

    def __init__(self, n: int) -> None:
        self.n, self.count = n, 0

    def __call__(self, body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        self.count += 1
        if self.count % self.n:
            return None
        return ApiError(429, "Rate limit reached for requests. Please try again in 1s.", type="requests",
                        code="rate_limit_exceeded", headers={"Retry-After": "1"})


FAULTS: list[Fault] = [
    Fault("rate-limit-429", "Every fourth create is refused with 429 `rate_limit_exceeded` and `Retry-After: 1`.",
          "seed 003", factory=lambda: Hooks(check_request=_EveryNth(4))),
    fault("stream-idle-hang", "Half-way through, the stream goes silent and the connection stays open.",
          "synthetic", chunks=_hang_midway),
]
