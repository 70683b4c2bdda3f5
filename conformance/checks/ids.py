"""Ids: what the endpoint returns as an id must be safe to put into a URL.

A client builds GET/DELETE /responses/{id}, /responses/{id}/cancel and list cursors (`after`) from ids the
endpoint returned. An id with control characters, spaces or non-ASCII, or one of absurd length, is refused by
the suite (never sent: live/paths.py) and judged here, on the exchange that returned it.
"""

from __future__ import annotations

from typing import Any, Iterator

from conformance.exchange import Exchange
from conformance.live.paths import MAX_ID_CHARS, id_problem, shorten
from conformance.registry import exchange_check
from conformance.verdicts import Level, Outcome, ok, violation

AREA = "ids"


def _ids(ex: Exchange) -> Iterator[tuple[str, Any]]:
    """(where, id) for the response ids and item ids an exchange carries."""
    body = ex.response.body
    if isinstance(body, dict):
        if body.get("object") == "response" and "id" in body:
            yield "id", body["id"]
        if body.get("object") == "list" and isinstance(body.get("data"), list):
            for i, item in enumerate(body["data"]):
                if isinstance(item, dict) and "id" in item:
                    yield f"data[{i}].id", item["id"]
    if ex.stream is not None:
        for ev in ex.stream.typed():
            resp = ev.json.get("response")
            if isinstance(resp, dict) and "id" in resp:
                yield f"event {ev.index} ({ev.type}) response.id", resp["id"]


@exchange_check(
    id="ids.url-safe",
    level=Level.MUST,
    requirement=f"Response and item ids are non-empty printable ASCII strings of at most {MAX_ID_CHARS} "
                "characters, so a client can put them into a URL.",
    source="https://platform.openai.com/docs/api-reference/responses/get (ids go into the path); "
           "RFC 3986 §3.3; docs/hostile.md",
    area=AREA,
)
def url_safe(ex: Exchange) -> Outcome | None:
    if not ex.ok:
        return None
    seen = False
    for where, value in _ids(ex):
        seen = True
        problem = id_problem(value)
        if problem:
            return violation(f"the {where} {shorten(value)} cannot go into a URL: {problem}", where=where,
                             got=shorten(value, 200))
    return ok() if seen else None
