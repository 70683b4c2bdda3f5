"""The clean reference server, driven by httpx and by the official openai client."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import httpx
import pytest
from openai import BadRequestError, NotFoundError, OpenAI
from pydantic import BaseModel

from conformance.reference import ReferenceServer

MODEL = "reference-echo"
WEATHER = {"type": "function", "name": "get_weather", "description": "Weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                           "unit": {"type": "string", "enum": ["c", "f"]}},
                          "required": ["city", "unit"], "additionalProperties": False}, "strict": True}
CLOCK = {"type": "function", "name": "get_time", "parameters": {"type": "object", "properties": {}}}


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: ReferenceServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key="x", max_retries=0)


@pytest.fixture(scope="module")
def http(server: ReferenceServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5) as c:
        yield c


def create(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/responses", json={"model": MODEL, **body})


def sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event line, data) pairs; asserts OpenAI's framing on the way."""
    assert not text.startswith(":") and "[DONE]" not in text
    pairs = []
    for block in text.split("\n\n")[:-1]:
        lines = block.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), block
        data = json.loads(lines[1][6:])
        assert lines[0][7:] == data["type"]
        pairs.append((lines[0][7:], data))
    assert text.endswith("\n\n")
    return pairs


# Models and plain responses -------------------------------------------------------------------------------

def test_models_lists_the_reference_model(client: OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]


def test_plain_response_has_every_field_openai_sends(http: httpx.Client) -> None:
    body = create(http, input="Hello").json()
    for key in ("id", "object", "created_at", "status", "background", "billing", "completed_at", "error",
                "incomplete_details", "instructions", "max_output_tokens", "model", "output", "parallel_tool_calls",
                "previous_response_id", "reasoning", "service_tier", "store", "temperature", "text", "tool_choice",
                "tools", "top_p", "truncation", "usage", "user", "metadata"):
        assert key in body, key
    assert body["id"].startswith("resp_") and len(body["id"]) == 55
    assert body["user"] is None and body["status"] == "completed"
    item = body["output"][0]
    assert item["id"].startswith("msg_") and item["role"] == "assistant"
    assert item["content"] == [{"type": "output_text", "annotations": [], "logprobs": [], "text": "You said: Hello"}]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_sdk_create_retrieve_input_items_delete(client: OpenAI) -> None:
    resp = client.responses.create(model=MODEL, input=[{"role": "developer", "content": "Be terse"},
                                                       {"role": "user", "content": "First"}])
    assert client.responses.retrieve(resp.id).output_text == resp.output_text
    items = client.responses.input_items.list(resp.id)
    assert [i.role for i in items.data] == ["user", "developer"]  # newest first by default
    deleted = client.responses.delete(resp.id)
    assert deleted is None or getattr(deleted, "deleted", True)
    with pytest.raises(NotFoundError):
        client.responses.retrieve(resp.id)


def test_delete_body_and_then_404(http: httpx.Client) -> None:
    rid = create(http, input="x").json()["id"]
    assert http.delete(f"/responses/{rid}").json() == {"id": rid, "object": "response.deleted", "deleted": True}
    gone = http.get(f"/responses/{rid}")
    assert gone.status_code == 404
    assert gone.json() == {"error": {"message": f"Response with id '{rid}' not found.", "type": "invalid_request_error",
                                     "param": None, "code": None}}
    assert http.delete(f"/responses/{rid}").status_code == 404


def test_input_items_pagination(http: httpx.Client) -> None:
    rid = create(http, input=[{"role": "user", "content": t} for t in ("a", "b", "c")]).json()["id"]
    page = http.get(f"/responses/{rid}/input_items", params={"limit": 2, "order": "asc"}).json()
    assert [i["content"][0]["text"] for i in page["data"]] == ["a", "b"] and page["has_more"] is True
    assert page["first_id"] == page["data"][0]["id"] and page["last_id"] == page["data"][1]["id"]
    rest = http.get(f"/responses/{rid}/input_items",
                    params={"limit": 2, "order": "asc", "after": page["last_id"]}).json()
    assert [i["content"][0]["text"] for i in rest["data"]] == ["c"] and rest["has_more"] is False
    desc = http.get(f"/responses/{rid}/input_items").json()
    assert [i["content"][0]["text"] for i in desc["data"]] == ["c", "b", "a"]
    assert http.get(f"/responses/{rid}/input_items", params={"order": "up"}).status_code == 400


