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
from conformance.verdicts import Kind, Level, Outcome, error, ok, skip, unsupported, violation, warn

AREA = "websocket"
GUIDE = "https://developers.openai.com/api/docs/guides/websocket-mode"
SCENARIOS = ("websocket.two-turns", "websocket.error-then-continue", "websocket.not-found",
             "websocket.unstored-chain", "websocket.failed-continuation", "websocket.after-compact")
NOT_FOUND = "previous_response_not_found"


def _turn(t: Transcript, label: str) -> dict[str, Any] | None:
    """The socket log of the turn ``label`` (labels are unique across a scenario's sockets)."""
    sockets = (t.params.get("sockets") or {}).values()
    return next((r for s in sockets for r in s.get("turns", []) if r.get("label") == label), None)


def _upgrade(t: Transcript, socket: str = "socket") -> Outcome | None:
    """None when the socket opened; otherwise the verdict every websocket check gives (the gate)."""
    ex = t.step(f"{socket}.connect")
    if ex is None:
        return error("the scenario recorded no WebSocket upgrade")
    if ex.status == 101:
        return None
    probe = t.step(f"{socket}.probe")  # GET /models with the same key, after a 401/403 or an unanswered close
    refusal = _refusal(t, socket, ex, probe)
    if refusal is not None:
        return refusal
    seen = f" (GET /v1/models with the same key: {_answer(probe)})" if probe is not None else ""
    if ex.status is None:
        what = ex.transport_error or "the server closed the connection without answering"
        return error(f"WebSocket upgrade: {what}{seen}", step=ex.label)
    if ex.status >= 500:
        return violation(f"the WebSocket upgrade was answered with HTTP {ex.status}", step=ex.label, status=ex.status)
    if probe is not None and probe.status in (401, 403):  # the key fails over HTTP too: that is the problem
        return error(f"the WebSocket upgrade was answered with HTTP {ex.status}{seen}; check the API key and "
                     "headers", step=ex.label, status=ex.status)
    if ex.status == 403 and ex.response.body is None and not (ex.response.text or "").strip():
        # A bare 403 (no error body) is how a Starlette/uvicorn server with no WebSocket route refuses every upgrade
        # (vLLM 0.32 does: docs/compatibility.md); a refused key comes with an error body, as on the HTTP routes.
        return unsupported("WebSocket mode refused: the upgrade was answered with a bare HTTP 403 (no WebSocket "
                           "route)", step=ex.label, status=ex.status)
    if ex.status in (401, 403, 429):  # says nothing about WebSocket mode itself (as for HTTP steps)
        return error(f"the WebSocket upgrade was answered with HTTP {ex.status}{seen}; check the API key, headers "
                     "and rate limits", step=ex.label, status=ex.status)
    return unsupported(f"WebSocket mode refused: the upgrade was answered with HTTP {ex.status}", step=ex.label,
                       status=ex.status)


def _answer(ex: Exchange) -> str:
    return f"HTTP {ex.status}" if ex.status is not None else (ex.transport_error or "no answer")


def _refusal(t: Transcript, socket: str, ex: Exchange, probe: Exchange | None) -> Outcome | None:
    """UNSUPPORTED when the server refused the upgrade (401/403, or closed the connection unanswered) while an
    authenticated HTTP request with the same key succeeded: WebSocket mode is refused, the key is fine."""
    if probe is None or not probe.ok:
        return None
    fine = f"while GET /v1/models with the same key answered HTTP {probe.status}, so the key is fine"
    if ex.status in (401, 403):
        empty = ex.response.body is None and not ex.response.text
        how = f"HTTP {ex.status} with {'an empty body' if empty else 'a body'}"
        if ex.status == 403 and empty:
            how += " (what FastAPI/Starlette answer on a route with no WebSocket handler)"
        return unsupported(f"WebSocket mode refused: the upgrade was answered with {how}, {fine}", step=ex.label,
                           status=ex.status, refused="http-status", probe=probe.status)
    if ex.status is None and ((t.params.get("sockets") or {}).get(socket) or {}).get("closed_unanswered"):
        return unsupported("WebSocket mode refused: the server closed the connection without answering the upgrade "
                           f"(as uvicorn-based servers without a WebSocket library have been seen to do), {fine}",
                           step=ex.label, refused="closed-unanswered", probe=probe.status)
    return None


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
        if status == 429:
            return error(f"{what} was rate limited (an error event with status 429: {message})", step=label)
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


