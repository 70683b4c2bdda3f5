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


def _limited(retry_after: str | None, then_ok_after: int | None = None, status: int = 429):
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if then_ok_after is not None and len(calls) > then_ok_after:
            return httpx.Response(200, json={"id": "resp_1", "object": "response"})
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        return httpx.Response(status, headers=headers, json={"error": {"message": "slow down", "type": "rate_limit_error",
                                                                       "param": None, "code": "rate_limit_exceeded"}})

    return calls, httpx.MockTransport(handler)


def test_rate_limit_with_retry_after_is_waited_out():
    calls, transport = _limited("1", then_ok_after=2)
    target = Target(name="t", base_url="http://example.invalid/v1", model="m")
    with RecordingClient(target, transport=transport) as client:
        ex = client.request("POST", "responses", body={"model": "m"})
    assert ex.response.status == 200 and ex.transport_error is None
    assert len(calls) == 3 and all(b - a >= 0.95 for a, b in zip(calls, calls[1:]))  # Retry-After honoured
    assert len(client.exchanges) == 3  # the 429s are kept by the client, the scenario sees the answer


def test_rate_limit_pauses_every_thread():
    """A Retry-After pauses the whole run: a request another thread sends meanwhile waits too."""
    import threading

    sent: list[tuple[str, float]] = []
    first = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.path, time.monotonic()))
        if request.url.path.endswith("/responses") and not first.is_set():
            first.set()
            return httpx.Response(429, headers={"retry-after": "1"}, json={})
        return httpx.Response(200, json={"object": "list", "data": []})

    target = Target(name="t", base_url="http://example.invalid/v1", model="m")
    with RecordingClient(target, transport=httpx.MockTransport(handler)) as client:
        t0 = time.monotonic()
        a = threading.Thread(target=client.request, args=("POST", "responses"))
        a.start()
        first.wait(5)
        time.sleep(0.1)
        ex = client.request("GET", "models")  # another worker, during the pause
        a.join(5)
    models_at = next(t for p, t in sent if p.endswith("/models"))
    assert ex.response.status == 200 and models_at - t0 >= 0.9, models_at - t0


@pytest.mark.parametrize("retry_after,status,reason", [
    ("3600", 429, "longer than the 10s"),
    ("0", 429, "in a row"),  # always rate limited: the run-wide budget ends it
    ("0", 503, "in a row"),
    (None, 429, "in a row"),
])
def test_rate_limit_past_the_budget_is_one_error_naming_it(retry_after, status, reason):
    from conformance.live.ratelimit import RateBudget

    calls, transport = _limited(retry_after, status=status)
    target = Target(name="t", base_url="http://example.invalid/v1", model="m")
    budget = RateBudget(max_in_a_row=2, max_retries=5)
    with RecordingClient(target, transport=transport, budget=budget) as client:
        t0 = time.monotonic()
        exs = [client.request("GET", "models") for _ in range(3)]
        took = time.monotonic() - t0
    assert all(ex.transport_error and ex.transport_error.startswith("rate limited") for ex in exs)
    assert reason in exs[0].transport_error, exs[0].transport_error
    assert len(calls) <= 5 and took < 4  # the budget holds across requests: later ones are not retried
    # A 503 without Retry-After is an outage, not a rate limit: judged as it is.
    calls, transport = _limited(None, status=503)
    with RecordingClient(target, transport=transport) as client:
        ex = client.request("GET", "models")
    assert ex.response.status == 503 and ex.transport_error is None and len(calls) == 1


def test_retry_after_parsing_is_strict():
    import datetime as dt

    from conformance.live.ratelimit import parse_retry_after

    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now) == 0.0  # a date in the past: no wait
    assert parse_retry_after("99999999999999999999", now) == float("inf")
    for bad in ("1.5", "-1", "+3", "1e3", "soon", "", " ", "Thu, 01 Jan 2026 00:00:30", "\u0661", None):
        assert parse_retry_after(bad, now) is None, bad


def test_the_example_targets_file_loads_and_shows_every_key(monkeypatch) -> None:
    """docs/targets.example.toml is complete: it loads as written and names every key a target table takes."""
    import dataclasses
    import tomllib
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "docs" / "targets.example.toml"
    monkeypatch.setenv("GATEWAY_KEY", "k")
    targets = load_targets_file(example)
    assert [t.name for t in targets] == ["vllm", "gateway"] and targets[1].api_key == "k"
    used = {k for t in tomllib.loads(example.read_text())["targets"].values() for k in t}
    fields = {f.name for f in dataclasses.fields(Target)} - {"name", "api_key"}
    assert used == fields | {"api_key_env"}
