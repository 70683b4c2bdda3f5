"""Caps on what one exchange may bring in: wire bytes, decoded bytes (a gzip bomb), SSE events, bytes per event,
line length. Reaching a cap is the suite's decision, not the endpoint's fault: the reader stops, and the exchange
records the reason in ``transport_error`` so it is one ERROR and no check judges the cut body.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-exchange caps. The defaults are far above any genuine answer to the suite's bounded requests."""

    max_wire_bytes: int = 8 * MIB
    max_decoded_bytes: int = 8 * MIB
    max_events: int = 10_000
    max_event_bytes: int = 1 * MIB
    max_line_bytes: int = 1 * MIB


class CapReached(Exception):
    """A per-exchange cap was reached; the message is the reason recorded on the exchange."""


# Content codings the suite asks for (Accept-Encoding) and can decode with a bound on the output.
ACCEPT_ENCODING = "gzip, deflate"


class Meter:
    """Counts one response body as it arrives; ``feed`` returns the decoded bytes or raises CapReached.

    Decoding happens here, not in httpx, because httpx inflates a whole network chunk at once with no bound
    (64 KiB of gzip can inflate to 64 MiB).
    """

    def __init__(self, limits: Limits, content_encoding: str | None, sse: bool) -> None:
        self.limits = limits
        self.sse = sse
        self.wire = 0
        self.decoded = 0
        self.events = 0  # event blocks ended by a blank line (comment-only blocks count too)
        self.boundary = 0  # decoded offset just after the last blank line
        self._line = 0  # bytes since the last line end
        self._tail = b""
        coding = (content_encoding or "").strip().lower()
        if coding in ("", "identity"):
            self._z: zlib._Decompress | None = None
        elif coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise CapReached(f"the body is encoded as {coding[:40]!r}, which the suite did not accept "
                             f"(Accept-Encoding: {ACCEPT_ENCODING})")
        self._coding = coding

    def feed(self, raw: bytes) -> bytes:
        self.wire += len(raw)
        if self.wire > self.limits.max_wire_bytes:
            raise CapReached(f"the body exceeded {self.limits.max_wire_bytes} bytes")
        return self._count(self._inflate(raw))

    def flush(self) -> bytes:
        if self._z is None:
            return b""
        return self._count(self._inflate(b""))

    def _inflate(self, raw: bytes) -> bytes:
        if self._z is None:
            return raw
        room = self.limits.max_decoded_bytes - self.decoded
        try:
            # max_length bounds the output of this one call; input beyond it waits in unconsumed_tail.
            out = self._z.decompress(self._z.unconsumed_tail + raw, room + 1)
        except zlib.error as exc:
            raise CapReached(f"the {self._coding} body could not be decoded ({exc})") from None
        if len(out) > room or self._z.unconsumed_tail:
            raise CapReached(f"the body decoded to more than {self.limits.max_decoded_bytes} bytes")
        return out

    def _count(self, data: bytes) -> bytes:
        start = self.decoded
        self.decoded += len(data)
        if self.decoded > self.limits.max_decoded_bytes:
            raise CapReached(f"the body exceeded {self.limits.max_decoded_bytes} bytes")
        if not data or not self.sse:
            return data  # a JSON body is one line as often as not: lines and events are stream caps
        last_nl = max(data.rfind(b"\n"), data.rfind(b"\r"))
        self._line = len(data) - last_nl - 1 if last_nl >= 0 else self._line + len(data)
        if self._line > self.limits.max_line_bytes:
            raise CapReached(f"a line exceeded {self.limits.max_line_bytes} bytes")
        self._count_events(data, start)
        return data

    def _count_events(self, data: bytes, start: int) -> None:
        text = self._tail + data
        base = start - len(self._tail)
        # Blank lines end events; bytes.count is cheap where a per-line loop is not (a 3-byte tail catches a
        # boundary split across two reads, and is not counted twice because only new ends are counted).
        for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
            self.events += text.count(sep) - self._tail.count(sep)
            at = text.rfind(sep)
            if at >= 0:
                self.boundary = max(self.boundary, base + at + len(sep))
        self._tail = text[-3:]
        if self.events > self.limits.max_events:
            raise CapReached(f"the stream exceeded {self.limits.max_events} events")
        if start + len(data) - self.boundary > self.limits.max_event_bytes:
            raise CapReached(f"an event exceeded {self.limits.max_event_bytes} bytes")
