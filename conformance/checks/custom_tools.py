"""Tools of today: custom (free-form) tools and tool_choice allowed_tools.

A server may not offer custom tools: refusing them with a 4xx error is UNSUPPORTED. Accepting the request and
answering without the forced custom_tool_call (the tool silently dropped, as llama.cpp does) is a violation
(docs/rules.md#verdicts, silent acceptance).
"""

from __future__ import annotations

from typing import Any

from conformance.checks.common import events, final_response, function_calls, not_ok, output_text
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

SDK_TYPES = "openai-python types/responses/response_custom_tool_call.py"
STREAMING = "https://platform.openai.com/docs/api-reference/responses-streaming"


def custom_calls(resp: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [i for i in (resp or {}).get("output") or [] if isinstance(i, dict) and i.get("type") == "custom_tool_call"]


def _stream_items(ex: Exchange) -> list[dict[str, Any]]:
    return [e["item"] for e in events(ex) if e.get("type") == "response.output_item.done"
            and isinstance(e.get("item"), dict)]


def _call_problem(call: dict[str, Any], tool: str) -> str | None:
    if call.get("name") != tool:
        return f"the custom_tool_call names {call.get('name')!r}, not the forced {tool!r}"
    if not isinstance(call.get("call_id"), str) or not call["call_id"]:
        return "the custom_tool_call has no call_id"
    if not isinstance(call.get("input"), str):
        return f"the custom_tool_call's input is {type(call.get('input')).__name__}, not a string"
    return None


@transcript_check(
    id="custom_tools.call",
    level=Level.MUST,
    requirement="With tool_choice forcing a custom tool, the answer holds a custom_tool_call naming it, with a "
                "call_id and a string input, in the stream's items and in its terminal response; a 4xx refusal "
                "is UNSUPPORTED, silently dropping the tool is a violation.",
    source=f"https://platform.openai.com/docs/guides/function-calling#custom-tools; {SDK_TYPES}; "
           "docs/rules.md#verdicts (silent acceptance); llama.cpp drops custom tools (issue 19)",
    area="custom_tools",
    scenarios=("custom_tools.call",),
)
def call(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    bad = not_ok(ex, "the custom tool request", optional=True)
    if bad:
        return bad
    assert ex is not None
    tool = t.params["tool"]
    final = custom_calls(final_response(ex))
    if not final:
        others = [c.get("name") for c in function_calls(final_response(ex))]
        got = f"function calls {others}" if others else repr(output_text(final_response(ex))[:200])
        return violation(f"no custom_tool_call although tool_choice forced {tool}: the tool was dropped "
                         f"(got {got})", step="stream")
    streamed = [i for i in _stream_items(ex) if i.get("type") == "custom_tool_call"]
    if ex.is_stream and not streamed:
        return violation("the stream's output_item.done events carry no custom_tool_call", step="stream")
    for c in (*final, *streamed):
        problem = _call_problem(c, tool)
        if problem:
            return violation(problem, step="stream", got=c)
    return ok()


@transcript_check(
    id="custom_tools.input-events",
    level=Level.SHOULD,
    requirement="A streamed custom tool call sends its input as custom_tool_call_input.delta events whose "
                "concatenation equals custom_tool_call_input.done's input and the item's input.",
    source=f"{STREAMING} (response.custom_tool_call_input.delta / .done); openai-python "
           "types/responses/response_custom_tool_call_input_delta_event.py",
    area="custom_tools",
    scenarios=("custom_tools.call",),
)
def input_events(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    if ex is None or not ex.ok or not ex.is_stream:
        return skip("no stream to read (see custom_tools.call)", step="stream")
    calls = [i for i in _stream_items(ex) if i.get("type") == "custom_tool_call"]
    if not calls:
        return skip("the stream delivered no custom_tool_call (see custom_tools.call)", step="stream")
    evs = events(ex)
    for c in calls:
        item_id = c.get("id")
        deltas = [e.get("delta") for e in evs if e.get("type") == "response.custom_tool_call_input.delta"
                  and e.get("item_id") == item_id]
        done = [e.get("input") for e in evs if e.get("type") == "response.custom_tool_call_input.done"
                and e.get("item_id") == item_id]
        if not deltas:
            return violation(f"no custom_tool_call_input.delta event for item {item_id}", step="stream")
        if len(done) != 1:
            return violation(f"{len(done)} custom_tool_call_input.done events for item {item_id}; one is due",
                             step="stream")
        joined = "".join(d for d in deltas if isinstance(d, str))
        if joined != done[0] or joined != c.get("input"):
            return violation("the input deltas do not add up to the done event's and the item's input",
                             step="stream", got=joined[:300], expected=str(c.get("input"))[:300])
    return ok()


@transcript_check(
    id="custom_tools.allowed-tools",
    level=Level.MUST,
    requirement="With tool_choice allowed_tools (mode required), the response calls at least one tool, and only "
                "tools of the allowed list, even when the prompt asks for another declared tool.",
    source="https://platform.openai.com/docs/guides/function-calling#tool-choice (allowed tools); openai-python "
           "types/responses/tool_choice_allowed.py; docs/rules.md#verdicts (tool_choice silently ignored)",
    area="custom_tools",
    scenarios=("custom_tools.allowed-tools",),
)
def allowed_tools(t: Transcript) -> Outcome | None:
    ex = t.step("create")
    bad = not_ok(ex, "tool_choice allowed_tools", optional=True)
    if bad:
        return bad
    assert ex is not None
    resp = final_response(ex)
    if resp is None:
        return violation("the create step did not end with a Response", step="create")
    names = [c.get("name") for c in function_calls(resp) + custom_calls(resp)]
    allowed = t.params["allowed"]
    if not names:
        return violation(f"no tool call although allowed_tools required one of {allowed}", step="create",
                         got=output_text(resp)[:300])
    stray = [n for n in names if n not in allowed]
    if stray:
        return violation(f"called {stray}, outside the allowed tools {allowed}", step="create")
    return ok()
