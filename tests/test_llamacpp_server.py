"""Facts about llama.cpp's real Responses API (xllamacpp wheel + SmolLM2-135M), see docs/llamacpp.md.

Most tests pin a *deviation*. When a newer llama.cpp fixes one, its test fails: update docs/llamacpp.md
and the test together. Sampling is greedy and every request sets a small max_output_tokens.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.live.llamacpp import (
    DEFAULT_ALIAS,
    LlamaCppServer,
    gguf_chat_template,
    smollm2_gguf_path,
    tool_aware_template,
    unavailable_reason,
)

_REASON = unavailable_reason()
pytestmark = [
    pytest.mark.llamacpp,
    pytest.mark.skipif(_REASON is not None, reason=f"llama.cpp server unavailable: {_REASON}"),
]

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "Get weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaCppServer]:
    # Own template without tools, tool instructions with them: with its own template alone llama.cpp drops `tools`.
    with LlamaCppServer(chat_template=tool_aware_template()) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: LlamaCppServer) -> Iterator[httpx.Client]:
    # No keep-alive: after a streamed response llama.cpp sometimes closes the connection without
    # `Connection: close`, and the next request on the pooled connection fails (docs/llamacpp.md).
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=server.base_url, timeout=60.0, trust_env=False, limits=limits) as c:
        yield c


def _events(raw: str) -> list[tuple[str | None, dict[str, Any]]]:
    """(event-name, data) per SSE block; minimal on purpose (the suite's own parser is tested elsewhere)."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    for block in raw.strip().split("\n\n"):
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        out.append((name, json.loads("\n".join(data))))
    return out


def _stream(client: httpx.Client, body: dict[str, Any]) -> tuple[httpx.Response, str]:
    with client.stream("POST", "/responses", json={**body, "stream": True}) as r:
        return r, r.read().decode()


def test_launcher_exposes_base_url_and_model(server: LlamaCppServer, client: httpx.Client) -> None:
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    assert server.model == DEFAULT_ALIAS
    assert server.startup_s is not None and server.startup_s < 30
    models = client.get("/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == DEFAULT_ALIAS
    assert "models" in models  # extra Ollama-style list beside OpenAI's `data`


SMOLLM2_PROMPT = ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                  "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf(path: Path, kvs: list[tuple[str, int, bytes]]) -> Path:
    body = b"".join(_gguf_string(k) + struct.pack("<I", kind) + value for k, kind, value in kvs)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + body)
    return path


def test_gguf_chat_template_reads_the_header(tmp_path: Path) -> None:
    vocab = struct.pack("<IQ", 8, 2) + _gguf_string("<|im_start|>") + _gguf_string("hi")  # array of strings
    ids = struct.pack("<IQ", 5, 3) + struct.pack("<3i", 1, 2, 3)  # array of int32
    before = [("general.name", 8, _gguf_string("m")), ("tokenizer.ggml.tokens", 9, vocab),
              ("tokenizer.ggml.token_type", 9, ids), ("general.alignment", 4, struct.pack("<I", 32))]
    with_template = _gguf(tmp_path / "a.gguf", [*before, ("tokenizer.chat_template", 8, _gguf_string("{{ x }}"))])
    assert gguf_chat_template(with_template) == "{{ x }}"
    assert gguf_chat_template(_gguf(tmp_path / "b.gguf", before)) is None
    (tmp_path / "c.gguf").write_bytes(b"GGML")
    with pytest.raises(ValueError):
        gguf_chat_template(tmp_path / "c.gguf")
    own = gguf_chat_template(smollm2_gguf_path())
    assert own is not None and own in tool_aware_template()


def test_template_is_smollm2s_own_without_tools_and_adds_tools_with_them(
    server: LlamaCppServer, client: httpx.Client
) -> None:
    caps = client.get(server.root_url + "/props").json()["chat_template_caps"]
    assert caps["supports_tools"] and caps["supports_tool_calls"]  # llama.cpp parses tool calls with it
    messages = [{"role": "user", "content": "hi"}]
    plain = client.post(server.root_url + "/apply-template", json={"messages": messages}).json()["prompt"]
    assert plain == SMOLLM2_PROMPT  # exactly what SmolLM2's own template renders, default system prompt included
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL["parameters"]}}]
    with_tools = client.post(server.root_url + "/apply-template", json={"messages": messages, "tools": tools})
    prompt = with_tools.json()["prompt"]
    assert "<tools>" in prompt and "get_weather" in prompt and "<tool_call>" in prompt
    assert prompt.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_token_limit_is_reported_as_completed(client: httpx.Client) -> None:
    body = client.post("/responses", json={"model": DEFAULT_ALIAS, "input": "Say hello.", "max_output_tokens": 6}).json()
    assert body["usage"]["output_tokens"] == 6  # the limit was hit...
    assert body["status"] == "completed"  # ...but OpenAI would say "incomplete"
    assert "incomplete_details" not in body
    assert body["output"][0]["status"] == "completed"
    # Fields OpenAI always returns that llama.cpp leaves out.
    for key in ("max_output_tokens", "tools", "tool_choice", "text", "instructions", "error", "metadata"):
        assert key not in body, key


