"""docs/coverage.md is current: measured from one scenario run against the reference server, every SDK
`responses` method and create parameter is exercised or explained, and no explanation is stale."""

from __future__ import annotations

import pytest

from conformance import coverage
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript


@pytest.fixture(scope="module")
def measured():
    return coverage.measure()


def test_doc_is_current(measured):
    assert coverage.DOC.read_text(encoding="utf-8") == coverage.render(*measured), (
        "docs/coverage.md is stale: run python -m conformance.coverage --write")


def test_everything_is_exercised_or_explained(measured):
    assert coverage.unexplained(*measured) == []
    assert coverage.stale_reasons(*measured) == []


def test_the_new_surface_is_exercised(measured):
    methods, params = measured
    for method in ("connect", "compact", "input_tokens.count", "create", "stream", "retrieve", "delete", "cancel",
                   "input_items.list"):
        assert methods.get(method), method
    assert "conversations.two-turns" in params["conversation"]


def test_traffic_maps_to_methods_and_params():
    def ex(method: str, path: str, body: object = None, features: list[str] | None = None) -> Exchange:
        return Exchange(RecordedRequest(method, path, body=body), RecordedResponse(200), features=features or [])

    t = Transcript("s.one", [
        ex("POST", "/v1/responses", {"model": "m", "stream": True, "temperature": 0.2, "moderation": {}}),
        ex("POST", "/v1/responses/compact", {"model": "m"}),
        ex("WS", "/v1/responses", {"type": "response.create", "top_p": 0.5}, ["websocket"]),
        ex("GET", "/v1/responses/resp_1/input_items"),
    ])
    methods, params = coverage.exercised([t])
    assert {m for m, s in methods.items() if s} == {"create", "stream", "compact", "connect", "input_items.list"}
    assert {"temperature", "top_p", "stream", "model"} <= set(params)
    assert "moderation" in coverage.stale_reasons(methods, params)  # now sent, so its reason is stale
