"""WebSocket mode (`responses.connect`): the upgrade, turns answered on the socket, chaining, `error` events.

The events of every turn are also judged by the stream and schema checks, like an SSE stream's. Facts from
openai-python 3.51.0 (`ResponsesClientEvent`, `ResponsesServerEvent`) and the WebSocket mode guide; what the
socket does after an `error` event is inferred (see docs/api-surface.md).
"""

from __future__ import annotations

from typing import Any

from openai.types.responses.responses_server_event import ResponseWsError

from conformance.checks.common import SDK, events, final_response, has_code_word, output_text, sdk_problems
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Kind, Level, Outcome, error, ok, skip, unsupported, violation

AREA = "websocket"
GUIDE = "https://developers.openai.com/api/docs/guides/websocket-mode"
SCENARIOS = ("websocket.two-turns", "websocket.error-then-continue")


def _socket(t: Transcript) -> dict[str, Any]:
    return (t.params.get("sockets") or {}).get("socket") or {}


def _turn(t: Transcript, label: str) -> dict[str, Any] | None:
    return next((r for r in _socket(t).get("turns", []) if r.get("label") == label), None)


def _upgrade(t: Transcript) -> Outcome | None:
    """None when the socket opened; otherwise the verdict every websocket check gives (the gate)."""
    ex = t.step("socket.connect")
    if ex is None:
        return error("the scenario recorded no WebSocket upgrade")
    if ex.status == 101:
        return None
    if ex.status is None:
        return error(f"WebSocket upgrade: {ex.transport_error or 'no answer'}", step=ex.label)
    if ex.status >= 500:
        return violation(f"the WebSocket upgrade was answered with HTTP {ex.status}", step=ex.label, status=ex.status)
    if ex.status == 403 and ex.response.body is None and not (ex.response.text or "").strip():
        # A bare 403 (no error body) is how a Starlette/uvicorn server with no WebSocket route refuses every upgrade
        # (vLLM 0.32 does: docs/compatibility.md); a refused key comes with an error body, as on the HTTP routes.
        return unsupported("WebSocket mode refused: the upgrade was answered with a bare HTTP 403 (no WebSocket "
                           "route)", step=ex.label, status=ex.status)
    if ex.status in (401, 403, 429):  # says nothing about WebSocket mode itself (as for HTTP steps)
        return error(f"the WebSocket upgrade was answered with HTTP {ex.status}; check the API key, headers and "
                     "rate limits", step=ex.label, status=ex.status)
    return unsupported(f"WebSocket mode refused: the upgrade was answered with HTTP {ex.status}", step=ex.label,
                       status=ex.status)


def _opened(t: Transcript) -> Outcome | None:
    """The gate for every check but websocket.upgrade: a broken upgrade is that check's FAIL, here a SKIP."""
    gate = _upgrade(t)
    if gate is not None and gate.kind is Kind.VIOLATION:
        return skip("the upgrade failed; judged by websocket.upgrade", **dict(gate.evidence))
    return gate


def _first_error(ex: Exchange) -> dict[str, Any] | None:
    return next((e for e in events(ex) if e.get("type") == "error"), None)


def _answered(t: Transcript, label: str, what: str) -> Outcome | None:
    """None when the turn ended with a terminal event; otherwise its verdict (a clean 4xx error event is
    UNSUPPORTED, a close or a 5xx is a violation)."""
    ex, turn = t.step(label), _turn(t, label)
    if ex is None or turn is None:
        return skip(f"no {what} was sent", step=label)
    if ex.transport_error:
        return error(f"{what}: {ex.transport_error}", step=label)
    if turn.get("terminal"):
        return None
    err = _first_error(ex)
    if turn.get("error_event") and err is not None:
        status = err.get("status")
        message = (err.get("error") or {}).get("message") if isinstance(err.get("error"), dict) else None
        if isinstance(status, int) and 400 <= status < 500:
            return unsupported(f"{what} refused with an error event (status {status}: {message})", step=label)
        return violation(f"{what} was answered with an error event (status {status}: {message})", step=label)
    close = turn.get("close")
    if close:
        return violation(f"the server closed the socket (code {close.get('code')}, reason "
                         f"{close.get('reason')!r}) before {what} ended", step=label, close=close)
    return violation(f"{what} got no terminal event", step=label)


@transcript_check(
    id="websocket.upgrade",
    level=Level.MUST,
    requirement="A WebSocket upgrade on /v1/responses (same auth and headers) is accepted with 101, or refused "
                "cleanly with an HTTP 4xx (then WebSocket mode is UNSUPPORTED); never a 5xx.",
    source=f"{GUIDE}; {SDK} responses.connect (wss://…/v1/responses)",
    area=AREA,
    scenarios=SCENARIOS,
)
def upgrade(t: Transcript) -> Outcome | None:
    return _upgrade(t) or ok()


