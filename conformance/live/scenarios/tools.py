"""Function calling. Protocol scenarios force the model's hand with tool_choice (named, required, none);
only `auto`, parallel calls and recalling a tool's output are left to the model (model-dependent)."""

from __future__ import annotations

from typing import Any

from conformance.extract import final_response
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.scenarios.multi_turn import replayable

CITY_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "The city name, e.g. Paris"}},
    "required": ["city"],
    "additionalProperties": False,
}

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "name": "get_weather", "description": "Get the current weather in a city.",
     "parameters": CITY_PARAMETERS, "strict": True},
    {"type": "function", "name": "get_time", "description": "Get the local time in a city.",
     "parameters": CITY_PARAMETERS, "strict": True},
]

WEATHER_QUESTION = "What is the weather in Paris right now? Use the get_weather tool."


def _remember_tools(ctx: ScenarioContext) -> None:
    ctx.params["tools"] = {t["name"]: t["parameters"] for t in TOOLS}


@scenario("tools.named", "tool_choice names get_time while the prompt asks about the weather: the call must "
          "go to get_time")
def named(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.params["forced"] = "get_time"
    ctx.create("create", {"input": WEATHER_QUESTION, "tools": TOOLS,
                          "tool_choice": {"type": "function", "name": "get_time"}})


@scenario("tools.required", "tool_choice required with a prompt that needs no tool")
def required(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.create("create", {"input": "Say hello.", "tools": TOOLS, "tool_choice": "required"})


@scenario("tools.none", "tool_choice none with a prompt that asks for a tool")
def none(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.create("create", {"input": WEATHER_QUESTION, "tools": TOOLS, "tool_choice": "none"})


@scenario("tools.auto", "tool_choice auto with a prompt that asks for get_weather", model_dependent=True)
def auto(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.create("create", {"input": WEATHER_QUESTION, "tools": TOOLS, "tool_choice": "auto"})


@scenario("tools.parallel", "parallel_tool_calls: true, tool_choice required, and a prompt asking for two "
          "calls at once", model_dependent=True)
def parallel(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.create("create", {
        "input": "In parallel, call get_weather for Paris and get_time for Tokyo.",
        "tools": TOOLS, "tool_choice": "required", "parallel_tool_calls": True,
    })


@scenario("tools.parallel-disabled", "parallel_tool_calls: false, tool_choice required, and a prompt asking for "
          "two calls: at most one may come back")
def parallel_disabled(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.create("create", {"input": "Call get_weather for Paris and get_time for Tokyo.", "tools": TOOLS,
                          "tool_choice": "required", "parallel_tool_calls": False})


@scenario("tools.round-trip", "A forced get_weather call, then its function_call_output (holding a code "
          "word) sent back as input; the answer should carry the code word", model_dependent=True)
def round_trip(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    word = nonce("WEATHER")
    ctx.params["nonce"] = word
    question = {"role": "user", "content": "What is the weather in Paris? Quote the weather report code."}
    first = ctx.create("call", {"input": [question], "tools": TOOLS,
                                "tool_choice": {"type": "function", "name": "get_weather"}})
    resp = final_response(first)
    calls = [i for i in replayable(resp) if i.get("type") == "function_call"]
    if not first.ok or not calls:
        return
    outputs = [{"type": "function_call_output", "call_id": c.get("call_id"),
                "output": f"Weather report code {word}: sunny, 21 C."} for c in calls]
    ctx.create("answer", {"input": [question, *replayable(resp), *outputs], "tools": TOOLS, "tool_choice": "auto"})


@scenario("tools.streamed-arguments", "A forced get_weather call, streamed")
def streamed_arguments(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.params["forced"] = "get_weather"
    ctx.create("stream", {"input": WEATHER_QUESTION, "tools": TOOLS,
                          "tool_choice": {"type": "function", "name": "get_weather"}}, stream=True)


@scenario("tools.chat-shape", "Tools in the chat-completions shape {type, function: {...}}, which OpenAI's "
          "Responses API rejects")
def chat_shape(ctx: ScenarioContext) -> None:
    ctx.params["expected_status"] = {"create": [400]}
    ctx.create("create", {
        "input": WEATHER_QUESTION, "max_output_tokens": 16,
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather.",
                                                    "parameters": CITY_PARAMETERS}}],
    })
