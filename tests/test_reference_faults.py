"""Every fault and profile of the reference server changes its traffic, as intended; docs/faults.md is current."""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conformance.cli import main as cli_main
from conformance.reference import FAULTS, PROFILES, ReferenceServer, UnknownName

DOCS = Path(__file__).resolve().parent.parent / "docs" / "faults.md"
MODEL = "reference-echo"
WEATHER = {"type": "function", "name": "get_weather", "description": "Weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                          "additionalProperties": False}, "strict": True}
CLOCK = {"type": "function", "name": "get_time", "parameters": {"type": "object", "properties": {}}}
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}

_IDS = re.compile(r"\b(?:resp|msg|fc|fco|ctc|conv|cmp|rs)_[0-9a-f]{50}\b|\bcall_[A-Za-z0-9]{24}\b")
_VOLATILE = re.compile(r'"(created_at|completed_at|obfuscation|encrypted_content)":\s*("[^"]*"|\d+)')


def _normalise(text: str) -> str:
    """Replace ids (numbered by first appearance), timestamps and padding so two runs compare equal."""
    seen: dict[str, str] = {}
    text = _IDS.sub(lambda m: seen.setdefault(m.group(0), f"<id{len(seen)}>"), text)
    return _VOLATILE.sub(lambda m: f'"{m.group(1)}":"<x>"', text)


def _record(out: list[str], label: str, resp: httpx.Response) -> httpx.Response:
    out.append(f"## {label} {resp.status_code} {resp.headers.get('content-type')} {resp.headers.get('retry-after')}")
    out.append(resp.text)
    return resp


