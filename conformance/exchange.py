"""Recorded HTTP exchanges and scenario transcripts: the only input checks ever see."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conformance.sse import ParsedStream, parse_stream


def now_iso() -> str:
    """UTC now as `2026-01-31T12:00:00Z`: when an exchange was recorded, when a run started."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# The note a live client adds to a stream the server dropped before its end (no deadline, cap or timeout of the
# suite involved): the events before the drop are kept and judged (docs/rules.md#streams-cut-by-the-server).
SERVER_CLOSED_NOTE = "the server closed the stream before its end"


@dataclass
class RecordedRequest:
    method: str
    path: str  # host stripped, e.g. "/v1/responses"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, secrets redacted
    body: Any = None  # parsed JSON, or None
    query: dict[str, str] | None = None

    @property
    def unknown(self) -> bool:
        """A POST recorded without its body: many recorders keep only the response (docs/rules.md#unknown-requests).
        A check that depends on what was asked must not judge it. (A cancel has no body either; no check reads
        one.)"""
        return self.method.upper() == "POST" and self.body is None


@dataclass
class RecordedResponse:
    status: int | None  # None when no response arrived (see Exchange.transport_error)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None  # parsed JSON for non-stream responses, or None
    sse: str | None = None  # the raw text/event-stream body, or None
    text: str | None = None  # the raw body when it was not JSON (e.g. an HTML error page)


@dataclass
class Exchange:
    request: RecordedRequest
    response: RecordedResponse
    label: str = ""  # the step within its scenario ("create", "stream", "retrieve", ...)
    source: str = ""  # the recording file, or the scenario that made it
    recorded_from: str | None = None
    recorded_at: str | None = None  # "YYYY-MM-DDTHH:MM:SSZ" or None
    features: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float | None = None
    event_offsets: list[float] | None = None  # arrival time of each SSE event, seconds since the request
    # Why no complete response arrived: "connect: ...", "timeout: ...", "idle-timeout: ...", or None.
    transport_error: str | None = None
    # A live run's first attempt, when it failed under load and this exchange is its retry sent alone
    # (live/load.py): {"status", "transport_error", "others_in_flight"}. Judged by concurrency.stable-under-load.
    under_load: dict[str, Any] | None = None

    @cached_property
    def stream(self) -> ParsedStream | None:
        if self.response.sse is None:
            return None
        return parse_stream(self.response.sse, self.event_offsets)

    @property
    def is_stream(self) -> bool:
        return self.response.sse is not None

    @property
    def content_type(self) -> str | None:
        return self.response.headers.get("content-type")

    @property
    def method(self) -> str:
        return self.request.method.upper()

    @property
    def status(self) -> int | None:
        return self.response.status

    @property
    def ok(self) -> bool:
        return self.response.status is not None and 200 <= self.response.status < 300


@dataclass
class Transcript:
    """What one scenario run (or one replayed file) produced: its exchanges in order."""

    scenario: str
    exchanges: list[Exchange] = field(default_factory=list)
    # Scenario inputs the behaviour checks need (nonces, requested schema, tool names, ...).
    params: dict[str, Any] = field(default_factory=dict)
    # A scenario-level reason it could not produce its traffic (endpoint down, setup failed).
    error: str | None = None
    trial: int = 0
    # Exchanges another scenario made and owns (a shared resource, live/shared.py), by the label this scenario
    # reads them under. Transcript checks see them through step(); exchange checks judge them in the owner's.
    borrowed: dict[str, Exchange] = field(default_factory=dict)

    def borrow(self, ex: Exchange, label: str | None = None) -> None:
        self.borrowed[label or ex.label] = ex

    def step(self, label: str) -> Exchange | None:
        for ex in self.exchanges:
            if ex.label == label:
                return ex
        return self.borrowed.get(label)

    def steps(self, label: str) -> list[Exchange]:
        own = [ex for ex in self.exchanges if ex.label == label]
        return own or ([self.borrowed[label]] if label in self.borrowed else [])

    def incomplete(self) -> str | None:
        """Why this transcript lacks traffic its checks may need: the scenario's own error, or the first
        exchange (own or borrowed) that never completed."""
        if self.error is not None:
            return self.error
        for ex in [*self.exchanges, *self.borrowed.values()]:
            if ex.transport_error:
                return f"{ex.label or 'an exchange'} did not complete ({ex.transport_error})"
        return None
