"""Faults of the async SDK tier (checks/async_sdk.py): what async clients meet and sync ones rarely do, keep-alive
connections shared by concurrent streams, and streams their consumer leaves half-way."""

from __future__ import annotations

from typing import Any

from conformance.reference.hooks import Chunk, ConnectionPolicy, Hooks
from conformance.reference.faults.base import Fault

ABANDON_BLOCK_S = 20.0  # far past the 5 s the async tier allows the request after an abandoned stream
STALL_AFTER_FIRST_DELTA_S = 0.5  # so the consumer that leaves at the first delta leaves a stream still going


class _Crossing:
    """Streams that overlap another streamed create swap their second halves: each ends with the other's
    events, its terminal event included (a server whose slots write to the wrong connection)."""

    def __init__(self) -> None:
        self.overlapping = False  # set by the overlap hook, read by the chunks hook of the same create
        self.partners: set[int] = set()  # streamed creates that overlapped one already served (by body identity)
        self.previous: list[Chunk] | None = None

    def overlap(self, body: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
        # No await separates this hook from the same create's chunks hook (app.py), so the flag is this create's.
        siblings = [o for o in others if o.get("stream") and o.get("instructions") == body.get("instructions")]
        self.overlapping = bool(body.get("stream")) and not body.get("background") and (
            bool(siblings) or id(body) in self.partners)
        self.partners.discard(id(body))
        if self.overlapping:
            self.partners.update(id(o) for o in siblings)  # the last of a batch sees no one left in flight
        return body

    def chunks(self, chunks: list[Chunk]) -> list[Chunk]:
        if not self.overlapping:
            return chunks
        self.overlapping = False
        previous, self.previous = self.previous, chunks
        if previous is None:
            return chunks
        return chunks[:len(chunks) // 2] + previous[len(previous) // 2:]


def _crossing() -> Hooks:
    state = _Crossing()
    return Hooks(overlap=state.overlap, chunks=state.chunks)


def _stall_after_first_delta(chunks: list[Chunk]) -> list[Chunk]:
    out, stalled = [], False
    for chunk in chunks:
        if not stalled and chunk.text.startswith("event: response.output_text.delta"):
            out.append(chunk)
            out.append(Chunk("", delay=STALL_AFTER_FIRST_DELTA_S))
            stalled = True
        else:
            out.append(chunk)
    return out


FAULTS: list[Fault] = [
    Fault("keepalive-dropped", "A connection that answered a request is kept open (no Connection: close), then "
          "closed unanswered when the client sends the next request on it.", "synthetic",
          Hooks(connection=ConnectionPolicy(drop_reused=True))),
    Fault("parallel-streams-crossed", "Streams sent at once swap their second halves: each ends with another "
          "stream's events and terminal event.", "synthetic", factory=_crossing),
    Fault("abandoned-stream-blocks", f"A stream its client leaves before the end keeps the server busy for "
          f"{ABANDON_BLOCK_S:g} s: every create arriving meanwhile waits (streams also pause "
          f"{STALL_AFTER_FIRST_DELTA_S:g} s after their first text delta).", "synthetic",
          Hooks(connection=ConnectionPolicy(abandoned_blocks_s=ABANDON_BLOCK_S), chunks=_stall_after_first_delta)),
]
