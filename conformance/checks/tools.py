"""Function calling. tool_choice named/required/none force the outcome, so those are protocol checks; whether
the model calls under `auto`, calls twice in parallel, or uses a tool's output is model-dependent."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import final_response, function_calls, has_code_word, not_ok, not_streamed, output_text, \
    parse_json, rejected, schema_errors, unearned
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Kind, Level, Outcome, ok, skip, violation

CALLING = ("tools.named", "tools.required", "tools.auto", "tools.parallel", "tools.parallel-disabled",
           "tools.round-trip", "tools.streamed-arguments")


def _response(t: Transcript, label: str) -> tuple[dict[str, Any] | None, Outcome | None]:
    ex = t.step(label)
    bad = not_ok(ex, label)  # tools are core: a refusal is a violation
    if bad:
        return None, bad
    resp = final_response(ex)
    if resp is None:
        return None, violation(f"the {label} step did not end with a Response", step=label)
    return resp, None


def _names(calls: list[dict[str, Any]]) -> list[Any]:
    return [c.get("name") for c in calls]


@transcript_check(
    id="tools.calls-well-formed",
    level=Level.MUST,
    requirement="Every function_call names a declared tool, has a call_id unique in its response, and its "
                "arguments are a JSON string valid against that tool's parameters schema.",
    source="https://platform.openai.com/docs/guides/function-calling (strict mode); docs/rules.md#verdicts",
    area="tools",
    scenarios=CALLING,
)
def calls_well_formed(t: Transcript) -> Outcome | None:
    tools: dict[str, Any] = t.params["tools"]
    judged = 0
    for ex in t.exchanges:
        resp = final_response(ex) if ex.ok else None
        seen: set[Any] = set()
        for call in function_calls(resp):
            judged += 1
            name, cid = call.get("name"), call.get("call_id")
            if name not in tools:
                return violation(f"a call to {name!r}, which was not declared", step=ex.label)
            if not isinstance(cid, str) or not cid:
                return violation(f"the call to {name} has no call_id", step=ex.label)
            if cid in seen:
                return violation(f"call_id {cid} is used twice in one response", step=ex.label)
            seen.add(cid)
            args, err = parse_json(call.get("arguments"))
            if err:
                return violation(f"the arguments of {name} are {err}", step=ex.label, got=call.get("arguments"))
            problems = schema_errors(args, tools[name])
            if problems:
                return violation(f"the arguments of {name} do not match its parameters: {problems[0]}",
                                 step=ex.label, got=call.get("arguments"), errors=problems)
    return ok() if judged else None


@transcript_check(
    id="tools.named-choice",
    level=Level.MUST,
    requirement="With tool_choice naming a function, the response calls that function (and no other), even "
                "when the prompt asks for another tool.",
    source="https://platform.openai.com/docs/guides/function-calling#tool-choice; docs/rules.md#verdicts (tool_choice "
           "silently ignored)",
    area="tools",
    scenarios=("tools.named",),
)
def named_choice(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "create")
    if why:
        return why
    names, forced = _names(function_calls(resp)), t.params["forced"]
    if not names:
        return violation(f"no function_call although tool_choice forced {forced}", step="create",
                         got=output_text(resp)[:300])
    if any(n != forced for n in names):
        return violation(f"called {names}; tool_choice forced {forced}", step="create")
    return ok()


@transcript_check(
    id="tools.required-choice",
    level=Level.MUST,
    requirement="With tool_choice required, the response calls at least one declared function, even for a "
                "prompt that needs none.",
    source="https://platform.openai.com/docs/guides/function-calling#tool-choice; docs/rules.md#verdicts",
    area="tools",
    scenarios=("tools.required",),
)
def required_choice(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "create")
    if why:
        return why
    if function_calls(resp):
        return ok()
    return violation("no function_call although tool_choice was required", step="create",
                     got=output_text(resp)[:300])


@transcript_check(
    id="tools.none-choice",
    level=Level.MUST,
    requirement="With tool_choice none, the response contains no function_call, even when the prompt asks "
                "for a tool (judged when the same prompt with tool_choice required gets a call).",
    source="https://platform.openai.com/docs/guides/function-calling#tool-choice; docs/rules.md#verdicts",
    area="tools",
    scenarios=("tools.none",),
)
def none_choice(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "create")
    if why:
        return why
    names = _names(function_calls(resp))
    if names:
        return violation(f"called {names} although tool_choice was none", step="create")
    calls = _control_calls(t)
    if not calls:
        return skip("not applicable: the control (the same prompt with tool_choice required) got no function_call "
                    "either, so a response without one under none proves nothing", step="control")
    return ok()


def _control_calls(t: Transcript) -> list[Any]:
    """The function calls the scenario's control step got (none when it failed or was not sent): the evidence
    that the rule's constraint, not the model's habit, is what kept calls out of the judged response."""
    ex = t.step("control")
    resp = final_response(ex) if ex is not None and ex.ok else None
    return _names(function_calls(resp)) if resp is not None else []


@transcript_check(
    id="tools.auto-called",
    level=Level.SHOULD,
    requirement="With tool_choice auto and a prompt that asks for get_weather, the model calls get_weather.",
    source="https://platform.openai.com/docs/guides/function-calling; model-dependent (the model may answer "
           "in text)",
    area="tools",
    scenarios=("tools.auto",),
    model_dependent=True,
)
def auto_called(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "create")
    if why:
        return why
    if "get_weather" in _names(function_calls(resp)):
        return ok()
    return violation("no get_weather call under tool_choice auto", step="create", got=output_text(resp)[:300])


@transcript_check(
    id="tools.parallel-calls",
    level=Level.SHOULD,
    requirement="With parallel_tool_calls true and a prompt asking for two calls at once, one response holds "
                "at least two function_calls.",
    source="https://platform.openai.com/docs/guides/function-calling#parallel-function-calling; "
           "model-dependent",
    area="tools",
    scenarios=("tools.parallel",),
    model_dependent=True,
)
def parallel_calls(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "create")
    if why:
        return why
    calls = function_calls(resp)
    if len(calls) >= 2:
        return ok()
    return violation(f"{len(calls)} function_call(s) in one response; two were asked for", step="create")


@transcript_check(
    id="tools.parallel-disabled",
    level=Level.MUST,
    requirement="With parallel_tool_calls false, a response holds at most one function_call, even when the "
                "prompt asks for two (judged when the same request with parallel_tool_calls true gets two).",
    source="https://platform.openai.com/docs/guides/function-calling#parallel-function-calling; docs/rules.md#verdicts "
           "(parameter silently ignored). The server enforces it, so it is not model-dependent",
    area="tools",
    scenarios=("tools.parallel-disabled",),
)
def parallel_disabled(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "create")
    if why:
        return why
    names = _names(function_calls(resp))
    if len(names) > 1:
        return violation(f"{len(names)} function_calls ({names}) with parallel_tool_calls false", step="create")
    control = _control_calls(t)
    if len(control) <= 1:
        return skip(f"not applicable: the control (the same request with parallel_tool_calls true) got "
                    f"{len(control)} function_call(s), so at most one under false proves nothing", step="control")
    return ok()


def _round_trip(t: Transcript) -> tuple[dict[str, Any] | None, Outcome | None]:
    first = t.step("call")
    if first is None or not first.ok or not function_calls(final_response(first)):
        return None, skip("the forced call did not happen (see tools.named-choice), so there is no output to "
                          "send back", step="call")
    return _response(t, "answer")


@transcript_check(
    id="tools.output-accepted",
    level=Level.MUST,
    requirement="A request whose input holds a function_call and its function_call_output (matching call_id) "
                "is accepted.",
    source="https://platform.openai.com/docs/guides/function-calling (function_call_output)",
    area="tools",
    scenarios=("tools.round-trip",),
)
def output_accepted(t: Transcript) -> Outcome | None:
    _, why = _round_trip(t)
    return why or ok()


@transcript_check(
    id="tools.output-recall",
    level=Level.MUST,
    requirement="The answer after a function_call_output uses it: a code word in the tool output shows in "
                "the answer.",
    source="https://platform.openai.com/docs/guides/function-calling (the function_call_output is given to the "
           "model); docs/rules.md#verdicts nonce checks (function_call_output dropped); model-dependent",
    area="tools",
    scenarios=("tools.round-trip",),
    model_dependent=True,
)
def output_recall(t: Transcript) -> Outcome | None:
    resp, why = _round_trip(t)
    if why is not None:
        if why.kind is Kind.VIOLATION:
            return skip("no answer to judge (see tools.output-accepted)", step="answer")
        return why
    calls = _names(function_calls(resp))
    extra = f"; it called {calls} again instead" if calls else ""
    return has_code_word(output_text(resp), t.params["nonce"], "answer", "the answer does not contain",
                         f" from the tool output{extra}")


def _stream_calls(ex: Exchange) -> list[dict[str, Any]]:
    """Function calls as the stream delivered them: output_item.done items, else the terminal response."""
    done = [e.json.get("item") for e in ex.stream.typed() if e.type == "response.output_item.done"] \
        if ex.stream else []
    calls = [i for i in done if isinstance(i, dict) and i.get("type") == "function_call"]
    return calls or function_calls(final_response(ex))


@transcript_check(
    id="tools.streamed-call",
    level=Level.MUST,
    requirement="A streamed forced function call arrives complete: a function_call to the named function in "
                "the stream's items and in its terminal response.",
    source="https://platform.openai.com/docs/api-reference/responses-streaming; docs/rules.md#known-deviations SGLang #12652 (empty "
           "completed.output)",
    area="tools",
    scenarios=("tools.streamed-arguments",),
)
def streamed_call(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    bad = not_streamed(ex)
    if bad:
        return bad
    forced = t.params["forced"]
    items = _names(_stream_calls(ex))
    final = _names(function_calls(final_response(ex)))
    if forced not in items:
        return violation(f"the stream delivered no function_call to {forced} (got {items})", step="stream")
    if forced not in final:
        return violation(f"the terminal response's output lacks the call to {forced} (got {final})",
                         step="stream")
    return ok()


@transcript_check(
    id="tools.streamed-argument-events",
    level=Level.SHOULD,
    requirement="A streamed function call sends its arguments as function_call_arguments.delta events whose "
                "concatenation equals the final arguments.",
    source="https://platform.openai.com/docs/api-reference/responses-streaming "
           "(response.function_call_arguments.delta); docs/rules.md#known-deviations gpt-oss (call only in output_item.done)",
    area="tools",
    scenarios=("tools.streamed-arguments",),
)
def streamed_argument_events(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    if ex is None or not ex.ok or not ex.is_stream:
        return skip("no stream to read (see tools.streamed-call)", step="stream")
    calls = _stream_calls(ex)
    if not calls:
        return skip("the stream delivered no function call (see tools.streamed-call)", step="stream")
    events = ex.stream.typed()
    for call in calls:
        item_id = call.get("id")
        deltas = [e.json.get("delta") for e in events if e.type == "response.function_call_arguments.delta"
                  and e.json.get("item_id") == item_id]
        if not deltas:
            return violation(f"no function_call_arguments.delta event for item {item_id}", step="stream")
        joined = "".join(d for d in deltas if isinstance(d, str))
        if joined != call.get("arguments"):
            return violation("the argument deltas do not add up to the final arguments", step="stream",
                             got=joined[:300], expected=str(call.get("arguments"))[:300])
    return ok()


@transcript_check(
    id="tools.chat-shape-rejected",
    level=Level.SHOULD,
    requirement="A tool in the chat-completions shape {type: function, function: {...}} is refused with a 4xx, "
                "as OpenAI does (400, tools[0].name missing).",
    source="docs/rules.md#known-deviations gateways (seed 001): accepted by gateways, rejected by OpenAI",
    area="tools",
    scenarios=("tools.chat-shape",),
)
def chat_shape_rejected(t: Transcript) -> Outcome | None:
    return (rejected(t.step("create"), "a chat-completions-shaped tool")
            or unearned(t, "control", "the same tool in the Responses shape") or ok())
