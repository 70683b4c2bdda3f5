"""Function calling. Protocol scenarios force the model's hand with tool_choice (named, required, none);
only `auto`, parallel calls and recalling a tool's output are left to the model (model-dependent)."""

from __future__ import annotations

from typing import Any

from conformance.extract import final_response
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.scenarios.multi_turn import replayable
from conformance.live.shared import Resource, Use

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
REPORT_QUESTION = "What is the weather in Paris? Use the get_weather tool and quote its weather report code."


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


@scenario("tools.none", "tool_choice none with a prompt that asks for a tool; the control: the same with "
          "tool_choice required")
def none(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.create("create", {"input": WEATHER_QUESTION, "tools": TOOLS, "tool_choice": "none"})
    ctx.create("control", {"input": WEATHER_QUESTION, "tools": TOOLS, "tool_choice": "required"})


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
          "two calls: at most one may come back; the control: the same with parallel_tool_calls true")
def parallel_disabled(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    request = {"input": "Call get_weather for Paris and get_time for Tokyo.", "tools": TOOLS,
               "tool_choice": "required"}
    ctx.create("create", {**request, "parallel_tool_calls": False})
    ctx.create("control", {**request, "parallel_tool_calls": True})


def _weather_call(ctx: ScenarioContext) -> dict[str, Any] | None:
    question = {"role": "user", "content": REPORT_QUESTION}
    first = ctx.create("stream", {"input": [question], "tools": TOOLS,
                                  "tool_choice": {"type": "function", "name": "get_weather"}}, stream=True)
    return {"question": question, "ok": first.ok, "response": final_response(first)}


# One forced, streamed get_weather call: judged as a stream, then answered with its output in the round trip.
WEATHER_CALL = Resource("weather-call", owner="tools.streamed-arguments", make=_weather_call)


@scenario("tools.round-trip", "The forced get_weather call (tools.streamed-arguments'), then its "
          "function_call_output (holding a code word) sent back as input; the answer should carry the code word",
          model_dependent=True, streams=True, uses={WEATHER_CALL: Use.READ})
def round_trip(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    word = nonce("WEATHER")
    ctx.params["nonce"] = word
    first = ctx.use(WEATHER_CALL, label="call")
    resp = first["response"] if first else None
    calls = [i for i in replayable(resp) if i.get("type") == "function_call"]
    if not (first and first["ok"] and calls):
        return
    outputs = [{"type": "function_call_output", "call_id": c.get("call_id"),
                "output": f"Weather report code {word}: sunny, 21 C."} for c in calls]
    ctx.create("answer", {"input": [first["question"], *replayable(resp), *outputs], "tools": TOOLS,
                          "tool_choice": "auto"})


@scenario("tools.streamed-arguments", "A forced get_weather call, streamed", streams=True,
          uses={WEATHER_CALL: Use.READ})
def streamed_arguments(ctx: ScenarioContext) -> None:
    _remember_tools(ctx)
    ctx.params["forced"] = "get_weather"
    ctx.use(WEATHER_CALL)


@scenario("tools.chat-shape", "Tools in the chat-completions shape {type, function: {...}}, which OpenAI's "
          "Responses API rejects; a control sends the same tool in the Responses shape")
def chat_shape(ctx: ScenarioContext) -> None:
    ctx.params["expected_status"] = {"create": [400]}
    ctx.create("create", {
        "input": WEATHER_QUESTION, "max_output_tokens": 16,
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather.",
                                                    "parameters": CITY_PARAMETERS}}],
    })
    # The control: the Responses shape must be accepted, or refusing the chat shape proves nothing.
    ctx.create("control", {"input": WEATHER_QUESTION, "max_output_tokens": 16, "tools": TOOLS[:1]})
