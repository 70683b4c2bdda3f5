"""ids.url-safe on hand-made exchanges: JSON bodies and streams, whole and fed event by event."""

from __future__ import annotations

import json

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.registry import get
from conformance.verdicts import Verdict

CHECK = get("ids.url-safe")


def body_ex(rid: object) -> Exchange:
    return Exchange(RecordedRequest("POST", "/v1/responses"),
                    RecordedResponse(200, {"content-type": "application/json"},
                                     body={"id": rid, "object": "response", "status": "completed", "output": []}))


def stream_ex(rid: object) -> Exchange:
    ev = {"type": "response.created", "sequence_number": 0,
          "response": {"id": rid, "object": "response", "status": "in_progress", "output": []}}
    sse = f"event: response.created\ndata: {json.dumps(ev)}\n\n"
    return Exchange(RecordedRequest("POST", "/v1/responses", body={"stream": True}),
                    RecordedResponse(200, {"content-type": "text/event-stream"}, sse=sse))


@pytest.mark.parametrize("make", [body_ex, stream_ex])
@pytest.mark.parametrize("rid, verdict", [
    ("resp_abc123", Verdict.PASS),
    ("bGl0ZWxsbQ-_" * 38, Verdict.PASS),  # LiteLLM's base64url ids are 453 characters: no source caps length
    ("r" * 5000, Verdict.PASS),  # longer than the suite sends (its own limit), yet no rule is broken
    ("resp_../../admin", Verdict.FAIL),  # URL syntax: never sent, even percent-encoded (docs/rules.md#ids)
    ("resp_1/x", Verdict.FAIL),
    ("resp_1\\x", Verdict.FAIL),
    ("resp_1?x=1", Verdict.FAIL),
    ("resp_1#x", Verdict.FAIL),
    ("resp_1%2Fx", Verdict.FAIL),
    ("resp\r\nX-Injected: 1", Verdict.FAIL),
    ("résumé", Verdict.FAIL),
    ("..", Verdict.FAIL),
    (42, Verdict.FAIL),
])
def test_ids_must_be_safe_in_a_url(make, rid, verdict) -> None:
    result = judge(CHECK, Transcript("t", [make(rid)]))
    assert result is not None and result.verdict is verdict, result
