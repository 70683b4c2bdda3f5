"""Faults of the background family: background mode, cancel, resumed streams (checks/background.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault, rewrite
from conformance.reference.hooks import Chunk, Hooks, Reply


def _cancel_in_progress(reply: Reply) -> Reply:
    if reply.route != "cancel" or reply.status != 200 or not isinstance(reply.body, dict):
        return reply
    return Reply(reply.route, reply.status, {**reply.body, "status": "in_progress"}, reply.headers, reply.subject)


class _NoRepeats:
    """chunks hook leaving out every chunk already written once (a resumed stream skips what was sent)."""

    def __init__(self) -> None:
        self.sent: set[str] = set()

    def __call__(self, chunks: list[Chunk]) -> list[Chunk]:
        out = [c for c in chunks if c.text not in self.sent]
        self.sent.update(c.text for c in chunks)
        return out


FAULTS: list[Fault] = [
    fault("background-ignored", "`background: true` runs in the foreground.", "synthetic",
          rewrite_request=rewrite(background=lambda v: None)),
    fault("cancel-says-in-progress", "The cancel endpoint answers `status: in_progress` whatever the response's "
          "state.", "synthetic", reply=_cancel_in_progress),
    Fault("resume-skips-sent-events", "A resumed background stream leaves out the events already sent on the "
          "original stream.", "synthetic", factory=lambda: Hooks(chunks=_NoRepeats())),
]