def test_stream_framing_lacks_sequence_and_indexes(client: httpx.Client) -> None:
    r, raw = _stream(client, {"model": DEFAULT_ALIAS, "input": "Say hello.", "max_output_tokens": 5})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"  # no "; charset=utf-8"
    assert "[DONE]" not in raw
    events = _events(raw)
    assert all(name == data["type"] for name, data in events)  # `event:` lines present and equal to type
    types = [d["type"] for _, d in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "response.output_text.done" in types and "response.content_part.done" in types
    for _, d in events:
        assert "sequence_number" not in d
        assert "output_index" not in d
        assert "content_index" not in d
    delta = next(d for _, d in events if d["type"] == "response.output_text.delta")
    assert delta["item_id"].startswith("msg_")
    created = events[0][1]["response"]
    assert set(created) == {"id", "object", "status"}  # no created_at, model, output, usage
    assert "timings" in events[-1][1]  # llama.cpp extra beside `response`
    assert events[-1][1]["response"]["status"] == "completed"  # 5 tokens = the limit, still "completed"


def test_text_format_is_ignored(client: httpx.Client) -> None:
    base = {"model": DEFAULT_ALIAS, "input": "Write a poem.", "max_output_tokens": 12}
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "enum": ["ZQX-7741"]}},
        "required": ["code"],
        "additionalProperties": False,
    }
    plain = client.post("/responses", json=base).json()
    strict = client.post(
        "/responses",
        json={**base, "text": {"format": {"type": "json_schema", "name": "c", "schema": schema, "strict": True}}},
    )
    bogus = client.post("/responses", json={**base, "text": {"format": {"type": "bogus"}}})
    assert strict.status_code == 200 and bogus.status_code == 200  # not even the unknown type is refused
    text = strict.json()["output"][0]["content"][0]["text"]
    assert text == plain["output"][0]["content"][0]["text"]  # greedy: same text as without a format
    assert "ZQX-7741" not in text


def test_previous_response_id_is_refused_with_400(client: httpx.Client) -> None:
    first = client.post("/responses", json={"model": DEFAULT_ALIAS, "input": "hi", "max_output_tokens": 2}).json()
    r = client.post(
        "/responses",
        json={"model": DEFAULT_ALIAS, "input": "again", "max_output_tokens": 2, "previous_response_id": first["id"]},
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert err["code"] == 400  # an int, where OpenAI sends a string or null
    assert "param" not in err
    assert "previous_response_id" in err["message"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("DELETE", ""), ("GET", "/input_items"), ("POST", "/cancel")],
)
def test_stored_response_routes_do_not_exist(client: httpx.Client, method: str, suffix: str) -> None:
    r = client.request(method, f"/responses/resp_0123456789{suffix}")
    assert r.status_code == 404
    assert r.json() == {"error": {"message": "File Not Found", "type": "not_found_error", "code": 404}}


def test_unknown_model_and_background_are_accepted_silently(client: httpx.Client) -> None:
    r = client.post(
        "/responses", json={"model": "no-such-model", "input": "hi", "max_output_tokens": 2, "background": True}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == DEFAULT_ALIAS  # answered by the loaded model, not refused
    assert body["status"] == "completed" and "background" not in body  # ran in the foreground


def test_missing_input_is_a_400(client: httpx.Client) -> None:
    r = client.post("/responses", json={"model": DEFAULT_ALIAS, "max_output_tokens": 2})
    assert r.status_code == 400
    assert r.json() == {"error": {"code": 400, "message": "'input' is required", "type": "invalid_request_error"}}


def test_chat_completions_shaped_tools_are_a_500(client: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
    r = client.post("/responses", json={"model": DEFAULT_ALIAS, "input": "hi", "max_output_tokens": 2, "tools": [tool]})
    assert r.status_code == 500  # OpenAI: 400 missing_required_parameter tools[0].name
    assert r.json()["error"]["type"] == "server_error"


def test_streamed_function_calls(client: httpx.Client) -> None:
    # A 135M model will not start a tool call by itself, so we pre-fill the assistant turn with the
    # opening of one; llama.cpp continues it and parses the calls. Greedy: two calls, the second cut by
    # the token limit.
    prefill = '<tool_call>\n{"name": "get_weather", "arguments": '
    body = {
        "model": DEFAULT_ALIAS,
        "max_output_tokens": 40,
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": prefill}]},
        ],
    }
    r, raw = _stream(client, body)
    assert r.status_code == 200
    types = [d["type"] for _, d in _events(raw)]
    events = [d for _, d in _events(raw)]
    assert "response.function_call_arguments.delta" in types
    assert "response.function_call_arguments.done" not in types  # never sent
    # Both items are added before either is done: output_item.done events all come at the end.
    first_done = types.index("response.output_item.done")
    assert types.count("response.output_item.added") == 2
    assert all(t in ("response.output_item.done", "response.completed") for t in types[first_done:])
    final = events[-1]["response"]
    assert final["status"] == "completed"
    calls = final["output"]
    assert [c["type"] for c in calls] == ["function_call", "function_call"]
    assert calls[0]["name"] == "get_weather" and json.loads(calls[0]["arguments"]) == {"city": "Paris"}
    # The second call was truncated by the token limit: invalid JSON, yet "completed" everywhere.
    with pytest.raises(json.JSONDecodeError):
        json.loads(calls[1]["arguments"])
    assert calls[1]["status"] == "completed"