@transcript_check(
    id="websocket.turn-answered",
    level=Level.MUST,
    requirement="On an accepted socket, each valid response.create is answered with stream events up to a "
                "terminal event, without the server closing the socket (e.g. code 1011).",
    source=f"{GUIDE}; {SDK} ResponsesServerEvent; seen: a gateway that accepts the upgrade and closes with 1011",
    area=AREA,
    scenarios=("websocket.two-turns",),
)
def turn_answered(t: Transcript) -> Outcome | None:
    gate = _opened(t) or _answered(t, "turn1", "turn 1")
    if gate:
        return gate
    if _turn(t, "turn2") is not None:
        return _answered(t, "turn2", "turn 2") or ok()
    return ok()


def _judged_elsewhere(outcome: Outcome) -> Outcome:
    """A failed turn is websocket.turn-answered's verdict; later checks SKIP (UNSUPPORTED/ERROR pass through)."""
    if outcome.kind in (Kind.UNSUPPORTED, Kind.ERROR):
        return outcome
    return skip("a turn did not complete; judged by websocket.turn-answered", **dict(outcome.evidence))


@transcript_check(
    id="websocket.chained-turn",
    level=Level.MUST,
    requirement="A second response.create on the same socket with previous_response_id is answered with a new "
                "response whose previous_response_id is the first one's id.",
    source=f"{GUIDE} (continue each turn with previous_response_id)",
    area=AREA,
    scenarios=("websocket.two-turns",),
)
def chained_turn(t: Transcript) -> Outcome | None:
    gate = _opened(t) or _answered(t, "turn1", "turn 1")
    if gate:
        return _judged_elsewhere(gate)
    bad = _answered(t, "turn2", "turn 2 (previous_response_id)")
    if bad:
        return bad if bad.kind is Kind.UNSUPPORTED else _judged_elsewhere(bad)
    first, second = final_response(t.step("turn1")), final_response(t.step("turn2"))
    if not first or not second:
        return violation("a turn ended without a Response in its terminal event", step="turn2")
    if second.get("id") == first.get("id"):
        return violation("turn 2 answered with turn 1's response id", step="turn2", got=second.get("id"))
    if second.get("previous_response_id") != first.get("id"):
        return violation(f"turn 2's previous_response_id is {second.get('previous_response_id')!r}, not turn 1's "
                         f"id {first.get('id')!r}", step="turn2")
    return ok()


@transcript_check(
    id="websocket.chained-recall",
    level=Level.MUST,
    requirement="Turn 2 on the socket, chained with previous_response_id, sees turn 1: the answer carries the "
                "code word planted in turn 1.",
    source=f"{GUIDE}; docs/rules.md#verdicts (nonce checks against silent acceptance)",
    area=AREA,
    scenarios=("websocket.two-turns",),
    model_dependent=True,
)
def chained_recall(t: Transcript) -> Outcome | None:
    gate = _opened(t) or _answered(t, "turn1", "turn 1") or _answered(t, "turn2", "turn 2")
    if gate:
        return _judged_elsewhere(gate)
    text = output_text(final_response(t.step("turn2")))
    return has_code_word(text, t.params["nonce"], "turn2", "turn 2 does not recall")


@transcript_check(
    id="websocket.error-event",
    level=Level.MUST,
    requirement="An invalid response.create on an accepted socket is answered with an `error` event of the SDK's "
                "shape ({type: \"error\", error: {type, message, ...}}, a 4xx status if any), not a close.",
    source=f"{SDK} ResponsesServerEvent (ResponseWsError); {GUIDE}",
    area=AREA,
    scenarios=("websocket.error-then-continue",),
)
def error_event(t: Transcript) -> Outcome | None:
    gate = _opened(t)
    if gate:
        return gate
    ex, turn = t.step("invalid"), _turn(t, "invalid")
    if ex is None or turn is None:
        return error("the scenario sent no invalid response.create")
    if ex.transport_error:
        return error(f"invalid create: {ex.transport_error}", step="invalid")
    err = _first_error(ex)
    if err is None:
        if turn.get("terminal") or events(ex):
            return violation("an invalid response.create (input: 42) was accepted and answered with response "
                             "events", step="invalid")
        close = turn.get("close") or {}
        return violation(f"the socket closed (code {close.get('code')}) instead of sending an error event",
                         step="invalid", close=close)
    problems = sdk_problems(ResponseWsError, err)
    if problems:
        return violation("the error event does not match the SDK's ResponseWsError: " + "; ".join(problems),
                         step="invalid", got=err)
    status = err.get("status")
    if status is not None and not (isinstance(status, int) and 400 <= status < 500):
        return violation(f"the error event for an invalid request has status {status!r}, not a 4xx",
                         step="invalid", got=status)
    return ok()


@transcript_check(
    id="websocket.open-after-error",
    level=Level.SHOULD,
    requirement="After an `error` event for an invalid response.create, the socket stays open and answers the "
                "next valid response.create (inferred: the guide has clients retry on the same connection).",
    source=f"{GUIDE} (on previous_response_not_found, send the next response.create without it); inferred",
    area=AREA,
    scenarios=("websocket.error-then-continue",),
)
def open_after_error(t: Transcript) -> Outcome | None:
    gate = _opened(t)
    if gate:
        return gate
    invalid = t.step("invalid")
    if invalid is None or _first_error(invalid) is None:
        return skip("no error event was sent; judged by websocket.error-event")
    bad = _answered(t, "after-error", "the create after the error event")
    return bad or ok()