def _error_code(err: dict[str, Any]) -> Any:
    return err["error"].get("code") if isinstance(err.get("error"), dict) else None


def _not_found(t: Transcript, label: str, what: str, answered: str) -> Outcome:
    """The verdict on a turn that must be refused with previous_response_not_found: an error event (4xx if it
    has a status) is the rule; another code WARNs (clients recover on that code); a response or a close FAILs."""
    ex, turn = t.step(label), _turn(t, label)
    if ex is None or turn is None:
        return skip(f"{what} was not sent", step=label)
    if ex.transport_error:
        return error(f"{what}: {ex.transport_error}", step=label)
    close = turn.get("close") or {}
    if close and close.get("during") != label:  # judged by websocket.open-after-error / turn-answered
        return skip(f"not applicable: the server had closed the socket during {close.get('during')} before {what} "
                    "was sent", step=label, close=close)
    err = _first_error(ex)
    if turn.get("error_event") and err is not None:
        status = err.get("status")
        if status == 429:
            return error(f"{what} was rate limited (an error event with status 429)", step=label, got=err)
        if status is not None and not (isinstance(status, int) and 400 <= status < 500):
            return violation(f"{what} was refused with status {status!r}, not a 4xx", step=label, got=err)
        if _error_code(err) != NOT_FOUND:
            return warn(f"{what} was refused with code {_error_code(err)!r}, not {NOT_FOUND!r} (the code clients "
                        "recover on)", step=label, got=err)
        return ok()
    if turn.get("terminal") or events(ex):
        return violation(f"{what} {answered}", step=label, got=(final_response(ex) or {}).get("id"))
    if close:
        return violation(f"the server closed the socket (code {close.get('code')}) instead of answering {what} "
                         f"with a {NOT_FOUND} error event", step=label, close=close)
    return violation(f"{what} got neither an error event nor a response", step=label)


def _chained(t: Transcript, first: str, second: str) -> Outcome | None:
    """None when turn ``second`` was answered with a new response whose previous_response_id is ``first``'s id;
    otherwise why not (a violation, or the verdict of the turn that was not answered)."""
    bad = _answered(t, first, first) or _answered(t, second, f"{second} (previous_response_id of a store: false "
                                                                   "response on the same socket)")
    if bad:
        return bad
    one, two = final_response(t.step(first)), final_response(t.step(second))
    if not one or not two:
        return violation("a turn ended without a Response in its terminal event", step=second)
    if two.get("id") == one.get("id") or two.get("previous_response_id") != one.get("id"):
        return violation(f"{second} is not a new response continuing {first}: id {two.get('id')!r}, "
                         f"previous_response_id {two.get('previous_response_id')!r} ({first} is {one.get('id')!r})",
                         step=second)
    return None


def _unstored_continued(t: Transcript, first: str, second: str) -> Outcome | None:
    """The premise of the rules about a socket's own store: false responses: None when ``second`` continued
    ``first`` on the socket; otherwise a SKIP saying why the rule has no meaning here."""
    bad = _opened(t) or _chained(t, first, second)
    if bad is None:
        return None
    refusal = _first_error(t.step(second)) if t.step(second) is not None else None
    if bad.kind in (Kind.UNSUPPORTED, Kind.ERROR) and not (refusal and _error_code(refusal) == NOT_FOUND):
        return bad
    return skip("not applicable: the socket did not continue its own store: false response; judged by "
                "websocket.unstored-chained", **dict(bad.evidence))


