"""Function-call round trips beyond the basics: an output given as a content array, `max_tool_calls`, and a
stored round trip continued with previous_response_id.

The round trips are written by hand (a function_call and its output as input) so each scenario costs one or
two requests, and every model sees the same call.
"""

from __future__ import annotations

from typing import Any

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.scenarios.multi_turn import NUMBER_FORMAT
from conformance.live.scenarios.tools import REPORT_QUESTION, TOOLS


def _history(call_id: str, output: Any) -> list[dict[str, Any]]:
    """The question, the get_weather call a model would make, and the tool's output."""
    return [
        {"role": "user", "content": REPORT_QUESTION},
        {"type": "function_call", "call_id": call_id, "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call_output", "call_id": call_id, "output": output},
    ]


@scenario("tool_use.output-content-array", "A function_call_output whose output is a content array "
          "([input_text]) holding a code word; the answer should carry the code word", model_dependent=True)
def output_content_array(ctx: ScenarioContext) -> None:
    word = nonce("WEATHER")
    ctx.params["nonce"] = word
    output = [{"type": "input_text", "text": f"Weather report code {word}: sunny, 21 C."}]
    ctx.create("create", {"input": _history("call_conformance_array", output), "tools": TOOLS,
                          "tool_choice": "none"})


@scenario("tool_use.max-tool-calls", "max_tool_calls: 1 with a forced function call: accepted and echoed")
def max_tool_calls(ctx: ScenarioContext) -> None:
    ctx.params["max_tool_calls"] = 1
    ctx.create("create", {"input": "What is the weather in Paris? Use the get_weather tool.", "tools": TOOLS,
                          "tool_choice": {"type": "function", "name": "get_weather"}, "max_tool_calls": 1})


@scenario("tool_use.chained-round-trip", "A stored turn holding a function call and its output (a code word), "
          "answered under a number-only schema; the next turn (previous_response_id) asks for the code word",
          model_dependent=True)
def chained_round_trip(ctx: ScenarioContext) -> None:
    word = nonce("WEATHER")
    ctx.params["nonce"] = word
    history = _history("call_conformance_chain", f"Weather report code {word}: sunny, 21 C.")
    # The first answer is a number only, so the code word can reach the second turn only through the stored
    # function_call_output (vLLM #43244 drops tool items from the stored context).
    first = ctx.create("round-trip", {"input": [*history, {"role": "user", "content": "How many tools did you "
                                                          "call? Answer with the number."}],
                                      "tools": TOOLS, "tool_choice": "none", "text": {"format": NUMBER_FORMAT}})
    rid = response_id(first)
    if not (first.ok and rid):
        return
    ctx.create("recall", {"previous_response_id": rid, "input": "What was the weather report code the "
                          "get_weather tool returned? Reply with the code only."})
