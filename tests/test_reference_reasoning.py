"""The reference server reasons when asked, as gpt-oss behind TensorRT-LLM or vLLM does: a reasoning item with
reasoning_text content (and a summary when asked) before the answer, encrypted_content when `include` asks,
its own items taken back as input; the `trtllm` profile streams it as TensorRT-LLM's example 2 prints it."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest
from openai import OpenAI
from openai.types.responses import ResponseReasoningItem

from conformance.extract import output_text
from conformance.reference import ReferenceServer

ASKED = {"effort": "low", "summary": "auto"}
INCLUDE = ["reasoning.encrypted_content"]


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer() as srv:
        yield srv


def create(srv: ReferenceServer, **body: Any) -> httpx.Response:
    return httpx.post(f"{srv.base_url}/responses", json={"model": srv.model, **body}, timeout=10)


def test_no_reasoning_unless_asked(server: ReferenceServer) -> None:
    for reasoning in (None, {"effort": "none"}):
        body = create(server, input="Hi", **({"reasoning": reasoning} if reasoning else {})).json()
        assert [i["type"] for i in body["output"]] == ["message"]
        assert body["usage"]["output_tokens_details"]["reasoning_tokens"] == 0


def test_reasoning_item_before_the_answer(server: ReferenceServer) -> None:
    body = create(server, input="What is 2 + 2?", reasoning=ASKED).json()
    thought, answer = body["output"]
    ResponseReasoningItem.model_validate(thought, strict=True)
    assert thought["type"] == "reasoning" and answer["type"] == "message"
    assert thought["id"].startswith("rs_") and "status" not in thought and "encrypted_content" not in thought
    assert thought["content"][0]["type"] == "reasoning_text" and "2 + 2" in thought["content"][0]["text"]
    assert thought["summary"] == [{"type": "summary_text", "text": "Answering the latest message directly."}]
    assert body["reasoning"] == ASKED and output_text(body) == "You said: What is 2 + 2?"
    usage = body["usage"]
    assert 0 < usage["output_tokens_details"]["reasoning_tokens"] < usage["output_tokens"]
    # no summary unless asked
    plain = create(server, input="Hi", reasoning={"effort": "high"}).json()
    assert plain["output"][0]["summary"] == [] and plain["output"][0]["content"]


def test_stateless_round_trip_with_encrypted_content(server: ReferenceServer) -> None:
    opening = {"role": "user", "content": "Remember RSN-123456."}
    first = create(server, input=[opening], reasoning=ASKED, store=False, include=INCLUDE).json()
    sealed = first["output"][0]["encrypted_content"]
    assert isinstance(sealed, str) and sealed
    again = create(server, input=[opening, *first["output"], {"role": "user", "content": "Which code word?"}],
                   reasoning=ASKED, store=False, include=INCLUDE)
    assert again.status_code == 200, again.text
    assert "RSN-123456" in output_text(again.json())
    forged = {**first["output"][0], "encrypted_content": "not-ours"}
    refused = create(server, input=[opening, forged], store=False)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_encrypted_content"
    no_summary = {k: v for k, v in first["output"][0].items() if k != "summary"}
    assert create(server, input=[no_summary]).json()["error"]["code"] == "missing_required_parameter"


def test_function_call_after_reasoning(server: ReferenceServer) -> None:
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
    first = create(server, input="Weather in Paris?", reasoning=ASKED, tools=[tool],
                   tool_choice={"type": "function", "name": "get_weather"}, store=False, include=INCLUDE).json()
    assert [i["type"] for i in first["output"]] == ["reasoning", "function_call"]
    call = first["output"][1]
    second = create(server, input=[{"role": "user", "content": "Weather in Paris?"}, *first["output"],
                                   {"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny"}],
                    reasoning=ASKED, tools=[tool], store=False)
    assert output_text(second.json()) == "Tool result: Sunny"


def test_previous_response_id_after_reasoning(server: ReferenceServer) -> None:
    first = create(server, input="Remember RSN-654321.", reasoning=ASKED).json()
    second = create(server, input="Which code word?", previous_response_id=first["id"], reasoning=ASKED).json()
    assert "RSN-654321" in output_text(second)


def test_invalid_reasoning_is_refused(server: ReferenceServer) -> None:
    for reasoning, param in (({"effort": "extreme"}, "reasoning.effort"), ({"summary": "long"}, "reasoning.summary")):
        err = create(server, input="Hi", reasoning=reasoning)
        assert err.status_code == 400 and err.json()["error"]["param"] == param


def test_the_budget_can_run_out_while_reasoning(server: ReferenceServer) -> None:
    body = create(server, input="Please " + "think " * 40, reasoning=ASKED, max_output_tokens=16).json()
    assert body["status"] == "incomplete" and [i["type"] for i in body["output"]] == ["reasoning"]
    assert body["usage"]["output_tokens"] == body["usage"]["output_tokens_details"]["reasoning_tokens"] == 16


def test_trtllm_profile_streams_like_its_example() -> None:
    """What TensorRT-LLM's example 2 prints (seed 000) for a request that does not ask for reasoning."""
    printed: list[str] = []
    with ReferenceServer(profile="trtllm") as srv:
        client = OpenAI(base_url=srv.base_url, api_key="tensorrt_llm", max_retries=0, timeout=10)
        model = client.models.list().data[0].id
        stream = client.responses.create(model=model, input="Write a haiku about artificial intelligence",
                                         max_output_tokens=4096, stream=True)
        for event in stream:
            if event.type == "response.output_item.added":
                printed.append(f"[Output Item Added: {event.item.type}]")
            elif event.type == "response.content_part.added":
                printed.append(f"[Content Part Added: {event.part.type}]")
            elif event.type == "response.reasoning_text.done":
                printed.append(f"[Reasoning Text Done: {len(event.text)} chars]")
            elif event.type == "response.output_text.done":
                printed.append("[Output Text Done]")
            elif "summary" in event.type:
                printed.append(event.type)
    assert printed == ["[Output Item Added: reasoning]", "[Content Part Added: reasoning_text]",
                       printed[2], "[Output Item Added: message]", "[Content Part Added: output_text]",
                       "[Output Text Done]"]
    assert printed[2].startswith("[Reasoning Text Done: ")


@pytest.mark.parametrize("faults", [(), ("vllm-content-index-after-reasoning",)], ids=["clean", "vllm-45742"])
def test_vllm_content_index_fault_crashes_openai_python_as_reported(faults: tuple[str, ...]) -> None:
    """vLLM #45742: openai-python's stream accumulator raises IndexError on the message after a reasoning item."""
    with ReferenceServer(faults=list(faults)) as srv:
        client = OpenAI(base_url=srv.base_url, api_key="x", max_retries=0, timeout=10)
        with client.responses.stream(model=srv.model, input="What is 2 + 2?", reasoning=ASKED) as stream:
            if faults:
                with pytest.raises(IndexError):
                    for _ in stream:
                        pass
            else:
                for _ in stream:
                    pass
                assert stream.get_final_response().output_text == "You said: What is 2 + 2?"
