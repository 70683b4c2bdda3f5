"""Incremental stream state: what the stream checks keep while a stream's events go past once.

A stream check (``registry.stream_check``) judges a ``StreamState``: an object fed each event of one
exchange's stream once, in order, then closed with the parser's framing facts. States are small (counters,
the first violations with their evidence, running text), so judging uses memory flat in the stream's
length. Checks that share a state class share one instance per exchange.

Two ways to fill a state, one set of checks:
* ``state_of(ex, cls)`` feeds it from ``ex.stream`` (live runs, ``judge()``);
* conformance/incremental.py feeds every state from a recording read piece by piece and drops each event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from conformance.sse import ParsedStream, SSEEvent

if TYPE_CHECKING:
    from conformance.exchange import Exchange


class StreamState:
    """Base: applies to a successful stream; subclasses override ``feed`` and ``close``."""

    def __init__(self, ex: Exchange) -> None:
        self.ex = ex
        self.parsed: ParsedStream | None = None

    @classmethod
    def applies(cls, ex: Exchange) -> bool:
        return ex.is_stream and ex.ok

    def feed(self, ev: SSEEvent) -> None:
        """One event, in stream order (every event, JSON or not)."""

    def close(self, parsed: ParsedStream) -> None:
        """The stream ended; ``parsed`` holds the framing facts (its ``events`` may be empty)."""
        self.parsed = parsed


S = TypeVar("S", bound=StreamState)

# The last state built per class, keyed by the ParsedStream it was fed from: the checks sharing a state
# run one after another on the same exchange. One tuple per class, replaced whole, so a reader in another
# thread sees either the old pair or the new one.
_cache: dict[type, tuple[ParsedStream, StreamState]] = {}


def state_of(ex: Exchange, cls: type[S]) -> S | None:
    """The state of ``ex``'s stream for ``cls``, or None when the class does not apply to ``ex``."""
    if not cls.applies(ex):
        return None
    stream = ex.stream
    if stream is None:
        return None
    cached = _cache.get(cls)
    if cached is not None and cached[0] is stream:
        return cached[1]  # type: ignore[return-value]
    state = cls(ex)
    for ev in stream.events:
        state.feed(ev)
    state.close(stream)
    install(stream, state)
    return state


def install(stream: ParsedStream, state: StreamState) -> None:
    """Make ``state`` the one ``state_of`` returns for the exchange whose stream is ``stream``."""
    _cache[type(state)] = (stream, state)
