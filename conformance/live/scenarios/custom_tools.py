"""Tools of today: free-form `custom` tools and `tool_choice` of type `allowed_tools`.

A custom tool takes plain text instead of JSON arguments (https://platform.openai.com/docs/guides/function-calling
#custom-tools). Both scenarios force the outcome through tool_choice, so their checks are protocol checks.
"""

from __future__ import annotations

from typing import Any

from conformance.live.scenario import ScenarioContext, scenario
from conformance.live.scenarios.tools import TOOLS, WEATHER_QUESTION

CUSTOM_TOOL: dict[str, Any] = {"type": "custom", "name": "run_python",
                               "description": "Runs a Python program given as plain text and returns its output."}


@scenario("custom_tools.call", "A custom (free-form) tool forced by tool_choice {type: custom}, streamed: the "
          "answer must be a custom_tool_call with its input events", streams=True)
def call(ctx: ScenarioContext) -> None:
    ctx.params["tool"] = CUSTOM_TOOL["name"]
    ctx.create("stream", {"input": "Print the sum of 2 and 3 with the run_python tool.",
                          "tools": [CUSTOM_TOOL, *TOOLS], "tool_choice": {"type": "custom", "name": "run_python"}},
               stream=True)


@scenario("custom_tools.allowed-tools", "tool_choice allowed_tools (mode required) allows only get_time while the "
          "prompt asks for the weather: the call must go to get_time")
def allowed_tools(ctx: ScenarioContext) -> None:
    ctx.params["tools"] = {t["name"]: t["parameters"] for t in TOOLS}
    ctx.params["allowed"] = ["get_time"]
    ctx.create("create", {"input": WEATHER_QUESTION, "tools": TOOLS, "tool_choice": {
        "type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "get_time"}]}})