def _traffic(base: str) -> str:
    """One run of probes covering every feature a fault can touch, as normalised text."""
    out: list[str] = []
    with httpx.Client(base_url=base, timeout=httpx.Timeout(5.0, read=1.0), transport=_Dropped()) as http:
        def post(label: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
            return _record(out, label, http.post("/responses", json={"model": MODEL, **body}, **kw))

        def stream(label: str, method: str, url: str, **kw: Any) -> None:
            try:
                with http.stream(method, url, **kw) as resp:
                    head = f"## {label} {resp.status_code} {resp.headers.get('content-type')}"
                    text = ""
                    try:
                        for chunk in resp.iter_text():
                            text += chunk
                    except httpx.ReadTimeout:
                        text += "\n<read timeout>"
                    except (httpx.RemoteProtocolError, httpx.ReadError):
                        text += "\n<connection dropped>"
                    out.extend([head, text])
            except httpx.ReadTimeout:
                out.append(f"## {label} <read timeout>")

        stream("text-cut", "POST", "/responses", json={"model": MODEL, "input": "count to 30", "stream": True,
                                                      "max_output_tokens": 16})
        stream("call", "POST", "/responses", json={"model": MODEL, "input": "weather", "stream": True,
                                                  "tools": [WEATHER], "tool_choice": {"type": "function",
                                                                                      "name": "get_weather"}})
        stream("fail", "POST", "/responses", json={"model": MODEL, "input": "SIMULATE-SERVER-ERROR", "stream": True})
        first = post("plain", {"input": [{"role": "user", "content": "Remember ZEBRA-123"},
                                         {"role": "developer", "content": "and this"}],
                               "instructions": "Say LION-456", "max_output_tokens": 16})
        rid = first.json().get("id", "none") if first.headers.get("content-type", "").startswith("application/json") else "none"
        post("chain", {"input": "What was it?", "previous_response_id": rid})
        _record(out, "retrieve", http.get(f"/responses/{rid}"))
        _record(out, "items", http.get(f"/responses/{rid}/input_items", params={"limit": 1, "order": "asc"}))
        _record(out, "items-desc", http.get(f"/responses/{rid}/input_items"))
        _record(out, "cancel-fg", http.post(f"/responses/{rid}/cancel"))
        _record(out, "delete", http.delete(f"/responses/{rid}"))
        post("schema", {"input": "Bob", "text": {"format": {"type": "json_schema", "name": "P", "schema": SCHEMA,
                                                            "strict": True}}})
        post("none", {"input": "get_weather please", "tools": [WEATHER], "tool_choice": "none"})
        post("required", {"input": "anything", "tools": [WEATHER, CLOCK], "tool_choice": "required"})
        calls = post("serial", {"input": "get_weather and get_time", "tools": [WEATHER, CLOCK],
                                "parallel_tool_calls": False})
        call = (calls.json().get("output") or [{}])[0] if calls.status_code == 200 else {}
        if call.get("type") == "function_call":
            post("tool-output", {"previous_response_id": calls.json().get("id"), "tools": [WEATHER, CLOCK],
                                 "input": [{"type": "function_call_output", "call_id": call["call_id"],
                                            "output": "sunny OTTER-777"}]})
        if call.get("type") == "function_call":
            post("manual", {"input": [{"role": "user", "content": "hi"}, *calls.json()["output"],
                                      {"type": "function_call_output", "call_id": call["call_id"], "output": "ok"},
                                      {"role": "assistant", "content": "done"}], "tools": [WEATHER, CLOCK]})
        post("chat-tool", {"input": "hi", "tools": [{"type": "function", "function": {"name": "f"}}]})
        post("unknown-model", {"model": "nope", "input": "hi"})
        bg = post("background", {"input": "count to 20", "background": True})
        if bg.status_code == 200 and bg.json().get("background") and "id" in bg.json():
            stream("resume", "GET", f"/responses/{bg.json()['id']}", params={"stream": "true", "starting_after": 2})
            _record(out, "bg-retrieve", http.get(f"/responses/{bg.json()['id']}"))
            _record(out, "bg-cancel", http.post(f"/responses/{bg.json()['id']}/cancel"))
        stream("bg-stream", "POST", "/responses", json={"model": MODEL, "input": "count to 5", "stream": True,
                                                       "background": True})
        found = re.search(r'"id":\s*"(resp_[0-9a-f]+)"', out[-1])
        if found:
            stream("bg-resume", "GET", f"/responses/{found.group(1)}", params={"stream": "true", "starting_after": 2})
        _surface_traffic(http, post, out)
        _tools_of_today_traffic(post, stream, out)
        _reasoning_traffic(post, stream)
    _socket_traffic(base, out)
    with httpx.Client(base_url=base, timeout=httpx.Timeout(5.0, read=2.0), transport=_Dropped()) as http:
        _abandon_traffic(http, out)  # last: a server it harms may stay busy for a while
    return _normalise("\n".join(out))


class _Dropped(httpx.HTTPTransport):
    """A connection the server drops unanswered becomes a 599 answer in the traffic, not an exception.

    The drop reaches the client as a clean close (RemoteProtocolError) or, when the kernel answers the request's
    bytes with a reset, as ECONNRESET (ReadError); which one depends on timing, so both count."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            return httpx.Response(599, json={"dropped": str(exc)}, request=request)


def _abandon_traffic(http: httpx.Client, out: list[str]) -> None:
    """A stream left after its first bytes, then a create on the same client."""
    body = {"model": MODEL, "input": "count to 30", "stream": True, "max_output_tokens": 16}
    try:
        with http.stream("POST", "/responses", json=body) as resp:
            next(resp.iter_raw(), None)
        _record(out, "after-abandon", http.post("/responses", json={"model": MODEL, "input": "hi"}))
    except httpx.ReadTimeout:
        out.append("## after-abandon <read timeout>")


PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
TEXT_FILE = "data:text/plain;base64," + base64.b64encode(b"The code word is FILE-424242.").decode()


def _surface_traffic(http: httpx.Client, post: Any, out: list[str]) -> None:
    """compact, input_tokens, conversations, image and file input, six creates at once, two streams at once."""
    history = [{"role": "user", "content": "Keep ZEBRA-123"}, {"role": "assistant", "content": "OK"}]
    compacted = _record(out, "compact", http.post("/responses/compact", json={"model": MODEL, "input": history}))
    if compacted.status_code == 200:
        post("after-compact", {"input": [*compacted.json()["output"], {"role": "user", "content": "again"}]})
    for label, text in (("tokens-short", "hi"), ("tokens-long", "hi there " * 50)):
        _record(out, label, http.post("/responses/input_tokens", json={"model": MODEL, "input": text}))
    conv = _record(out, "conversation", http.post("/conversations", json={}))
    cid = conv.json().get("id") if conv.status_code == 200 else None
    if isinstance(cid, str):
        first = post("conv-turn1", {"input": "Remember OTTER-555", "conversation": cid})
        post("conv-turn2", {"input": "What was it?", "conversation": cid})
        _record(out, "conv-items", http.get(f"/conversations/{cid}/items", params={"order": "asc"}))
        if first.status_code == 200:
            post("conv-both", {"input": "x", "conversation": cid,
                               "previous_response_id": first.json().get("id", "none")})
        _record(out, "conv-delete", http.delete(f"/conversations/{cid}"))
    post("image", {"input": [{"role": "user", "content": [{"type": "input_text", "text": "see"},
                                                         {"type": "input_image", "image_url": PNG}]}]})
    post("file", {"input": [{"role": "user", "content": [{"type": "input_text", "text": "read"},
                                                        {"type": "input_file", "filename": "a.txt",
                                                         "file_data": TEXT_FILE}]}]})
    bodies = [{"model": MODEL, "instructions": "Repeat the code word.", "input": f"Code word PAR-{100 + i}.",
               "metadata": {"n": str(i)}} for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: http.post("/responses", json=b), bodies))
    for i, answer in enumerate(answers):
        _record(out, f"parallel-{i}", answer)
    def read_stream(body: dict[str, Any]) -> httpx.Response:
        try:
            return http.post("/responses", json=body)
        except httpx.TransportError as exc:  # a stream that hangs or breaks off half-way
            return httpx.Response(598, text=f"<{exc.__class__.__name__}>")

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(read_stream, [{**b, "stream": True} for b in bodies[:2]]))
    for i, answer in enumerate(answers):
        _record(out, f"parallel-stream-{i}", answer)


def _reasoning_traffic(post: Any, stream: Any) -> None:
    """Reasoning streamed and plain, its encrypted items passed back, and a continuation of a reasoning turn."""
    asked = {"effort": "low", "summary": "auto"}
    stream("reasoning-stream", "POST", "/responses", json={"model": MODEL, "input": "2 + 2?", "stream": True,
                                                          "reasoning": asked})
    first = post("reasoning", {"input": "Remember IBIS-777.", "reasoning": asked,
                               "include": ["reasoning.encrypted_content"]})
    if first.status_code == 200:
        output = first.json().get("output", [])
        post("reasoning-back", {"input": [*output, {"role": "user", "content": "again"}], "reasoning": asked})
        post("reasoning-continued", {"input": "code?", "previous_response_id": first.json().get("id")})


def _tools_of_today_traffic(post: Any, stream: Any, out: list[str]) -> None:
    """Custom tools, allowed_tools, tool outputs as arrays, max_tool_calls, a stored round trip continued,
    echoed parameters, logprobs, no obfuscation, phase, a schema with $defs."""
    custom = {"type": "custom", "name": "run_python"}
    stream("custom", "POST", "/responses", json={"model": MODEL, "input": "print 5", "stream": True,
                                                "tools": [custom, WEATHER],
                                                "tool_choice": {"type": "custom", "name": "run_python"}})
    post("allowed", {"input": "get_weather please", "tools": [WEATHER, CLOCK], "tool_choice": {
        "type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "get_time"}]}})
    call = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"}
    array = [{"type": "input_text", "text": "sunny HERON-321"}]
    post("array-output", {"input": [call, {"type": "function_call_output", "call_id": "call_1", "output": array}],
                          "tools": [WEATHER], "max_tool_calls": 1})
    first = post("stored-trip", {"input": [call, {"type": "function_call_output", "call_id": "call_1",
                                                  "output": "sunny CRANE-654"}, {"role": "user", "content": "n?"}]})
    if first.status_code == 200:
        post("after-trip", {"input": "code?", "previous_response_id": first.json().get("id")})
    post("echo", {"input": "hi", "temperature": 0.5, "top_p": 0.9, "truncation": "auto", "prompt_cache_key": "k",
                  "prompt_cache_retention": "24h", "safety_identifier": "s", "service_tier": "default"})
    post("logprobs", {"input": "hi", "top_logprobs": 2, "include": ["message.output_text.logprobs"]})
    stream("no-obfuscation", "POST", "/responses", json={"model": MODEL, "input": "hi", "stream": True,
                                                        "stream_options": {"include_obfuscation": False}})
    post("phase", {"input": [{"role": "assistant", "content": "hm", "phase": "commentary"},
                             {"role": "user", "content": "hi"}]})
    defs = {"type": "object", "properties": {"p": {"$ref": "#/$defs/n"}}, "required": ["p"],
            "additionalProperties": False, "$defs": {"n": {"type": ["string", "null"]}}}
    post("defs-schema", {"input": "x", "text": {"format": {"type": "json_schema", "name": "d", "schema": defs,
                                                           "strict": True}}})


def _socket_traffic(base: str, out: list[str]) -> None:
    """WebSocket mode: a store: false chain, another socket reaching it, an invalid create continuing it, the
    continuation after that, an unknown previous_response_id and a new chain (bounded waits)."""
    url = base.replace("http://", "ws://") + "/responses"

    def turn(ws: Any, event: dict[str, Any]) -> str:
        ws.send(json.dumps({"type": "response.create", "model": MODEL, "store": False, **event}))
        got = []
        while True:
            message = ws.recv(timeout=2)
            got.append(message)
            kind = json.loads(message).get("type")
            if kind in ("response.completed", "response.incomplete", "response.failed", "error"):
                return "\n".join(got)

    def rid(text: str) -> str:
        found = re.search(r'"id":\s*"(resp_[0-9a-f]+)"', text)
        return found.group(1) if found else "none"

    try:
        with connect(url, open_timeout=2, close_timeout=1) as ws:
            first = turn(ws, {"input": "Remember ZEBRA-999"})
            out.append("## ws-turn1\n" + first)
            second = turn(ws, {"input": "Recall", "previous_response_id": rid(first)})
            out.append("## ws-turn2\n" + second)
            with connect(url, open_timeout=2, close_timeout=1) as other:
                out.append("## ws-other\n" + turn(other, {"input": "Recall", "previous_response_id": rid(second)}))
            out.append("## ws-invalid\n" + turn(ws, {"input": 42, "previous_response_id": rid(second)}))
            out.append("## ws-evicted\n" + turn(ws, {"input": "hi", "previous_response_id": rid(second)}))
            out.append("## ws-unknown\n" + turn(ws, {"input": "hi", "previous_response_id": "resp_0"}))
            out.append("## ws-after\n" + turn(ws, {"input": "hi"}))
    except InvalidStatus as exc:
        out.append(f"## ws-refused {exc.response.status_code}")
    except ConnectionClosed as exc:
        out.append(f"## ws-closed {exc.rcvd.code if exc.rcvd else None}")
    except TimeoutError:
        out.append("## ws-timeout")


@pytest.fixture(scope="module")
def clean_traffic() -> str:
    with ReferenceServer() as srv:
        first = _traffic(srv.base_url)
    with ReferenceServer() as srv:
        assert _traffic(srv.base_url) == first, "the clean server's traffic is not deterministic"
    return first


def test_clean_traffic_has_no_surprises(clean_traffic: str) -> None:
    assert "<read timeout>" not in clean_traffic
    assert "[DONE]" not in clean_traffic


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_changes_traffic(name: str, clean_traffic: str) -> None:
    with ReferenceServer(faults=[name]) as srv:
        assert _traffic(srv.base_url) != clean_traffic, f"fault {name} did not change the traffic"


@pytest.mark.parametrize("name", sorted(n for n in PROFILES if n != "gateway"))
def test_profile_changes_traffic(name: str, clean_traffic: str) -> None:
    with ReferenceServer(profile=name) as srv:
        assert _traffic(srv.base_url) != clean_traffic


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]


def _stream(base: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{base}/responses", json={"model": MODEL, "stream": True, **body}, timeout=5)


def test_every_fault_is_documented() -> None:
    # docs/faults.md itself, with its measured "caught by" column, is kept current by tests/test_kill_matrix.py.
    doc = DOCS.read_text()
    for fault in FAULTS.values():
        assert f"| `{fault.name}` |" in doc, f"docs/faults.md lacks {fault.name}: run python -m conformance.killmatrix --write"
        assert fault.description and fault.deviation


def test_real_world_faults_cover_design_section_6() -> None:
    real = [f for f in FAULTS.values() if f.deviation != "synthetic"]
    assert len(real) >= 20


def test_unknown_names_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(UnknownName, match="valid faults: .*vllm-store-disabled"):
        ReferenceServer(faults=["no-such-fault"])
    with pytest.raises(UnknownName, match="valid profiles: .*trtllm"):
        ReferenceServer(profile="no-such-profile")


def test_serve_command_exits_2_on_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--fault", "no-such-fault"]) == 2
    assert "valid faults:" in capsys.readouterr().err
    assert cli_main(["serve", "--profile", "nope"]) == 2


def test_instructions_leak_and_stateless_move_the_nonce() -> None:
    def recall(faults: list[str]) -> str:
        with ReferenceServer(faults=faults) as srv:
            first = httpx.post(f"{srv.base_url}/responses", json={
                "model": MODEL, "input": "I am ZEBRA-123", "instructions": "Secret LION-456"}).json()
            second = httpx.post(f"{srv.base_url}/responses", json={
                "model": MODEL, "input": "Recall", "previous_response_id": first["id"]}).json()
            return second["output"][0]["content"][0]["text"]

    assert "ZEBRA-123" in recall([]) and "LION-456" not in recall([])
    assert "LION-456" in recall(["vllm-instructions-leak"])
    assert "ZEBRA-123" not in recall(["ollama-stateless"])


def test_framing_faults() -> None:
    with ReferenceServer(faults=["openrouter-no-event-lines", "openrouter-done-marker"]) as srv:
        text = _stream(srv.base_url, input="hi").text
        assert "event:" not in text and text.endswith("data: [DONE]\n\n")
    with ReferenceServer(faults=["wrong-content-type"]) as srv:
        assert _stream(srv.base_url, input="hi").headers["content-type"].startswith("application/json")


def test_error_body_faults() -> None:
    bodies = {}
    for name in ("trtllm-error-body", "xai-error-body", "fastapi-detail-error", "vllm-int-error-code"):
        with ReferenceServer(faults=[name]) as srv:
            bodies[name] = httpx.post(f"{srv.base_url}/responses", json={"model": "nope", "input": "x"}).json()
    assert bodies["trtllm-error-body"]["object"] == "error" and bodies["trtllm-error-body"]["code"] == 400
    assert set(bodies["xai-error-body"]) == {"code", "error"}
    assert set(bodies["fastapi-detail-error"]) == {"detail"}
    assert bodies["vllm-int-error-code"]["error"]["code"] == 400


def test_sequence_and_index_faults() -> None:
    with ReferenceServer(faults=["llamacpp-no-sequence-number", "llamacpp-no-indexes"]) as srv:
        events = _events(_stream(srv.base_url, input="hi").text)
        assert all("sequence_number" not in e and "output_index" not in e for e in events)
    with ReferenceServer(faults=["trtllm-seq-restart"]) as srv:
        numbers = [e["sequence_number"] for e in _events(_stream(srv.base_url, input="hi").text)]
        assert numbers.count(0) == 2


def test_idle_hang_stalls_until_the_client_gives_up() -> None:
    with ReferenceServer(faults=["stream-idle-hang"]) as srv:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{srv.base_url}/responses", json={"model": MODEL, "input": "count to 20", "stream": True},
                       timeout=httpx.Timeout(5.0, read=0.3))


def test_trtllm_profile_refuses_prompt_templates() -> None:
    with ReferenceServer(profile="trtllm") as srv:
        resp = httpx.post(f"{srv.base_url}/responses", json={"model": MODEL, "input": "x", "prompt": {"id": "p"}})
        assert resp.status_code == 400 and resp.json()["message"] == "prompt template is not supported"


def test_gateway_profile_needs_the_provider_header_and_accepts_chat_tools() -> None:
    chat_tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    body = {"model": MODEL, "input": "get_weather", "tools": [chat_tool], "tool_choice": "required"}
    with ReferenceServer(profile="gateway") as srv:
        refused = httpx.post(f"{srv.base_url}/responses", json=body)
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "x-tfy-provider-name"
        assert srv.required_headers == {"x-tfy-provider-name": "reference"}
        ok = httpx.post(f"{srv.base_url}/responses", json=body, headers=srv.required_headers)
        assert ok.status_code == 200 and ok.json()["output"][0]["name"] == "get_weather"


def test_seed003_profile_pings_renames_deltas_and_rate_limits() -> None:
    with ReferenceServer(profile="seed-003") as srv:
        text = _stream(srv.base_url, input="get_time", tools=[CLOCK], tool_choice="required").text
        types = [e["type"] for e in _events(text)]
        assert "response.ping" in types and "response.tool_call.delta" in types
        statuses = [httpx.post(f"{srv.base_url}/responses", json={"model": MODEL, "input": "x"}) for _ in range(3)]
        limited = [r for r in statuses if r.status_code == 429]
        assert len(limited) == 1 and limited[0].headers["retry-after"] == "1"
