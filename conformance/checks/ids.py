"""Ids: what the endpoint returns as an id must be safe to put into a URL.

A client builds GET/DELETE /responses/{id}, /responses/{id}/cancel and list cursors (`after`) from ids the
endpoint returned. An id with control characters, spaces, non-ASCII or URL syntax is refused by the suite (never
sent: live/paths.py) and judged here, on the exchange that returned it. Length is no rule (docs/rules.md#ids).
"""

from __future__ import annotations

from typing import Any, Iterator

from conformance.exchange import Exchange
from conformance.idsafe import id_problem, shorten
from conformance.registry import exchange_check
from conformance.sse import SSEEvent
from conformance.streamstate import StreamState, state_of
from conformance.verdicts import Level, Outcome, ok, violation

AREA = "ids"


def _body_ids(ex: Exchange) -> Iterator[tuple[str, Any]]:
    """(where, id) for the response ids and item ids a JSON body carries."""
    body = ex.response.body
    if isinstance(body, dict):
        if body.get("object") == "response" and "id" in body:
            yield "id", body["id"]
        if body.get("object") == "list" and isinstance(body.get("data"), list):
            for i, item in enumerate(body["data"]):
                if isinstance(item, dict) and "id" in item:
                    yield f"data[{i}].id", item["id"]


class IdsState(StreamState):
    """The response ids a stream's events carry: whether any was seen, and the first that is not URL-safe."""

    def __init__(self, ex: Exchange) -> None:
        super().__init__(ex)
        self.seen = False
        self.first_bad: tuple[str, Any, str] | None = None  # (where, id, problem)

    def feed(self, ev: SSEEvent) -> None:
        resp = ev.json.get("response") if isinstance(ev.json, dict) else None
        if isinstance(resp, dict) and "id" in resp:
            self.seen = True
            problem = id_problem(resp["id"])
            if problem and self.first_bad is None:
                self.first_bad = (f"event {ev.index} ({ev.type}) response.id", resp["id"], problem)


@exchange_check(
    id="ids.url-safe",
    level=Level.MUST,
    requirement="Response and item ids are non-empty printable ASCII strings without URL syntax (`/`, `\\`, `?`, "
                "`#`, `%`, dot segments), so a client can put them into a URL as they are.",
    source="https://platform.openai.com/docs/api-reference/responses/get (ids go into the path); "
           "RFC 3986 §3.3; docs/rules.md#ids; docs/hostile.md",
    area=AREA,
    state=IdsState,
)
def url_safe(ex: Exchange) -> Outcome | None:
    if not ex.ok:
        return None
    found: list[tuple[str, Any, str]] = []
    seen = False
    if ex.is_stream:
        st = state_of(ex, IdsState)
        seen = bool(st and st.seen)
        if st and st.first_bad:
            found.append(st.first_bad)
    for where, value in _body_ids(ex):
        seen = True
        problem = id_problem(value)
        if problem:
            found.append((where, value, problem))
    if found:
        where, value, problem = found[0]
        return violation(f"the {where} {shorten(value)} cannot go into a URL: {problem}", where=where,
                         got=shorten(value, 200))
    return ok() if seen else None
