"""How many requests the run keeps in flight, adapted to the endpoint as TCP adapts its window (AIMD).

The engine runs up to --concurrency scenarios at once, but a busy endpoint (one llama.cpp slot, a server that
breaks under load) answers a burst with timeouts, 429s or 5xx. Each request takes a slot before it is sent:
a request that ended well adds 1/limit to the limit (additive increase, about +1 per round of requests), one that
timed out, was rate limited or failed with a 5xx while others were in flight halves it (multiplicative
decrease, at most once per round: only requests sent after the last cut may cut again). The limit never goes
below 1 nor above --concurrency.

A request that failed under load (5xx, a broken stream, a refused connection, a timeout, with others in
flight) is sent again alone, with nothing else in flight, so the verdicts do not depend on the run's own
concurrency; the failed attempt is kept on the retry (`Exchange.under_load`) for concurrency.stable-under-load
to judge (a timeout under load is slowness, not a fault: the run's notes count them instead).
Requests sent together on purpose (the concurrency family) go beyond the limit and are never retried.

Every wait here is bounded: past `wait_s` a request is sent anyway.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from conformance.exchange import Exchange

TIMEOUT_STORM = 3  # this many timed-out requests in a run earn a note saying what to try


@dataclass
class Ticket:
    seq: int
    others: int  # the most other requests in flight at any moment while this one was


class Load:
    def __init__(self, limit: int | None = None, wait_s: float = 600.0) -> None:
        self.max = limit  # None: no limit, no adaptation, no retry (a client used on its own)
        self.limit = float(limit or 1)
        self.wait_s = wait_s
        self.lowest = limit
        self.cuts = 0  # multiplicative decreases
        self.retried = 0  # requests retried alone
        self._cond = threading.Condition()
        self._active: list[Ticket] = []
        self._seq = 0
        self._cut_at = 0  # sequence number when the limit was last cut
        self._draining = 0  # requests waiting to be sent alone: nothing new starts meanwhile
        self._alone = False

    def adapt(self, limit: int, wait_s: float) -> None:
        """Start adapting between 1 and `limit` requests in flight (the engine calls this)."""
        with self._cond:
            self.max, self.limit, self.lowest, self.wait_s = limit, float(limit), limit, wait_s

    @property
    def adapting(self) -> bool:
        return self.max is not None

    def enter(self, together: bool = False) -> Ticket:
        """Take a slot (bounded wait). `together`: sent at once with others on purpose, beyond the limit (it
        still waits while a request is sent alone)."""
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            while self.adapting and (self._alone or self._draining
                                     or (not together and len(self._active) >= int(self.limit))):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 1.0))
            return self._start()

    def _start(self) -> Ticket:
        self._seq += 1
        ticket = Ticket(self._seq, len(self._active))
        for t in self._active:
            t.others = max(t.others, len(self._active))
        self._active.append(ticket)
        return ticket

    def may_retry_alone(self, ticket: Ticket, together: bool = False) -> bool:
        """Whether a request that failed may be sent again alone: the limit adapts, others were in flight with
        it, and it was not one of requests sent at once on purpose. (What counts as failing is the tier's.)"""
        return self.adapting and bool(ticket.others) and not together

    def leave(self, ticket: Ticket, congested: bool) -> int:
        """Give the slot back and adapt the limit; returns how many others were in flight with it."""
        with self._cond:
            self._active.remove(ticket)
            if self.max is not None:
                if congested and ticket.others and ticket.seq > self._cut_at:
                    self.limit = max(1.0, self.limit / 2)
                    self._cut_at = self._seq
                    self.cuts += 1
                    self.lowest = min(self.lowest or self.max, int(self.limit))
                elif not congested:
                    self.limit = min(float(self.max), self.limit + 1 / self.limit)
            self._cond.notify_all()
            return ticket.others

    def notes(self, exchanges: list[Exchange]) -> list[str]:
        """What the report says about the run's load: a storm of timeouts and what to try, the limit's cuts, the
        retries alone. `exchanges`: every attempt the run sent (the client's record)."""
        out = []
        late = [ex for ex in exchanges if timed_out(ex)]
        if len(late) >= TIMEOUT_STORM:
            out.append(f"{len(late)} requests timed out: the endpoint may serve one request at a time (one slot) "
                       "or be overloaded; try --concurrency 1, or a longer --request-timeout / --idle-timeout")
        if self.cuts and self.max is not None:
            out.append(f"the engine lowered its requests in flight from {self.max} to {self.lowest} after timeouts, "
                       "429s or 5xx under load (additive increase, multiplicative decrease)")
        if self.retried:
            out.append(f"{self.retried} request(s) that failed or timed out with others in flight were sent again "
                       "alone, and their scenarios judged on that retry (see concurrency.stable-under-load)")
        return out

    @contextmanager
    def alone(self) -> Iterator[Ticket]:
        """A slot with nothing else in flight: new requests wait, those in flight end (each is bounded)."""
        ticket = self.enter_alone()
        try:
            yield ticket
        finally:
            self.leave_alone(ticket)

    def enter_alone(self, retry: bool = True) -> Ticket:
        """`alone()`'s first half, for callers that cannot hold a context manager across threads (the async tier
        waits for it in a worker thread, so its event loop never blocks). `retry`: a request sent again alone,
        counted for the run's notes; a scenario that times its requests takes the run alone too (retry=False)."""
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            self._draining += 1
            try:
                while (self._active or self._alone) and time.monotonic() < deadline:
                    self._cond.wait(min(max(deadline - time.monotonic(), 0.0), 1.0))
            finally:
                self._draining -= 1
            self._alone = True
            self.retried += retry
            return self._start()

    def leave_alone(self, ticket: Ticket) -> None:
        with self._cond:
            self._active.remove(ticket)
            self._alone = False
            self._cond.notify_all()


def congested(ex: Exchange) -> bool:
    """An answer that says the endpoint is overloaded: a timeout, 429, 5xx or a broken connection."""
    return (ex.response.status == 429 or (ex.response.status or 0) >= 500
            or timed_out(ex) or broke(ex))


def broke(ex: Exchange) -> bool:
    """A failure a retry alone may undo: a 5xx, a stream or connection that broke, a refused connection."""
    return (ex.response.status or 0) >= 500 or (ex.transport_error or "").startswith(
        ("the stream broke off", "connection lost", "protocol error", "connect failed"))


def timed_out(ex: Exchange) -> bool:
    """No complete answer in time: under load, a queue at the endpoint (one slot) more often than a fault."""
    return (ex.transport_error or "").startswith(("timeout", "idle-timeout"))


def attempt_record(ex: Exchange, others: int) -> dict[str, object]:
    """What the failed attempt under load was, kept on its retry (bounded: no body)."""
    return {"status": ex.response.status, "transport_error": ex.transport_error, "others_in_flight": others}