@transcript_check(
    id="websocket.previous-not-found",
    level=Level.MUST,
    requirement="On a socket, a response.create whose previous_response_id names no response is answered with an "
                f"`error` event (status 400, code {NOT_FOUND}), never with a response or a close.",
    source=f"{GUIDE} (Errors to handle: {NOT_FOUND}); {SDK} ResponsesServerEvent (ResponseWsError)",
    area=AREA,
    scenarios=("websocket.not-found",),
)
def previous_not_found(t: Transcript) -> Outcome | None:
    return _opened(t) or _not_found(t, "unknown", "a response.create with an unknown previous_response_id",
                                    "was answered with a response (the unknown previous_response_id was ignored)")


@transcript_check(
    id="websocket.open-after-not-found",
    level=Level.SHOULD,
    requirement=f"After a {NOT_FOUND} error event the socket stays open and answers a response.create that "
                "starts a new chain (no previous_response_id).",
    source=f"{GUIDE} (if you cannot continue the chain, e.g. {NOT_FOUND}, start a new response with "
           "previous_response_id null and the full input)",
    area=AREA,
    scenarios=("websocket.not-found", "websocket.failed-continuation"),
)
def open_after_not_found(t: Transcript) -> Outcome | None:
    gate = _opened(t)
    if gate:
        return gate
    refused, after = ("unknown", "after-not-found") if t.step("unknown") else ("evicted", "new-chain")
    ex = t.step(refused)
    err = _first_error(ex) if ex is not None else None
    if err is None or _error_code(err) != NOT_FOUND:
        return skip(f"no {NOT_FOUND} error event was sent; nothing to recover from", step=refused)
    again = _first_error(t.step(after)) if t.step(after) is not None else None
    if again is not None and _error_code(again) == NOT_FOUND:
        return violation(f"the new chain (no previous_response_id) was refused with {NOT_FOUND} too", step=after,
                         got=again)
    return _answered(t, after, f"the create after {NOT_FOUND}") or ok()


@transcript_check(
    id="websocket.unstored-chained",
    level=Level.MUST,
    requirement="On one socket, a store: false response can be continued: a response.create with its id as "
                "previous_response_id is answered with a new response whose previous_response_id is that id "
                f"(the socket keeps its most recent response in memory), not with {NOT_FOUND}.",
    source=f"{GUIDE} (How continuation works: a connection-local in-memory cache; compatible with store=false "
           "and ZDR)",
    area=AREA,
    scenarios=("websocket.unstored-chain",),
)
def unstored_chained(t: Transcript) -> Outcome | None:
    gate = _opened(t) or _answered(t, "turn1", "turn 1 (store: false)")
    if gate:
        return gate
    turn2 = t.step("turn2")
    err = _first_error(turn2) if turn2 is not None else None
    if err is not None and _error_code(err) == NOT_FOUND:
        return violation(f"the socket did not keep its own store: false response: turn 2 got {NOT_FOUND}",
                         step="turn2", got=err)
    return _chained(t, "turn1", "turn2") or ok()


@transcript_check(
    id="websocket.unstored-recall",
    level=Level.MUST,
    requirement="Turn 2 on the socket, continuing a store: false turn 1, sees it: the answer carries the code "
                "word planted in turn 1.",
    source=f"{GUIDE} (How continuation works); docs/rules.md#verdicts (nonce checks against silent acceptance)",
    area=AREA,
    scenarios=("websocket.unstored-chain",),
    model_dependent=True,
)
def unstored_recall(t: Transcript) -> Outcome | None:
    gate = _unstored_continued(t, "turn1", "turn2")
    if gate:
        return gate
    text = output_text(final_response(t.step("turn2")))
    return has_code_word(text, t.params["nonce"], "turn2", "turn 2 (store: false, continued on the socket) does "
                         "not recall")


