"""The recording client (and the SDK tier's transport) against hostile behaviours, in-process: every exchange
ends by its deadline or a cap, says why in transport_error, and keeps only whole events; ids never steer a
request; no cookie, no redirect; JSON that is not RFC 8259 is "not JSON", never a crash."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from conformance.exchange import Transcript
from conformance.jsonsafe import loads as strict_json
from conformance.live.bounds import Limits
from conformance.live.client import RecordingClient
from conformance.live.paths import Unsendable, encode
from conformance.live.target import Target
from tests.hostile_server import KEY, HostileServer

SMALL = Limits(max_wire_bytes=256 * 1024, max_decoded_bytes=256 * 1024, max_events=200, max_event_bytes=64 * 1024,
               max_line_bytes=64 * 1024)


def _client(url: str, request_timeout: float = 1.0, limits: Limits | None = None) -> RecordingClient:
    target = Target(name="h", base_url=url, model="m", api_key=KEY, request_timeout_s=request_timeout,
                    idle_timeout_s=5.0, connect_timeout_s=2.0)
    return RecordingClient(target, limits=limits)


@pytest.mark.parametrize("name,stream", [
    ("trickle-headers", False),  # every read is short, so only a whole-exchange deadline ends it
    ("endless-100-continue", False),
    ("slowloris-body", False),
    ("slow-keepalive", True),
])
def test_deadline_bounds_the_whole_exchange(name: str, stream: bool) -> None:
    with HostileServer(name) as url, _client(url, request_timeout=1.0) as client:
        t0 = time.monotonic()
        ex = client.request("POST", "responses", body={"model": "m", "stream": stream}, stream=stream)
        took = time.monotonic() - t0
    assert took < 2.5, took
    assert ex.transport_error and ex.transport_error.startswith("timeout"), ex.transport_error
    assert "1s limit for one exchange" in ex.transport_error


@pytest.mark.parametrize("name,reason", [
    ("endless-deltas", "the stream exceeded 200 events"),
    ("endless-comments", "the stream exceeded 200 events"),
    ("endless-line", "a line exceeded 65536 bytes"),
    ("huge-event", "an event exceeded 65536 bytes"),
    ("deflate-bomb-sse", "decoded to more than 262144 bytes"),
])
def test_stream_caps_cut_at_an_event_boundary(name: str, reason: str) -> None:
    with HostileServer(name) as url, _client(url, request_timeout=10, limits=SMALL) as client:
        t0 = time.monotonic()
        ex = client.request("POST", "responses", body={"model": "m", "stream": True}, stream=True)
        took = time.monotonic() - t0
    assert took < 5, took
    assert ex.transport_error and reason in ex.transport_error, ex.transport_error
    sse = ex.response.sse or ""
    assert len(sse) <= SMALL.max_decoded_bytes
    assert sse == "" or sse.endswith("\n\n")  # whole events only: the suite's cut is not the endpoint's
    assert not ex.stream.unterminated and len(ex.stream.events) == len(ex.event_offsets or [])


@pytest.mark.parametrize("name,reason", [
    ("gzip-bomb", "decoded to more than 262144 bytes"),
    ("100mb-body", "exceeded 262144 bytes"),
    ("bad-gzip", "could not be decoded"),
    ("unasked-encoding", "did not accept"),
])
def test_body_caps(name: str, reason: str) -> None:
    with HostileServer(name) as url, _client(url, request_timeout=10, limits=SMALL) as client:
        ex = client.request("GET", "models")
    assert ex.transport_error and reason in ex.transport_error, ex.transport_error
    assert ex.response.body is None and len(ex.response.text or "") <= SMALL.max_decoded_bytes


@pytest.mark.parametrize("name", ["deep-json", "nan-json", "huge-number"])
def test_json_that_is_not_rfc8259_is_not_json(name: str) -> None:
    with HostileServer(name) as url, _client(url, request_timeout=10) as client:
        ex = client.request("POST", "responses", body={"model": "m"})
    assert ex.transport_error is None and ex.response.status == 200
    assert ex.response.body is None and ex.response.text  # judged as a body that is not JSON
    assert any("not valid JSON" in n for n in ex.notes)


def test_strict_json() -> None:
    assert strict_json('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert strict_json('{"e": "1e999 in a string", "n": 1.5e300}') == {"e": "1e999 in a string", "n": 1.5e300}
    for bad in ("NaN", "[Infinity]", "-Infinity", "1e999", "[" * 200 + "]" * 200, "[" * 100000 + "]" * 100000,
                "9" * 5000, "1" + "0" * 400 + ".0", '{"a": [1, {"b": -1E400}]}'):
        with pytest.raises(ValueError):
            strict_json(bad)


def test_ids_are_one_encoded_segment_and_unsafe_ids_are_never_sent() -> None:
    litellm = "bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVy" * 12 + "_-x"  # base64url, 435 characters: sent as it is
    assert encode(("responses", litellm, "cancel")) == f"responses/{litellm}/cancel"
    # URL syntax is never sent, not even percent-encoded: proxies decode %2F before routing (docs/rules.md#ids)
    for bad in ("resp_1/../../admin", "a?x=1#", "a%2Fb", "a\\b", "a..b", "a\r\nb", "a" * 4097, "r\u00e9sp", "",
                "..", ".", "a b"):
        with pytest.raises(Unsendable):
            encode(("responses", bad))
    for bad in ("responses/a%2Fb", "responses/../admin", "admin", "responses/a?b", "models/../../x"):
        with pytest.raises(Unsendable):
            encode(bad)  # an id pasted into a string path is refused, not sent as it came
    server = HostileServer("set-cookie")
    with server as url, _client(url) as client:
        ex = client.request("GET", f"responses/{'x/../../admin'}")
        traversal = client.request("GET", ("responses", "a/../b?c#d"))
        ok = client.request("GET", ("responses", litellm))
        long_id = client.request("DELETE", ("responses", "a" * 1_000_000))
        query = client.request("GET", ("responses", "r", "input_items"), query={"after": "x\r\ny"})
    assert ex.transport_error.startswith("not sent") and ex.response.status is None
    assert traversal.transport_error.startswith("not sent") and traversal.response.status is None
    assert ok.response.status == 200
    assert [r.target for r in server.requests] == [f"/v1/responses/{litellm}"]  # the only one sent
    assert long_id.transport_error.startswith("not sent") and len(long_id.request.path) < 200
    assert query.transport_error.startswith("not sent")


@pytest.mark.parametrize("name", ["redirect-admin", "redirect-elsewhere", "key-in-location"])
def test_redirects_are_recorded_never_followed(name: str) -> None:
    server = HostileServer(name)
    with server as url, _client(url) as client:
        ex = client.request("POST", "responses", body={"model": "m"})
    assert ex.response.status in (301, 302, 307) and any("not followed" in n for n in ex.notes)
    assert [r.path for r in server.requests] == ["/v1/responses"] and server.elsewhere == []
    assert KEY not in json.dumps(ex.response.headers) + " ".join(ex.notes)


def test_no_cookie_is_sent_back() -> None:
    server = HostileServer("set-cookie")
    with server as url, _client(url) as client:
        for _ in range(3):
            client.request("POST", "responses", body={"model": "m"})
    assert len(server.requests) == 3 and not any("cookie" in r.headers for r in server.requests)


def test_echoed_key_is_scrubbed_as_it_arrives() -> None:
    with HostileServer("key-echo-forms") as url, _client(url) as client:
        exs = [client.request("POST", "responses", body={"model": "m", "stream": s}, stream=s) for s in (False, True)]
    for ex in exs:
        recorded = json.dumps([ex.response.headers, ex.response.body, ex.response.sse, ex.response.text])
        assert KEY.removeprefix("sk-") not in recorded and "<redacted>" in recorded


def test_sdk_tier_is_bounded_by_the_same_deadline_caps_and_gate() -> None:
    from conformance.live.scenario import ScenarioContext
    from conformance.live.scenarios.sdk import RecordingTransport, sdk_client

    # The caps' cases get a longer deadline so that a loaded machine still reaches the cap before the deadline.
    for name, expect, deadline in [("slowloris-body", "timeout", 1.0), ("slow-keepalive", "timeout", 1.0),
                                   ("endless-deltas", "exceeded 200 events", 10.0),
                                   ("gzip-bomb", "decoded to more than", 10.0), ("redirect-elsewhere", None, 10.0)]:
        server = HostileServer(name)
        with server as url, _client(url, request_timeout=deadline, limits=SMALL) as client:
            ctx = ScenarioContext(client.target, client, Transcript("sdk.t"))
            sdk = sdk_client(ctx, RecordingTransport(ctx))
            t0 = time.monotonic()
            try:
                with sdk.responses.stream(model="m", input="hi") as s:
                    for _ in s:
                        pass
            except Exception:
                pass  # the SDK's own verdict is the scenario's business; the exchange is ours
            finally:
                sdk.close()
            took = time.monotonic() - t0
        assert took < deadline + 2, (name, took)
        [ex] = ctx.transcript.exchanges
        if expect is None:
            assert ex.response.status == 302 and server.elsewhere == []
        else:
            assert ex.transport_error and expect in ex.transport_error, (name, ex.transport_error)


def test_sdk_tier_waits_at_the_run_wide_gate() -> None:
    from conformance.live.ratelimit import RateBudget
    from conformance.live.scenario import ScenarioContext
    from conformance.live.scenarios.sdk import RecordingTransport, sdk_client

    with HostileServer("429-retry-1-forever") as url:
        target = Target(name="h", base_url=url, model="m", api_key=KEY, request_timeout_s=2, idle_timeout_s=1)
        client = RecordingClient(target, budget=RateBudget(max_in_a_row=2))
        ctx = ScenarioContext(target, client, Transcript("sdk.t"))
        sdk = sdk_client(ctx, RecordingTransport(ctx))
        t0 = time.monotonic()
        with pytest.raises(Exception):
            sdk.responses.create(model="m", input="hi")
        took = time.monotonic() - t0
        ex = client.request("GET", "models")  # the budget is run-wide: spent by the SDK tier, final at once
        sdk.close()
        client.close()
    assert 1.9 < took < 4, took
    [sdk_ex] = ctx.transcript.exchanges
    assert sdk_ex.transport_error and "rate limited" in sdk_ex.transport_error
    assert ex.transport_error and "in a row" in ex.transport_error and time.monotonic() - t0 < 5


def test_mock_transport_still_works() -> None:
    """Tests inject transports: the deadline machinery is skipped for them, everything else applies."""
    target = Target(name="t", base_url="http://example.invalid/v1", model="m")
    t = httpx.MockTransport(lambda r: httpx.Response(200, json={"id": "resp_1", "object": "response"}))
    with RecordingClient(target, transport=t) as client:
        assert client.request("GET", ("responses", "resp_1")).response.body["id"] == "resp_1"


def test_one_client_shared_by_eight_threads() -> None:
    """The run engine shares one client between its workers: each exchange keeps its own deadline, and the
    exchange log is complete."""
    from concurrent.futures import ThreadPoolExecutor

    with HostileServer("trickle-headers") as slow_url, HostileServer("set-cookie") as ok_url:
        slow, ok = _client(slow_url, request_timeout=1.0), _client(ok_url)
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            slow_exs = list(pool.map(lambda _: slow.request("GET", "models"), range(8)))
            ok_exs = list(pool.map(lambda _: ok.request("POST", "responses", body={"model": "m"}), range(40)))
        took = time.monotonic() - t0
        slow.close()
        ok.close()
    assert took < 6, took
    assert all(ex.transport_error and ex.transport_error.startswith("timeout") for ex in slow_exs)
    assert all(ex.response.status == 200 and ex.transport_error is None for ex in ok_exs)
    assert len(slow.exchanges) == 8 and len(ok.exchanges) == 40


def test_only_the_apis_paths_on_the_targets_origin_are_inside() -> None:
    target = Target(name="t", base_url="http://gw.example:8080/openai/v1", model="m")
    with RecordingClient(target, transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        inside = [client.inside_api(httpx.URL(u)) for u in (
            "http://gw.example:8080/openai/v1/responses", "http://gw.example:8080/openai/v1/responses/r%2F..%2Fx",
            "http://gw.example:8080/openai/v1/models", "http://gw.example:8080/openai/v1/responses/r/cancel?x=1")]
        outside = [client.inside_api(httpx.URL(u)) for u in (
            "http://gw.example:8080/openai/v1/admin", "http://gw.example:8080/v1/responses",
            "http://gw.example:8081/openai/v1/responses", "https://gw.example:8080/openai/v1/responses",
            "http://evil.example:8080/openai/v1/responses", "http://gw.example:8080/openai/v1/responsesX",
            "http://gw.example:8080/openai/v1/responses/../admin")]
    assert all(inside) and not any(outside), (inside, outside)
