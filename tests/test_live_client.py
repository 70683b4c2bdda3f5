"""The recording client: bounded waits, faithful records, secrets kept out."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from conformance.judge import judge_all
from conformance.live.client import RecordingClient
from conformance.live.target import Target, TargetError, load_targets_file, parse_header
from conformance.recordings import exchange_to_record
from conformance.registry import all_checks
from conformance.exchange import Transcript
from conformance.verdicts import Verdict
from tests.rawserver import scripted_server, sse_response

CREATED = {"type": "response.created", "sequence_number": 0,
           "response": {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}}


def test_stream_that_goes_silent_ends_at_idle_timeout():
    first = f"event: response.created\ndata: {json.dumps(CREATED)}\n\n"
    with scripted_server(sse_response(first), hang=True) as url:
        target = Target(name="hang", base_url=url, model="m", idle_timeout_s=0.5, request_timeout_s=10)
        with RecordingClient(target) as client:
            t0 = time.monotonic()
            ex = client.request("POST", "responses", body={"model": "m", "stream": True}, stream=True, label="s")
            took = time.monotonic() - t0
    assert took < 5, took
    assert ex.transport_error and ex.transport_error.startswith("idle-timeout")
    assert ex.response.status == 200
    assert [e.type for e in ex.stream.events] == ["response.created"]
    assert ex.event_offsets and len(ex.event_offsets) == 1
    # One fault, one ERROR: the cut stream is one ERROR under run.exchange-complete, and the stream rules don't
    # blame the endpoint for the truncation the suite made.
    results = judge_all([c for c in all_checks() if c.area in ("stream", "run")], [Transcript("hang", [ex])])
    assert [(r.check_id, r.verdict) for r in results] == [("run.exchange-complete", Verdict.ERROR)]


def test_overall_deadline_bounds_a_trickling_stream():
    # Each event arrives well within the idle timeout, but the whole exchange exceeds request_timeout_s.
    body = "".join(f": keep-alive {i}\n\n" for i in range(3))
    with scripted_server(sse_response(body), hang=True) as url:
        target = Target(name="slow", base_url=url, model="m", idle_timeout_s=0.6, request_timeout_s=0.3)
        with RecordingClient(target) as client:
            ex = client.request("GET", "responses/x", query={"stream": True}, stream=True)
    assert ex.transport_error is not None  # ended by the idle or the overall limit, never hanging


def test_connection_refused_is_recorded_not_raised():
    target = Target(name="down", base_url="http://127.0.0.1:9/v1", model="m", connect_timeout_s=2)
    with RecordingClient(target) as client:
        ex = client.request("POST", "responses", body={"model": "m"})
    assert ex.response.status is None
    assert ex.transport_error.startswith("connect failed")


def test_api_key_is_sent_but_never_recorded():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        # A careless endpoint echoes the key back in its body and a header.
        return httpx.Response(400, headers={"x-echo": request.headers["authorization"]},
                              json={"error": {"message": f"bad key {request.headers['authorization']}",
                                              "type": "invalid_request_error", "param": None, "code": None}})

    key = "sk-test-SECRET-0123456789"
    target = Target(name="t", base_url="http://example.invalid/v1", api_key=key, model="m")
    with RecordingClient(target, transport=httpx.MockTransport(handler)) as client:
        ex = client.request("POST", "responses", body={"model": "m", "input": "hi"})
    assert seen["authorization"] == f"Bearer {key}"
    assert key not in json.dumps(exchange_to_record(ex))


def test_custom_auth_header_and_no_auth():
    t = Target(name="a", base_url="http://x/v1", api_key="k123", auth_header="api-key")
    assert t.auth_headers() == {"api-key": "k123"}
    assert Target(name="b", base_url="http://x/v1", api_key="k123", auth_header="none").auth_headers() == {}
    assert Target(name="c", base_url="http://x/v1", api_key="k123").auth_headers() == {"Authorization": "Bearer k123"}


def test_bad_target_values_are_clear_errors():
    with pytest.raises(TargetError, match="must start with http"):
        Target(name="x", base_url="localhost:8000")
    with pytest.raises(TargetError, match="Name: value"):
        parse_header("no-colon")
    assert parse_header("x-tfy-provider-name: openai") == ("x-tfy-provider-name", "openai")


def test_targets_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEY", "k-from-env")
    f = tmp_path / "targets.toml"
    f.write_text(
        '[targets.local]\nbase_url = "http://127.0.0.1:8000/v1"\nmodel = "m"\n'
        '[targets.gw]\nbase_url = "https://gw.example/v1"\napi_key_env = "MY_KEY"\n'
        'headers = { "x-tfy-provider-name" = "openai" }\nidle_timeout_s = 5\n'
    )
    local, gw = load_targets_file(f)
    assert (local.name, local.model, local.api_key) == ("local", "m", None)
    assert gw.api_key == "k-from-env" and gw.headers == {"x-tfy-provider-name": "openai"} and gw.idle_timeout_s == 5
    bad = tmp_path / "bad.toml"
    bad.write_text('[targets.x]\nbase_url = "http://h/v1"\napi_key = "sk-inline"\n')
    with pytest.raises(TargetError, match="api_key_env"):
        load_targets_file(bad)
    bad.write_text("[targets.x\n")
    with pytest.raises(TargetError, match="invalid TOML"):
        load_targets_file(bad)


def test_rate_limit_with_retry_after_is_waited_out(monkeypatch):
    calls = []
    monkeypatch.setattr("conformance.live.client.time.sleep", lambda s: calls.append(("sleep", s)))

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append("request")
        if calls.count("request") < 3:
            return httpx.Response(429, headers={"retry-after": "2"},
                                  json={"error": {"message": "slow down", "type": "rate_limit_error",
                                                  "param": None, "code": "rate_limit_exceeded"}})
        return httpx.Response(200, json={"id": "resp_1", "object": "response"})

    target = Target(name="t", base_url="http://example.invalid/v1", model="m")
    with RecordingClient(target, transport=httpx.MockTransport(handler)) as client:
        ex = client.request("POST", "responses", body={"model": "m"})
    assert ex.response.status == 200
    assert calls == ["request", ("sleep", 2.0), "request", ("sleep", 2.0), "request"]
    assert len(client.exchanges) == 3  # the 429s are kept by the client, the scenario sees the answer


def test_rate_limit_retries_are_bounded(monkeypatch):
    monkeypatch.setattr("conformance.live.client.time.sleep", lambda s: None)
    target = Target(name="t", base_url="http://example.invalid/v1", model="m")
    always = httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "1"}, json={}))
    with RecordingClient(target, transport=always) as client:
        ex = client.request("GET", "models")
    assert ex.response.status == 429 and len(client.exchanges) == 4
    long_wait = httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "3600"}, json={}))
    with RecordingClient(target, transport=long_wait) as client:
        assert client.request("GET", "models").response.status == 429 and len(client.exchanges) == 1
