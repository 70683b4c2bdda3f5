"""Faults in how a response is put on the wire: SSE lines, JSON payloads, content types (checks/framing.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault, labelled
from conformance.reference.hooks import Chunk


def _rename_event_line(chunks: list[Chunk]) -> list[Chunk]:
    old = "event: response.output_item.added\n"
    return [Chunk(c.text.replace(old, "event: response.output_item.created\n"), c.delay, c.hang) for c in chunks]


def _corrupt_json(chunks: list[Chunk]) -> list[Chunk]:
    out, done = [], False
    for chunk in chunks:
        if not done and "response.output_item.added" in chunk.text:
            cut = chunk.text.rstrip("\n").rfind("}")  # drop the closing brace of the data line
            chunk = Chunk(chunk.text[:cut] + chunk.text[cut + 1:], chunk.delay)
            done = True
        out.append(chunk)
    return out


def _comments(chunks: list[Chunk]) -> list[Chunk]:
    return [c for chunk in chunks for c in (Chunk(": keep-alive\n\n"), chunk)]


FAULTS: list[Fault] = [
    fault("event-name-mismatch", "`event: response.output_item.created` for `response.output_item.added` "
          "data.", "synthetic", chunks=_rename_event_line),
    fault("invalid-json-data", "The `data:` of `response.output_item.added` is not valid JSON.", "synthetic",
          chunks=_corrupt_json),
    fault("wrong-content-type", "Streams are sent as `application/json`.", "synthetic",
          content_type="application/json"),
    fault("content-type-no-charset", "Streams are sent as `text/event-stream` without a charset.", "synthetic",
          content_type="text/event-stream"),
    fault("sse-comments", "An SSE comment precedes every event; tolerated, no check should fail.", "synthetic",
          chunks=_comments),
    fault("json-text-plain", "Successful JSON bodies are labelled `text/plain`.", "synthetic",
          reply=labelled("text/plain", errors=False)),
    fault("stream-latin1-charset", "Streams are sent as `text/event-stream; charset=iso-8859-1`.", "synthetic",
          content_type="text/event-stream; charset=iso-8859-1"),
]
