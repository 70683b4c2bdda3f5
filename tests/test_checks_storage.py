"""Storage checks on hand-made DELETE exchanges."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.judge import judge
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict

RID = "resp_0123abc"


def delete(body: Any, status: int = 200, path: str = f"/v1/responses/{RID}", method: str = "DELETE") -> Exchange:
    return Exchange(
        request=RecordedRequest(method, path),
        response=RecordedResponse(status, headers={"content-type": "application/json"}, body=body),
    )


def verdict(check_id: str, ex: Exchange) -> Verdict | None:
    result = judge(get(check_id), Transcript("t", [ex]))
    return None if result is None else result.verdict


DOCUMENTED = {"id": RID, "object": "response", "deleted": True}
AS_SENT = {"id": RID, "object": "response.deleted", "deleted": True}

CASES: list[tuple[str, Exchange, Verdict | None]] = [
    ("storage.delete-body", delete(DOCUMENTED), Verdict.PASS),
    ("storage.delete-body", delete(AS_SENT), Verdict.PASS),
    ("storage.delete-body", delete(AS_SENT, path=f"/openai/v1/responses/{RID}/"), Verdict.PASS),
    ("storage.delete-body", delete({**AS_SENT, "id": "resp_other"}), Verdict.FAIL),
    ("storage.delete-body", delete({"object": "response.deleted", "deleted": True}), Verdict.FAIL),
    ("storage.delete-body", delete({**AS_SENT, "deleted": "true"}), Verdict.FAIL),
    ("storage.delete-body", delete({"id": RID, "object": "response"}), Verdict.FAIL),
    ("storage.delete-body", delete(None, status=204), Verdict.FAIL),
    ("storage.delete-body", delete({"error": {}}, status=404), None),
    ("storage.delete-body", delete(AS_SENT, method="GET"), None),
    ("storage.delete-body", delete(AS_SENT, path=f"/v1/conversations/conv_1/items/msg_1"), None),
    ("storage.delete-object", delete(DOCUMENTED), Verdict.PASS),
    ("storage.delete-object", delete(AS_SENT), Verdict.PASS),
    ("storage.delete-object", delete({**AS_SENT, "object": "thread.deleted"}), Verdict.WARN),
    ("storage.delete-object", delete({"id": RID, "deleted": True}), Verdict.WARN),
    ("storage.delete-object", delete(None, status=204), None),
]


@pytest.mark.parametrize(
    ("check_id", "ex", "expected"), CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]
)
def test_verdict(check_id: str, ex: Exchange, expected: Verdict | None) -> None:
    assert verdict(check_id, ex) is expected


def test_every_storage_check_has_a_failing_and_a_passing_case() -> None:
    ids = {c.id for c in all_checks() if c.func.__module__ == "conformance.checks.storage" and c.scope == "exchange"}
    assert ids
    assert ids <= {c for c, _, v in CASES if v is Verdict.PASS}
    assert ids <= {c for c, _, v in CASES if v in (Verdict.FAIL, Verdict.WARN)}
