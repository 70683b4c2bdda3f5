"""Error checks on hand-made exchanges, with the real-world error bodies of docs/rules.md#known-deviations."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict

OPENAI_404 = {"error": {"message": "Response with id 'resp_1' not found.", "type": "invalid_request_error", "param": None, "code": None}}
OPENAI_400 = {
    "error": {"message": "The requested model 'x' does not exist.", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}
}
VLLM = {"error": {"message": "bad", "type": "BadRequestError", "param": None, "code": 400}}
TRTLLM = {"object": "error", "message": "bad", "type": "BadRequestError", "param": None, "code": 400}
XAI = {"code": "invalid-argument", "error": "Incorrect API key provided."}
FASTAPI = {"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "value_error.missing"}]}


def response(
    status: int,
    body: Any = None,
    content_type: str | None = "application/json",
    stream_request: bool = False,
    sse: str | None = None,
    text: str | None = None,
) -> Exchange:
    return Exchange(
        request=RecordedRequest("POST", "/v1/responses", body={"model": "m", "input": "x", "stream": stream_request}),
        response=RecordedResponse(
            status, headers={"content-type": content_type} if content_type else {}, body=body, sse=sse, text=text
        ),
    )


def verdict(check_id: str, ex: Exchange) -> Verdict | None:
    result = judge(get(check_id), Transcript("t", [ex]))
    return None if result is None else result.verdict


def with_error(**fields: Any) -> dict[str, Any]:
    return {"error": {**OPENAI_400["error"], **fields}}


def without(key: str) -> dict[str, Any]:
    return {"error": {k: v for k, v in OPENAI_400["error"].items() if k != key}}


CASES: list[tuple[str, Exchange, Verdict | None]] = [
    ("errors.envelope", response(404, OPENAI_404), Verdict.PASS),
    ("errors.envelope", response(400, OPENAI_400, stream_request=True), Verdict.PASS),
    ("errors.envelope", response(400, VLLM), Verdict.PASS),  # the int code is errors.code-string's business
    ("errors.envelope", response(400, TRTLLM), Verdict.FAIL),
    ("errors.envelope", response(400, XAI), Verdict.FAIL),
    ("errors.envelope", response(422, FASTAPI), Verdict.FAIL),
    ("errors.envelope", response(500, None, "text/html", text="<h1>Internal Server Error</h1>"), Verdict.FAIL),
    ("errors.envelope", response(400, ["bad"]), Verdict.FAIL),
    ("errors.envelope", response(400, with_error(message=None)), Verdict.FAIL),
    ("errors.envelope", response(400, with_error(type=1)), Verdict.FAIL),
    ("errors.envelope", response(400, with_error(param=["model"])), Verdict.FAIL),
    ("errors.envelope", response(400, with_error(code=True)), Verdict.FAIL),
    ("errors.envelope", response(400, with_error(code={"x": 1})), Verdict.FAIL),
    ("errors.envelope", response(400, without("param")), Verdict.FAIL),
    ("errors.envelope", response(400, without("code")), Verdict.FAIL),
    (
        "errors.envelope",
        response(400, None, "text/event-stream", True, sse='event: error\ndata: {"type":"error"}\n\n'),
        Verdict.FAIL,
    ),
    ("errors.envelope", response(200, {"id": "resp_1"}), None),
    ("errors.code-string", response(400, OPENAI_400), Verdict.PASS),
    ("errors.code-string", response(404, OPENAI_404), Verdict.PASS),
    ("errors.code-string", response(400, VLLM), Verdict.WARN),
    ("errors.code-string", response(400, XAI), None),
    ("errors.status-class", response(200, {"id": "resp_1", "object": "response", "error": None}), Verdict.PASS),
    # A failed Response carries an `error` object but is not an error body.
    (
        "errors.status-class",
        response(200, {"id": "resp_1", "object": "response", "status": "failed", "error": {"code": "server_error", "message": "x"}}),
        Verdict.PASS,
    ),
    ("errors.status-class", response(400, OPENAI_400), Verdict.PASS),
    ("errors.status-class", response(200, OPENAI_400), Verdict.FAIL),
    ("errors.status-class", response(200, TRTLLM), Verdict.FAIL),
    ("errors.status-class", response(200, XAI), Verdict.FAIL),
    ("errors.status-class", response(200, FASTAPI), Verdict.FAIL),
    ("errors.status-class", response(999, OPENAI_400), Verdict.FAIL),
    (
        "errors.stream-rejection-status",
        response(200, None, "text/event-stream", True, sse='event: response.created\ndata: {"type":"response.created"}\n\n'),
        Verdict.PASS,
    ),
    (
        "errors.stream-rejection-status",
        response(200, None, "text/event-stream", True, sse=': hi\n\nevent: error\ndata: {"type":"error","code":"model_not_found","message":"x","param":"model"}\n\n'),
        Verdict.FAIL,
    ),
    (
        "errors.stream-rejection-status",
        response(200, None, "text/event-stream", True, sse='data: {"error": {"message": "bad model"}}\n\n'),
        Verdict.FAIL,
    ),
    ("errors.stream-rejection-status", response(400, OPENAI_400, stream_request=True), None),
    ("errors.content-type", response(400, OPENAI_400), Verdict.PASS),
    ("errors.content-type", response(400, OPENAI_400, "application/problem+json"), Verdict.PASS),
    ("errors.content-type", response(400, OPENAI_400, "text/plain; charset=utf-8"), Verdict.WARN),
    ("errors.content-type", response(400, OPENAI_400, None), None),
]


@pytest.mark.parametrize(
    ("check_id", "ex", "expected"), CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]
)
def test_verdict(check_id: str, ex: Exchange, expected: Verdict | None) -> None:
    assert verdict(check_id, ex) is expected


def test_every_errors_check_has_a_failing_and_a_passing_case() -> None:
    ids = {c.id for c in all_checks() if c.func.__module__ == "conformance.checks.errors"}
    assert ids
    assert ids <= {c for c, _, v in CASES if v is Verdict.PASS}
    assert ids <= {c for c, _, v in CASES if v in (Verdict.FAIL, Verdict.WARN)}


@pytest.mark.parametrize(
    ("body", "phrase"),
    [(TRTLLM, "top level"), (XAI, "`error` is a string"), (FASTAPI, "FastAPI"), ({"message": "x"}, "no `error` object")],
)
def test_envelope_message_names_the_dialect(body: dict[str, Any], phrase: str) -> None:
    result = judge(get("errors.envelope"), Transcript("t", [response(400, body)]))
    assert result is not None and phrase in result.message
    assert result.evidence["got"] == sorted(body)
