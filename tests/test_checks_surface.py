"""The API-surface checks on hand-made transcripts: each FAILs (or WARNs) on traffic that breaks its rule,
is UNSUPPORTED on a clean refusal, and PASSes on traffic that keeps it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.registry import get
from conformance.verdicts import Verdict

ERR = {"error": {"message": "no", "type": "invalid_request_error", "param": None, "code": None}}


def http(label: str, status: int | None, body: Any = None, method: str = "POST", path: str = "/v1/responses",
         request: Any = None, sse: str | None = None) -> Exchange:
    return Exchange(RecordedRequest(method, path, body=request), RecordedResponse(status, body=body, sse=sse),
                    label=label)


def resp(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": "completed", "output": [
        {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": text, "annotations": []}]}], **extra}


def verdict(check_id: str, t: Transcript) -> Verdict | None:
    r = judge(get(check_id), t)
    return None if r is None else r.verdict


def sse(*events: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events)


# --- websocket ---------------------------------------------------------------------------------------------

def ws_transcript(scenario: str, upgrade: int | None, turns: dict[str, tuple[int | None, str, dict[str, Any]]],
                  **params: Any) -> Transcript:
    exchanges = [Exchange(RecordedRequest("GET", "/v1/responses"), RecordedResponse(upgrade), label="socket.connect",
                          features=["websocket"])]
    log = []
    for label, (status, text, record) in turns.items():
        exchanges.append(Exchange(RecordedRequest("WS", "/v1/responses"), RecordedResponse(status, sse=text),
                                  label=label, features=["websocket"]))
        log.append({"label": label, "close": None, "terminal": None, "error_event": False, **record})
    return Transcript(scenario, exchanges, {"sockets": {"socket": {"upgrade": upgrade, "turns": log}}, **params})


def completed(rid: str, prev: str | None = None, text: str = "OK") -> str:
    r = {**resp(text), "id": rid, "previous_response_id": prev}
    return sse({"type": "response.created", "response": {**r, "status": "in_progress", "output": []}},
               {"type": "response.completed", "response": r})


def test_websocket_upgrade_and_turns():
    good = ws_transcript("websocket.two-turns", 101, {
        "turn1": (200, completed("resp_1"), {"terminal": "response.completed"}),
        "turn2": (200, completed("resp_2", "resp_1", "SOCK-123456"), {"terminal": "response.completed"})},
        nonce="SOCK-123456")
    for check in ("websocket.upgrade", "websocket.turn-answered", "websocket.chained-turn", "websocket.chained-recall"):
        assert verdict(check, good) is Verdict.PASS, check
    refused = ws_transcript("websocket.two-turns", 404, {}, nonce="x")
    assert verdict("websocket.upgrade", refused) is Verdict.UNSUPPORTED
    assert verdict("websocket.chained-turn", refused) is Verdict.UNSUPPORTED
    assert verdict("websocket.upgrade", ws_transcript("websocket.two-turns", 502, {})) is Verdict.FAIL
    assert verdict("websocket.upgrade", ws_transcript("websocket.two-turns", 401, {})) is Verdict.ERROR
    # A bare 403 is a server without a WebSocket route (vLLM, Starlette's default); one with an error body is the key.
    assert verdict("websocket.upgrade", ws_transcript("websocket.two-turns", 403, {})) is Verdict.UNSUPPORTED
    keyed = ws_transcript("websocket.two-turns", 403, {})
    keyed.exchanges[0].response.body = {"error": {"message": "bad key", "type": "invalid_request_error"}}
    assert verdict("websocket.upgrade", keyed) is Verdict.ERROR
    closed = ws_transcript("websocket.two-turns", 101, {"turn1": (None, "", {"close": {"code": 1011, "reason": ""}})},
                           nonce="x")
    assert verdict("websocket.turn-answered", closed) is Verdict.FAIL
    assert verdict("websocket.chained-turn", closed) is Verdict.SKIP
    unchained = ws_transcript("websocket.two-turns", 101, {
        "turn1": (200, completed("resp_1"), {"terminal": "response.completed"}),
        "turn2": (200, completed("resp_2", None), {"terminal": "response.completed"})}, nonce="SOCK-1")
    assert verdict("websocket.chained-turn", unchained) is Verdict.FAIL
    assert verdict("websocket.chained-recall", unchained) is Verdict.FAIL


def test_websocket_error_event_and_after():
    error_event = {"type": "error", "status": 400, "error": {"type": "invalid_request_error", "code": "invalid_type",
                                                             "message": "bad input", "param": "input"}}
    good = ws_transcript("websocket.error-then-continue", 101, {
        "invalid": (400, sse(error_event), {"error_event": True}),
        "after-error": (200, completed("resp_3"), {"terminal": "response.completed"})})
    assert verdict("websocket.error-event", good) is Verdict.PASS
    assert verdict("websocket.open-after-error", good) is Verdict.PASS
    shapeless = ws_transcript("websocket.error-then-continue", 101, {
        "invalid": (None, sse({"type": "error", "message": "bad"}), {"error_event": True})})
    assert verdict("websocket.error-event", shapeless) is Verdict.FAIL
    closed = ws_transcript("websocket.error-then-continue", 101, {
        "invalid": (None, "", {"close": {"code": 1008, "reason": ""}})})
    assert verdict("websocket.error-event", closed) is Verdict.FAIL
    accepted = ws_transcript("websocket.error-then-continue", 101, {
        "invalid": (200, completed("resp_4"), {"terminal": "response.completed"})})
    assert verdict("websocket.error-event", accepted) is Verdict.FAIL
    dropped = ws_transcript("websocket.error-then-continue", 101, {
        "invalid": (400, sse(error_event), {"error_event": True}),
        "after-error": (None, "", {"close": {"code": 1000, "reason": ""}})})
    assert verdict("websocket.open-after-error", dropped) is Verdict.WARN


NOT_FOUND = {"type": "error", "status": 400, "error": {"type": "invalid_request_error",
                                                     "code": "previous_response_not_found",
                                                     "message": "Previous response with id 'resp_x' not found.",
                                                     "param": "previous_response_id"}}
ANSWERED = {"terminal": "response.completed"}


def two_sockets(t: Transcript, fresh_upgrade: int | None, fresh_turn: tuple[int | None, str, dict[str, Any]]
                ) -> Transcript:
    """``t`` with a second socket ("fresh") and its one turn, as the scenario records them."""
    t.exchanges.append(Exchange(RecordedRequest("GET", "/v1/responses"), RecordedResponse(fresh_upgrade),
                                label="fresh.connect", features=["websocket"]))
    status, text, record = fresh_turn
    t.exchanges.append(Exchange(RecordedRequest("WS", "/v1/responses"), RecordedResponse(status, sse=text),
                                label="fresh-turn", features=["websocket"]))
    t.params["sockets"]["fresh"] = {"upgrade": fresh_upgrade, "turns": [
        {"label": "fresh-turn", "close": None, "terminal": None, "error_event": False, **record}]}
    return t


def test_websocket_previous_not_found_and_after():
    good = ws_transcript("websocket.not-found", 101, {
        "unknown": (400, sse(NOT_FOUND), {"error_event": True}),
        "after-not-found": (200, completed("resp_2"), ANSWERED)})
    assert verdict("websocket.previous-not-found", good) is Verdict.PASS
    assert verdict("websocket.open-after-not-found", good) is Verdict.PASS
    guide = {"type": "error", "status": 400, "error": {  # the guide's own example, verbatim (no error.type)
        "code": "previous_response_not_found", "message": "Previous response with id 'resp_abc' not found.",
        "param": "previous_response_id"}}
    as_documented = ws_transcript("websocket.not-found", 101, {"unknown": (400, sse(guide), {"error_event": True})})
    assert verdict("websocket.previous-not-found", as_documented) is Verdict.PASS
    ignored = ws_transcript("websocket.not-found", 101, {"unknown": (200, completed("resp_1"), ANSWERED)})
    assert verdict("websocket.previous-not-found", ignored) is Verdict.FAIL
    assert verdict("websocket.open-after-not-found", ignored) is Verdict.SKIP
    other_code = {**NOT_FOUND, "error": {**NOT_FOUND["error"], "code": "invalid_value"}}
    coded = ws_transcript("websocket.not-found", 101, {"unknown": (400, sse(other_code), {"error_event": True})})
    assert verdict("websocket.previous-not-found", coded) is Verdict.WARN
    closed = ws_transcript("websocket.not-found", 101, {
        "unknown": (None, "", {"close": {"code": 1008, "reason": "", "during": "unknown"}})})
    assert verdict("websocket.previous-not-found", closed) is Verdict.FAIL
    limited = ws_transcript("websocket.not-found", 101, {"unknown": (429, sse({**NOT_FOUND, "status": 429}),
                                                                     {"error_event": True})})
    assert verdict("websocket.previous-not-found", limited) is Verdict.ERROR
    dropped = ws_transcript("websocket.not-found", 101, {
        "unknown": (400, sse(NOT_FOUND), {"error_event": True}),
        "after-not-found": (None, "", {"close": {"code": 1000, "reason": ""}})})
    assert verdict("websocket.open-after-not-found", dropped) is Verdict.WARN
    refused = ws_transcript("websocket.not-found", 404, {})
    assert verdict("websocket.previous-not-found", refused) is Verdict.UNSUPPORTED


def unstored(turn2: tuple[int | None, str, dict[str, Any]], text: str = "SOCK-1") -> Transcript:
    return ws_transcript("websocket.unstored-chain", 101, {"turn1": (200, completed("resp_1"), ANSWERED),
                                                           "turn2": turn2}, nonce="SOCK-1")


def test_websocket_unstored_chain():
    chained = (200, completed("resp_2", prev="resp_1", text="SOCK-1"), ANSWERED)
    good = two_sockets(unstored(chained), 101, (400, sse(NOT_FOUND), {"error_event": True}))
    for check in ("websocket.unstored-chained", "websocket.unstored-recall", "websocket.unstored-socket-local"):
        assert verdict(check, good) is Verdict.PASS, check
    # The socket kept nothing: the continuation got previous_response_not_found (the rules after it don't apply).
    forgot = two_sockets(unstored((400, sse(NOT_FOUND), {"error_event": True})), 101,
                         (400, sse(NOT_FOUND), {"error_event": True}))
    assert verdict("websocket.unstored-chained", forgot) is Verdict.FAIL
    assert verdict("websocket.unstored-recall", forgot) is Verdict.SKIP
    assert verdict("websocket.unstored-socket-local", forgot) is Verdict.SKIP  # no vacuous PASS
    unlinked = unstored((200, completed("resp_2", prev=None, text="SOCK-1"), ANSWERED))
    assert verdict("websocket.unstored-chained", unlinked) is Verdict.FAIL
    blank = unstored((200, completed("resp_2", prev="resp_1", text="no idea"), ANSWERED))
    assert verdict("websocket.unstored-recall", blank) is Verdict.FAIL
    shared = two_sockets(unstored(chained), 101, (200, completed("resp_3", prev="resp_2"), ANSWERED))
    assert verdict("websocket.unstored-socket-local", shared) is Verdict.FAIL
    other_refused = {**NOT_FOUND, "error": {**NOT_FOUND["error"], "code": "invalid_request"}}
    refused = unstored((400, sse(other_refused), {"error_event": True}))
    assert verdict("websocket.unstored-chained", refused) is Verdict.UNSUPPORTED


def test_websocket_failed_turn_evicts():
    def failed(evicted: tuple[int | None, str, dict[str, Any]], invalid_answered: bool = False) -> Transcript:
        invalid = ((200, completed("resp_9"), ANSWERED) if invalid_answered else
                   (400, sse({**NOT_FOUND, "error": {"type": "invalid_request_error", "code": "invalid_type",
                                                     "message": "bad", "param": "input"}}), {"error_event": True}))
        return ws_transcript("websocket.failed-continuation", 101, {
            "turn1": (200, completed("resp_1"), ANSWERED),
            "turn2": (200, completed("resp_2", prev="resp_1"), ANSWERED),
            "invalid": invalid, "evicted": evicted,
            "new-chain": (200, completed("resp_4"), ANSWERED)})

    good = failed((400, sse(NOT_FOUND), {"error_event": True}))
    assert verdict("websocket.failed-evicts", good) is Verdict.PASS
    assert verdict("websocket.open-after-not-found", good) is Verdict.PASS
    stale = failed((200, completed("resp_3", prev="resp_2"), ANSWERED))
    assert verdict("websocket.failed-evicts", stale) is Verdict.FAIL
    assert verdict("websocket.failed-evicts", failed((200, completed("resp_3", prev="resp_2"), ANSWERED),
                                                     invalid_answered=True)) is Verdict.SKIP
    # The socket closed after the failed turn's error event: that is websocket.open-after-error's to judge.
    gone = failed((None, "", {"close": {"code": 1000, "reason": "", "during": "evicted"}}))
    assert verdict("websocket.failed-evicts", gone) is Verdict.SKIP


def test_websocket_new_chain_after_compact():
    def after(new_chain: str, compact_status: int = 200) -> Transcript:
        t = ws_transcript("websocket.after-compact", 101, {"turn1": (200, completed("resp_1"), ANSWERED),
                                                          "new-chain": (200, new_chain, ANSWERED)})
        t.exchanges.insert(2, http("compact", compact_status, {"output": []} if compact_status == 200 else ERR,
                                   path="/v1/responses/compact"))
        return t

    assert verdict("websocket.compact-new-chain", after(completed("resp_2"))) is Verdict.PASS
    assert verdict("websocket.compact-new-chain", after(completed("resp_2", prev="resp_1"))) is Verdict.FAIL
    assert verdict("websocket.compact-new-chain", after(completed("resp_2"), 404)) is Verdict.UNSUPPORTED


# --- compact, input_tokens -------------------------------------------------------------------------------

HISTORY = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
USAGE = {"input_tokens": 5, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 1,
         "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 6}


def compaction(output: list[dict[str, Any]], obj: str = "response.compaction", next_status: int = 200) -> Transcript:
    body = {"id": "resp_c", "object": obj, "created_at": 1, "output": output, "usage": USAGE}
    return Transcript("compact.conversation", [http("compact", 200, body, path="/v1/responses/compact"),
                                               http("next", next_status, resp() if next_status == 200 else ERR)],
                      {"history": HISTORY})


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "id": "m", "content": [{"type": "input_text", "text": text}]}


ITEM = {"type": "compaction", "id": "cmp_1", "encrypted_content": "opaque"}


def test_compact_checks():
    good = compaction([user("a"), user("c"), ITEM])
    for check in ("compact.shape", "compact.output-layout", "compact.output-reusable"):
        assert verdict(check, good) is Verdict.PASS, check
    assert verdict("compact.shape", compaction([ITEM], obj="response")) is Verdict.FAIL
    assert verdict("compact.output-layout", compaction([ITEM])) is Verdict.WARN
    assert verdict("compact.output-layout", compaction([user("a"), user("c"), ITEM, ITEM])) is Verdict.WARN
    assert verdict("compact.output-reusable", compaction([user("a"), user("c"), ITEM], next_status=400)) is Verdict.FAIL
    refused = Transcript("compact.conversation", [http("compact", 404, ERR, path="/v1/responses/compact")],
                         {"history": HISTORY})
    assert verdict("compact.shape", refused) is Verdict.UNSUPPORTED
    broken = Transcript("compact.conversation", [http("compact", 500, ERR, path="/v1/responses/compact")],
                        {"history": HISTORY})
    assert verdict("compact.shape", broken) is Verdict.FAIL


def counts(short: Any, message: Any, larger: Any, status: int = 200) -> Transcript:
    def step(label: str, n: Any) -> Exchange:
        body = {"object": "response.input_tokens", "input_tokens": n} if status == 200 else ERR
        return http(label, status, body, path="/v1/responses/input_tokens")
    return Transcript("input_tokens.count", [step("string", short), step("message", message), step("larger", larger)])


def test_input_tokens_checks():
    assert verdict("input_tokens.shape", counts(8, 9, 300)) is Verdict.PASS
    assert verdict("input_tokens.grows-with-input", counts(8, 9, 300)) is Verdict.PASS
    assert verdict("input_tokens.shape", counts("8", 9, 300)) is Verdict.FAIL
    assert verdict("input_tokens.shape", counts(0, 9, 300)) is Verdict.FAIL
    assert verdict("input_tokens.grows-with-input", counts(1, 1, 1)) is Verdict.FAIL
    assert verdict("input_tokens.shape", counts(1, 1, 1, status=404)) is Verdict.UNSUPPORTED
    assert verdict("input_tokens.shape", counts(1, 1, 1, status=500)) is Verdict.FAIL


# --- conversations -----------------------------------------------------------------------------------------

TEXTS = ["Remember CONV-111111.", "What code word?"]


def conversation(items: list[dict[str, Any]], both: int = 400, deleted: Any = None, echo: bool = True,
                 recall: str = "CONV-111111", create_status: int = 200) -> Transcript:
    conv = {"id": "conv_1", "object": "conversation", "created_at": 1, "metadata": {}}
    if create_status != 200:
        return Transcript("conversations.two-turns", [http("create-conversation", create_status, ERR,
                                                           path="/v1/conversations")],
                          {"nonce": "CONV-111111", "turn_texts": TEXTS})
    extra = {"conversation": {"id": "conv_1"}} if echo else {}
    return Transcript("conversations.two-turns", [
        http("create-conversation", 200, conv, path="/v1/conversations"),
        http("turn1", 200, resp("OK", **extra)), http("turn2", 200, resp(recall, **extra)),
        http("items", 200, {"object": "list", "data": items}, method="GET", path="/v1/conversations/conv_1/items"),
        http("both", both, ERR if both >= 400 else resp()),
        http("delete-conversation", 200, deleted or {"id": "conv_1", "object": "conversation.deleted", "deleted": True},
             method="DELETE", path="/v1/conversations/conv_1"),
    ], {"nonce": "CONV-111111", "turn_texts": TEXTS, "conversation_id": "conv_1"})


def said(role: str, text: str) -> dict[str, Any]:
    kind = "input_text" if role == "user" else "output_text"
    return {"type": "message", "id": "m", "role": role, "content": [{"type": kind, "text": text}]}


IN_ORDER = [said("user", TEXTS[0]), said("assistant", "OK"), said("user", TEXTS[1]), said("assistant", "CONV")]


def test_conversation_checks():
    good = conversation(IN_ORDER)
    for check in ("conversations.object", "conversations.items-in-order", "conversations.response-names-conversation",
                  "conversations.context-carried", "conversations.exclusive-with-previous", "conversations.deleted"):
        assert verdict(check, good) is Verdict.PASS, check
    assert verdict("conversations.items-in-order", conversation(IN_ORDER[::-1])) is Verdict.FAIL
    assert verdict("conversations.items-in-order", conversation([])) is Verdict.FAIL
    assert verdict("conversations.exclusive-with-previous", conversation(IN_ORDER, both=200)) is Verdict.FAIL
    assert verdict("conversations.deleted", conversation(IN_ORDER, deleted={"id": "conv_1", "object": "conversation",
                                                                             "deleted": True})) is Verdict.FAIL
    assert verdict("conversations.response-names-conversation", conversation(IN_ORDER, echo=False)) is Verdict.WARN
    assert verdict("conversations.context-carried", conversation(IN_ORDER, recall="no idea")) is Verdict.FAIL
    assert verdict("conversations.object", conversation([], create_status=404)) is Verdict.UNSUPPORTED
    assert verdict("conversations.object", conversation([], create_status=503)) is Verdict.FAIL


# --- inputs, concurrency -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status,body,expected", [
    (200, resp(), Verdict.PASS), (400, ERR, Verdict.UNSUPPORTED), (500, ERR, Verdict.FAIL),
    (200, {"ok": True}, Verdict.FAIL),
])
def test_image_and_file_answered(status: int, body: Any, expected: Verdict):
    assert verdict("inputs.image-answered", Transcript("inputs.image", [http("create", status, body)])) is expected
    t = Transcript("inputs.file", [http("create", status, body)], {"nonce": "FILE-123456"})
    assert verdict("inputs.file-answered", t) is expected


def test_file_read():
    read = Transcript("inputs.file", [http("create", 200, resp("FILE-123456"))], {"nonce": "FILE-123456"})
    assert verdict("inputs.file-read", read) is Verdict.PASS
    unread = Transcript("inputs.file", [http("create", 200, resp("no"))], {"nonce": "FILE-123456"})
    assert verdict("inputs.file-read", unread) is Verdict.FAIL


def parallel(answers: dict[str, tuple[int, dict[str, Any]]]) -> Transcript:
    nonces = {label: f"PAR-{100000 + i}" for i, label in enumerate(["alone", "alone-stream", *answers])}
    base = {label: (200, resp(nonces[label], metadata={"nonce": nonces[label]})) for label in ("alone", "alone-stream")}
    exchanges = [http(label, status, body) for label, (status, body) in {**base, **answers}.items()]
    return Transcript("concurrency.parallel", exchanges, {"nonces": nonces})


def own(i: int) -> tuple[int, dict[str, Any]]:
    word = f"PAR-{100002 + i}"
    return 200, {**resp(word, metadata={"nonce": word}), "id": f"resp_p{i}"}


def test_concurrency_checks():
    good = parallel({f"parallel-{i}": own(i) for i in range(3)})
    for check in ("concurrency.all-answered", "concurrency.no-cross-talk", "concurrency.own-code-word"):
        assert verdict(check, good) is Verdict.PASS, check
    failing = parallel({"parallel-0": own(0), "parallel-1": (500, ERR), "parallel-2": own(2)})
    assert verdict("concurrency.all-answered", failing) is Verdict.FAIL
    crossed = parallel({"parallel-0": own(0), "parallel-1": own(0), "parallel-2": own(2)})
    assert verdict("concurrency.no-cross-talk", crossed) is Verdict.FAIL
    assert verdict("concurrency.own-code-word", crossed) is Verdict.FAIL
    twin = {**resp("PAR-100003", metadata={"nonce": "PAR-100003"}), "id": "resp_p0"}  # parallel-0's id
    assert verdict("concurrency.no-cross-talk", parallel({"parallel-0": own(0), "parallel-1": (200, twin)})) is Verdict.FAIL
    twin_ok = {**twin, "id": "resp_2"}
    assert verdict("concurrency.no-cross-talk", parallel({"parallel-0": own(0), "parallel-1": (200, twin_ok)})) is Verdict.PASS
    stray = resp("PAR-100003", metadata={"nonce": "PAR-100003"})
    stray["id"] = "resp_3"
    stray["output"].append({"type": "function_call", "id": "fc", "call_id": "c", "name": "lookup", "arguments": "{}"})
    assert verdict("concurrency.no-cross-talk", parallel({"parallel-0": own(0), "parallel-1": (200, stray)})) is Verdict.FAIL
    reset = parallel({"parallel-0": own(0), "parallel-1": own(1)})
    reset.exchanges[-1].response.status = None
    reset.exchanges[-1].transport_error = "protocol error: the response could not be read (RemoteProtocolError)"
    assert verdict("concurrency.all-answered", reset) is Verdict.FAIL
    reset.exchanges[-1].transport_error = "idle-timeout: no bytes for 30s while reading the body"
    assert verdict("concurrency.all-answered", reset) is Verdict.ERROR
    baseline_broken = parallel({"parallel-0": own(0)})
    baseline_broken.exchanges[0].response.status = 500
    assert verdict("concurrency.all-answered", baseline_broken) is Verdict.SKIP
