"""Run-wide rate limiting: one gate shared by every thread of a run (and by the SDK tier).

A 429 (or a 503 with Retry-After) pauses every request of the run, not just the one retried, so concurrency
never turns into a 429 storm. A budget bounds the whole run: a cap on one Retry-After, on the total time paused
and on rate-limit answers in a row. Past it, the answer is final and the exchange says why (one ERROR naming the
rate limit), instead of the run waiting forever on an endpoint that always says "later".
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import threading
import time
from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class RateBudget:
    max_retry_after_s: float = 10.0  # a longer Retry-After is not waited for
    max_total_wait_s: float = 30.0  # total pause of the run
    max_in_a_row: int = 5  # rate-limit answers in a row, run-wide
    max_retries: int = 3  # retries of one request


def parse_retry_after(value: str | None, now: _dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After value (RFC 9110 §10.2.3: delta-seconds or an HTTP-date), None if invalid."""
    if value is None:
        return None
    v = value.strip()
    if v.isascii() and v.isdigit():
        return float(v) if len(v) <= 9 else float("inf")
    if not v.endswith(" GMT") or len(v) > 40:
        return None
    try:
        when = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RateGate:
    def __init__(self, budget: RateBudget | None = None) -> None:
        self.budget = budget or RateBudget()
        self._lock = threading.Lock()
        self._pause_until = 0.0
        self.waited_s = 0.0
        self._in_a_row = 0

    def wait(self) -> None:
        """Block while the run is paused (every request calls this before it is sent)."""
        while True:
            with self._lock:
                remaining = self._pause_until - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, 0.5))

    def answer(self, status: int | None, headers: Mapping[str, str], attempt: int) -> tuple[float | None, str | None]:
        """After an answer to the ``attempt``-th try: (seconds paused, None) to retry; (None, reason) when a rate
        limit is final; (None, None) when the answer is not a rate limit."""
        if status not in (429, 503):
            with self._lock:
                self._in_a_row = 0
            return None, None
        raw = headers.get("retry-after")
        wait = parse_retry_after(raw)
        if wait is None:
            if status == 503:
                return None, None  # an outage that names no time is judged as it is
            wait = 1.0  # a 429 without a (valid) Retry-After: a short pause
        said = f"HTTP {status}" + (f" with Retry-After {raw[:40]!r}" if raw is not None else "")
        b = self.budget
        with self._lock:
            self._in_a_row += 1
            if wait > b.max_retry_after_s:
                return None, f"rate limited: {said}, longer than the {b.max_retry_after_s:g}s the suite waits"
            if attempt >= b.max_retries:
                return None, f"rate limited: {said} after {attempt} retries of this request"
            if self._in_a_row > b.max_in_a_row:
                return None, f"rate limited: {said}; {self._in_a_row} rate-limit answers in a row, retry budget spent"
            now = time.monotonic()
            until = max(self._pause_until, now + wait)
            extra = until - max(self._pause_until, now)
            if self.waited_s + extra > b.max_total_wait_s:
                return None, f"rate limited: {said}; the run already waited {self.waited_s:.0f}s of its " \
                             f"{b.max_total_wait_s:g}s retry budget"
            self.waited_s += extra
            self._pause_until = until
            return wait, None