def test_store_false_is_not_retrievable_nor_a_previous_response(http: httpx.Client) -> None:
    body = create(http, input="x", store=False).json()
    assert body["store"] is False
    assert http.get(f"/responses/{body['id']}").status_code == 404
    err = create(http, input="y", previous_response_id=body["id"])
    assert err.status_code == 400
    assert err.json()["error"] == {"message": f"Previous response with id '{body['id']}' not found.",
                                   "type": "invalid_request_error", "param": "previous_response_id",
                                   "code": "previous_response_not_found"}


def test_previous_response_carries_context_but_not_instructions(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, input="My word is ZEBRA-4821", instructions="Also LION-777")
    assert "LION-777" in first.output_text and "ZEBRA-4821" in first.output_text
    second = client.responses.create(model=MODEL, input="What was it?", previous_response_id=first.id)
    assert "ZEBRA-4821" in second.output_text and "LION-777" not in second.output_text
    assert second.previous_response_id == first.id and second.instructions is None


# Streaming --------------------------------------------------------------------------------------------------

def test_stream_framing_and_grammar(http: httpx.Client) -> None:
    resp = create(http, input="count to 5", stream=True)
    assert resp.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = [data for _, data in sse(resp.text)]
    types = [e["type"] for e in events]
    assert types == ["response.created", "response.in_progress", "response.output_item.added",
                     "response.content_part.added"] + ["response.output_text.delta"] * 5 + [
                     "response.output_text.done", "response.content_part.done", "response.output_item.done",
                     "response.completed"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[0]["response"]["usage"] is None and events[0]["response"]["user"] is None
    item_id = events[2]["item"]["id"]
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert all(d["item_id"] == item_id and d["output_index"] == 0 and d["content_index"] == 0 for d in deltas)
    text = "".join(d["delta"] for d in deltas)
    assert text == "1 2 3 4 5" == events[-4]["text"] == events[-3]["part"]["text"]
    assert events[-1]["response"]["output"] == [events[-2]["item"]]
    assert {e["response"]["id"] for e in events if "response" in e} == {events[0]["response"]["id"]}


def test_sdk_stream_accumulator_accepts_text_and_tool_streams(client: OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="count to 12") as stream:
        final = stream.get_final_response()
    assert final.output_text == " ".join(str(n) for n in range(1, 13))
    with client.responses.stream(model=MODEL, input="get_weather and get_time", tools=[WEATHER, CLOCK]) as stream:
        final = stream.get_final_response()
    assert [o.name for o in final.output] == ["get_weather", "get_time"]


def test_function_call_stream_done_has_no_name(http: httpx.Client) -> None:
    events = [d for _, d in sse(create(http, input="x", stream=True, tools=[WEATHER], tool_choice="required").text)]
    done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert "name" not in done
    added = next(e for e in events if e["type"] == "response.output_item.added")["item"]
    assert added["id"].startswith("fc_") and added["call_id"].startswith("call_") and added["arguments"] == ""
    args = "".join(e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta")
    assert args == done["arguments"] and json.loads(args) == {"city": "text", "unit": "c"}


def test_max_output_tokens_gives_incomplete(http: httpx.Client, client: OpenAI) -> None:
    events = [d for _, d in sse(create(http, input="count to 50", stream=True, max_output_tokens=16).text)]
    assert events[-1]["type"] == "response.incomplete"
    final = events[-1]["response"]
    assert final["status"] == "incomplete" and final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][0]["status"] == "incomplete" and final["usage"]["output_tokens"] == 16
    body = client.responses.create(model=MODEL, input="count to 50", max_output_tokens=16)
    assert body.status == "incomplete" and body.output_text == " ".join(str(n) for n in range(1, 17))


def test_failed_stream_ends_with_response_failed(http: httpx.Client) -> None:
    events = [d for _, d in sse(create(http, input="SIMULATE-SERVER-ERROR", stream=True).text)]
    assert events[-1]["type"] == "response.failed" and events[-1]["response"]["error"]["code"] == "server_error"
    plain = create(http, input="SIMULATE-SERVER-ERROR")
    assert plain.status_code == 500 and plain.json()["error"]["type"] == "server_error"


# Structured output and tools ------------------------------------------------------------------------------

class Person(BaseModel):
    name: str
    age: int
    tags: list[str]
    nickname: str | None


def test_sdk_parse_fills_the_schema(client: OpenAI) -> None:
    parsed = client.responses.parse(model=MODEL, input="Extract QUAIL-314", text_format=Person).output_parsed
    assert isinstance(parsed, Person) and parsed.name == "QUAIL-314" and parsed.tags == ["QUAIL-314"]


def test_json_object_needs_the_word_json(http: httpx.Client) -> None:
    ok = create(http, input="Answer in json", text={"format": {"type": "json_object"}}).json()
    assert isinstance(json.loads(ok["output"][0]["content"][0]["text"]), dict)
    refused = create(http, input="Answer", text={"format": {"type": "json_object"}})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "input"


def test_tool_choice_modes(http: httpx.Client) -> None:
    def kinds(**body: Any) -> list[str]:
        out = create(http, tools=[WEATHER, CLOCK], **body).json()["output"]
        return [o.get("name", o["type"]) for o in out]

    assert kinds(input="hello") == ["message"]
    assert kinds(input="get_time then get_weather") == ["get_time", "get_weather"]
    assert kinds(input="get_time then get_weather", parallel_tool_calls=False) == ["get_time"]
    assert kinds(input="get_weather", tool_choice="none") == ["message"]
    assert kinds(input="hello", tool_choice="required") == ["get_weather"]
    assert kinds(input="get_weather", tool_choice={"type": "function", "name": "get_time"}) == ["get_time"]


def test_function_call_output_round_trip(client: OpenAI) -> None:
    first = client.responses.create(model=MODEL, input="get_weather", tools=[WEATHER], tool_choice="required")
    call = first.output[0]
    second = client.responses.create(model=MODEL, previous_response_id=first.id, tools=[WEATHER], input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 21C"}])
    assert second.output_text == "Tool result: Sunny, 21C"


def test_tool_outputs_must_match_calls(http: httpx.Client) -> None:
    stray = create(http, input=[{"type": "function_call_output", "call_id": "call_nope", "output": "x"}])
    assert stray.status_code == 400 and "call_nope" in stray.json()["error"]["message"]
    first = create(http, input="get_weather", tools=[WEATHER], tool_choice="required").json()
    unanswered = create(http, input="next", previous_response_id=first["id"])
    assert unanswered.status_code == 400 and first["output"][0]["call_id"] in unanswered.json()["error"]["message"]


# Background, resume and cancel -----------------------------------------------------------------------------

def test_background_queued_then_completed_and_resumable(client: OpenAI, http: httpx.Client) -> None:
    resp = client.responses.create(model=MODEL, input="count to 8", background=True)
    assert resp.status == "queued" and resp.background is True
    with http.stream("GET", f"/responses/{resp.id}", params={"stream": "true", "starting_after": 2}) as s:
        assert s.headers["content-type"] == "text/event-stream; charset=utf-8"
        events = [d for _, d in sse(s.read().decode())]
    assert events[0]["sequence_number"] == 3 and events[-1]["type"] == "response.completed"
    assert client.responses.retrieve(resp.id).status == "completed"


def test_background_stream_has_queued_events(http: httpx.Client) -> None:
    events = [d for _, d in sse(create(http, input="hi", background=True, stream=True).text)]
    assert [e["type"] for e in events[:3]] == ["response.created", "response.queued", "response.in_progress"]
    assert events[0]["response"]["status"] == "queued"


def test_background_passes_through_in_progress_and_can_be_cancelled() -> None:
    with ReferenceServer(token_delay=0.05) as srv:
        sdk = OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
        resp = sdk.responses.create(model=MODEL, input="count to 200", background=True)
        deadline = time.monotonic() + 5
        while sdk.responses.retrieve(resp.id).status != "in_progress" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sdk.responses.retrieve(resp.id).status == "in_progress"
        cancelled = sdk.responses.cancel(resp.id)
        assert cancelled.status == "cancelled"
        assert sdk.responses.cancel(resp.id).status == "cancelled"  # idempotent


def test_cancel_foreground_is_refused(http: httpx.Client) -> None:
    rid = create(http, input="x").json()["id"]
    refused = http.post(f"/responses/{rid}/cancel")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "invalid_request_error"


def test_token_delay_slows_streams() -> None:
    with ReferenceServer(token_delay=0.02) as srv:
        start = time.monotonic()
        httpx.post(f"{srv.base_url}/responses", json={"model": MODEL, "input": "count to 10", "stream": True})
        assert time.monotonic() - start >= 0.2


# Errors -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": "gpt-nope", "input": "x"}, "model", "model_not_found"),
        ({"input": "x"}, "model", "missing_required_parameter"),
        ({"model": MODEL}, "input", "missing_required_parameter"),
        ({"model": MODEL, "input": 5}, "input", "invalid_type"),
        ({"model": MODEL, "input": "x", "max_output_tokens": "9"}, "max_output_tokens", "invalid_type"),
        ({"model": MODEL, "input": "x", "max_output_tokens": 5}, "max_output_tokens", "integer_below_min_value"),
        ({"model": MODEL, "input": "x", "temperature": 3}, "temperature", "decimal_above_max_value"),
        ({"model": MODEL, "input": "x", "stream": "yes"}, "stream", "invalid_type"),
        ({"model": MODEL, "input": "x", "bogus": 1}, "bogus", "unknown_parameter"),
        ({"model": MODEL, "input": "x", "tool_choice": "sometimes"}, "tool_choice", "invalid_value"),
        ({"model": MODEL, "input": "x", "tools": [{"type": "function", "function": {"name": "f"}}]},
         "tools[0].name", "missing_required_parameter"),
        ({"model": MODEL, "input": "x", "text": {"format": {"type": "json_schema", "schema": {}}}},
         "text.format.name", "missing_required_parameter"),
        ({"model": MODEL, "input": "x", "text": {"format": {"type": "json_schema", "name": "n", "strict": True,
                                                           "schema": {"type": "object", "properties": {"a": {}}}}}},
         "text.format.schema", "invalid_json_schema"),
        ({"model": MODEL, "input": [{"role": "robot", "content": "x"}]}, "input[0].role", "invalid_value"),
        ({"model": MODEL, "input": "x", "background": True, "store": False}, "background", None),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_bad_requests_get_openais_error_envelope(http: httpx.Client, body: dict[str, Any], param: str,
                                                   code: str | None, stream: bool) -> None:
    resp = http.post("/responses", json={**body, "stream": stream} if "stream" not in body else body)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/json"
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_sdk_raises_bad_request_for_unknown_model(client: OpenAI) -> None:
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-nope", input="x", stream=True)
    assert info.value.code == "model_not_found"


def test_unparseable_body_and_unknown_route(http: httpx.Client) -> None:
    bad = http.post("/responses", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] is None
    missing = http.get("/nowhere")
    assert missing.status_code == 404 and "Invalid URL" in missing.json()["error"]["message"]