@transcript_check(
    id="websocket.unstored-socket-local",
    level=Level.MUST,
    requirement="A store: false response lives only on its socket: on a new socket, previous_response_id naming "
                f"it is answered with a {NOT_FOUND} error event, never served.",
    source=f"{GUIDE} (with store=false there is no persisted fallback: an uncached id returns {NOT_FOUND}; "
           "Reconnect and recover)",
    area=AREA,
    scenarios=("websocket.unstored-chain",),
)
def unstored_socket_local(t: Transcript) -> Outcome | None:
    gate = _unstored_continued(t, "turn1", "turn2") or _upgrade(t, "fresh")
    if gate and gate.kind is Kind.VIOLATION:
        return skip("the new socket's upgrade failed; judged by websocket.upgrade", **dict(gate.evidence))
    if gate:
        return gate
    return _not_found(t, "fresh-turn", "a new socket's response.create continuing another socket's store: false "
                      "response", "was answered with a response: a store: false response outlived its socket")


@transcript_check(
    id="websocket.failed-evicts",
    level=Level.MUST,
    requirement="A failed turn (an error event) evicts the store: false response it referenced from the socket: "
                f"continuing that response again is answered with {NOT_FOUND}, never from the stale state.",
    source=f"{GUIDE} (if a turn fails, 4xx or 5xx, the service evicts the referenced previous_response_id from "
           "the connection-local cache)",
    area=AREA,
    scenarios=("websocket.failed-continuation",),
)
def failed_evicts(t: Transcript) -> Outcome | None:
    gate = _unstored_continued(t, "turn1", "turn2")
    if gate:
        return gate
    invalid, turn = t.step("invalid"), _turn(t, "invalid")
    if invalid is None or turn is None or not turn.get("error_event"):
        return skip("not applicable: the invalid create (input: 42) continuing turn 2 got no error event, so no "
                    "turn failed", step="invalid")
    evicted = _turn(t, "evicted") or {}
    if evicted.get("close") and not events(t.step("evicted")):
        return skip("not applicable: the socket was closed after the failed turn's error event; judged by "
                    "websocket.open-after-error", step="evicted", close=evicted.get("close"))
    return _not_found(t, "evicted", "the create continuing turn 2 after a failed turn that referenced it",
                      "was answered from the response the failed turn referenced (it was not evicted)")


@transcript_check(
    id="websocket.compact-new-chain",
    level=Level.MUST,
    requirement="After /responses/compact, a response.create on the socket with the compacted window as input "
                "and no previous_response_id is answered as a new chain: its previous_response_id is null (never "
                "the socket's last response).",
    source=f"{GUIDE} (Standalone /responses/compact: start a new chain by omitting previous_response_id)",
    area=AREA,
    scenarios=("websocket.after-compact",),
)
def compact_new_chain(t: Transcript) -> Outcome | None:
    gate = _opened(t) or _answered(t, "turn1", "turn 1")
    if gate:
        return _judged_elsewhere(gate)
    compacted = t.step("compact")
    if compacted is None:
        return skip("the scenario sent no compact request")
    if not compacted.ok:
        if compacted.status is not None and 400 <= compacted.status < 500:
            return unsupported(f"POST /v1/responses/compact refused (HTTP {compacted.status}); judged by compact.*",
                               step="compact", status=compacted.status)
        return skip("the compact request failed; judged by compact.*", step="compact", status=compacted.status)
    bad = _answered(t, "new-chain", "the create with the compacted window")
    if bad:
        return bad
    first, new = final_response(t.step("turn1")) or {}, final_response(t.step("new-chain")) or {}
    if new.get("previous_response_id") is not None or (new.get("id") and new.get("id") == first.get("id")):
        return violation(f"the new chain continued {new.get('previous_response_id') or new.get('id')!r} (turn 1 "
                         f"is {first.get('id')!r}) although no previous_response_id was sent", step="new-chain",
                         got=new.get("previous_response_id"))
    return ok()
