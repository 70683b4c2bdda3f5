"""Turns a `Generation` into the event list of §5's stream grammar and settles the record's final state.

    created [queued] in_progress item* terminal
    message item:  output_item.added, content_part.added, output_text.delta*, output_text.done,
                   content_part.done, output_item.done
    function item: output_item.added, function_call_arguments.delta*, function_call_arguments.done
                   (without `name`, as OpenAI sends it), output_item.done
    reasoning item: output_item.added, content_part.added, reasoning_text.delta*, reasoning_text.done,
                   content_part.done, [reasoning_summary_part.added, reasoning_summary_text.delta*,
                   reasoning_summary_text.done, reasoning_summary_part.done], output_item.done

`max_output_tokens` is a budget over all output tokens: the item it runs out in is marked `incomplete`,
later items are not produced, and the terminal event is `response.incomplete`.
"""

from __future__ import annotations

import time
from typing import Any

from conformance.reference.ids import new_call_id, new_id, obfuscation
from conformance.reference.model import Generation, PlannedCall, PlannedCustomCall, PlannedMessage, PlannedReasoning
from conformance.reference.objects import (
    ResponseRecord, call_item, custom_call_item, message_item, reasoning_item, response_object, text_part, usage,
)
from conformance.reference.request import ENCRYPTED_REASONING

DELTA_TYPES = frozenset({"response.output_text.delta", "response.function_call_arguments.delta",
                         "response.reasoning_text.delta", "response.reasoning_summary_text.delta",
                         "response.custom_tool_call_input.delta"})
# Tokens a logprobs entry lists as the alternatives after the chosen one (deterministic, like the model).
ALTERNATIVES = (" the", " a", ",", ".", " and", " of", " to", " in", " is", " it", " that", " for", " on",
                " with", " as", " was", " at", " by", " be", " this", " or")
TERMINAL_TYPES = frozenset({"response.completed", "response.incomplete", "response.failed"})
SERVER_ERROR = {"code": "server_error", "message": "The model failed to generate a response (simulated)."}


def _lifecycle(kind: str, rec: ResponseRecord, status: str) -> dict[str, Any]:
    return {"type": f"response.{kind}", "response": response_object(rec, status=status, output=[])}


def _logprob(token: str, rank: int) -> dict[str, Any]:
    return {"bytes": list(token.encode("utf-8")), "logprob": -0.01 - 2.5 * rank, "token": token}


def token_logprobs(token: str, top: int) -> dict[str, Any]:
    """The logprobs entry of one output token: the token itself, then `top` alternatives, itself first."""
    others = [t for t in ALTERNATIVES if t != token]
    alternatives = [_logprob(t, rank) for rank, t in enumerate([token, *others][:top])]
    return {**_logprob(token, 0), "top_logprobs": alternatives}


def _message_events(index: int, item_id: str, tokens: list[str], status: str, phase: str | None,
                    top: int | None) -> list[dict[str, Any]]:
    """A message's events; with `top` (logprobs asked for) each delta, the text's done event, the item and the
    Response carry the tokens' logprobs, and `content_part.done` an empty list, as OpenAI streams them."""
    text = "".join(tokens)
    where = {"item_id": item_id, "output_index": index}
    probs = [token_logprobs(t, top) for t in tokens] if top is not None else []
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "item": message_item(item_id, "in_progress", None, phase),
         "output_index": index},
        {"type": "response.content_part.added", "content_index": 0, **where, "part": text_part("")},
    ]
    for n, token in enumerate(tokens):
        events.append({"type": "response.output_text.delta", "content_index": 0, "delta": token, **where,
                       "logprobs": probs[n:n + 1], "obfuscation": obfuscation(token)})
    events += [
        {"type": "response.output_text.done", "content_index": 0, **where, "logprobs": probs, "text": text},
        {"type": "response.content_part.done", "content_index": 0, **where, "part": text_part(text)},
        {"type": "response.output_item.done", "item": message_item(item_id, status, text, phase, probs),
         "output_index": index},
    ]
    return events


def _custom_call_events(index: int, item_id: str, call: PlannedCustomCall, tokens: list[str],
                        status: str) -> list[dict[str, Any]]:
    """A custom tool call: added, `custom_tool_call_input.delta`*, `custom_tool_call_input.done`, done."""
    call_id = new_call_id()
    text = "".join(tokens)
    where = {"item_id": item_id, "output_index": index}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "item": custom_call_item(item_id, "in_progress", "", call_id, call.name),
         "output_index": index},
    ]
    for token in tokens:
        events.append({"type": "response.custom_tool_call_input.delta", "delta": token, **where,
                       "obfuscation": obfuscation(token)})
    events += [
        {"type": "response.custom_tool_call_input.done", "input": text, **where},
        {"type": "response.output_item.done", "item": custom_call_item(item_id, status, text, call_id, call.name),
         "output_index": index},
    ]
    return events


def _call_events(index: int, item_id: str, call: PlannedCall, tokens: list[str], status: str) -> list[dict[str, Any]]:
    call_id = new_call_id()
    arguments = "".join(tokens)
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "item": call_item(item_id, "in_progress", "", call_id, call.name),
         "output_index": index},
    ]
    for token in tokens:
        events.append({"type": "response.function_call_arguments.delta", "delta": token, "item_id": item_id,
                       "obfuscation": obfuscation(token), "output_index": index})
    events += [
        {"type": "response.function_call_arguments.done", "arguments": arguments, "item_id": item_id,
         "output_index": index},
        {"type": "response.output_item.done", "item": call_item(item_id, status, arguments, call_id, call.name),
         "output_index": index},
    ]
    return events


def _reasoning_events(index: int, item_id: str, tokens: list[str], summary_tokens: list[str] | None,
                      sealed: bool) -> list[dict[str, Any]]:
    text = "".join(tokens)
    summary = None if summary_tokens is None else "".join(summary_tokens)
    where = {"item_id": item_id, "output_index": index}
    part = {"type": "reasoning_text", "text": text}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "item": reasoning_item(item_id, "", None, False), "output_index": index},
        {"type": "response.content_part.added", "content_index": 0, **where, "part": {**part, "text": ""}},
    ]
    for token in tokens:
        events.append({"type": "response.reasoning_text.delta", "content_index": 0, "delta": token, **where,
                       "obfuscation": obfuscation(token)})
    events += [
        {"type": "response.reasoning_text.done", "content_index": 0, **where, "text": text},
        {"type": "response.content_part.done", "content_index": 0, **where, "part": part},
    ]
    if summary is not None and summary_tokens is not None:
        summary_part = {"type": "summary_text", "text": summary}
        events.append({"type": "response.reasoning_summary_part.added", **where,
                       "part": {**summary_part, "text": ""}, "summary_index": 0})
        for token in summary_tokens:
            events.append({"type": "response.reasoning_summary_text.delta", "delta": token, **where,
                           "obfuscation": obfuscation(token), "summary_index": 0})
        events += [
            {"type": "response.reasoning_summary_text.done", **where, "summary_index": 0, "text": summary},
            {"type": "response.reasoning_summary_part.done", **where, "part": summary_part, "summary_index": 0},
        ]
    events.append({"type": "response.output_item.done", "item": reasoning_item(item_id, text, summary, sealed),
                   "output_index": index})
    return events


def plan_events(rec: ResponseRecord, gen: Generation) -> list[dict[str, Any]]:
    """The whole stream for `rec`, numbered from 0. Sets the record's final status, output and usage."""
    queued = rec.request.background
    events = [_lifecycle("created", rec, "queued" if queued else "in_progress")]
    if queued:
        events.append(_lifecycle("queued", rec, "queued"))
    events.append(_lifecycle("in_progress", rec, "in_progress"))

    budget = rec.request.max_output_tokens
    spent = thought = 0
    cut = False
    output: list[dict[str, Any]] = []
    for planned in gen.outputs:
        tokens = planned.tokens
        if budget is not None and spent + len(tokens) > budget:
            tokens, cut = tokens[: budget - spent], True
        spent += len(tokens)
        status = "incomplete" if cut else "completed"
        index = len(output)
        if isinstance(planned, PlannedReasoning):
            summary = None if planned.summary is None or cut else planned.summary_tokens
            if summary is not None and budget is not None and spent + len(summary) > budget:
                summary, cut = summary[: budget - spent], True
            spent += len(summary or [])
            thought += len(tokens) + len(summary or [])
            item_events = _reasoning_events(index, new_id("rs"), tokens, summary,
                                            ENCRYPTED_REASONING in rec.request.include)
        elif isinstance(planned, PlannedMessage):
            item_events = _message_events(index, new_id("msg"), tokens, status, gen.phase, rec.request.logprobs)
        elif isinstance(planned, PlannedCustomCall):
            item_events = _custom_call_events(index, new_id("ctc"), planned, tokens, status)
        else:
            item_events = _call_events(index, new_id("fc"), planned, tokens, status)
        events += item_events
        output.append(item_events[-1]["item"])
        if cut:
            break

    rec.output = output
    rec.usage = usage(gen.input_tokens, spent, thought)
    rec.completed_at = int(time.time())
    if gen.fail:
        rec.status, rec.error, rec.completed_at = "failed", dict(SERVER_ERROR), None
        rec.usage = usage(gen.input_tokens, 0)
        events.append({"type": "response.failed", "response": response_object(rec)})
    elif cut:
        rec.status, rec.incomplete_details, rec.completed_at = "incomplete", {"reason": "max_output_tokens"}, None
        events.append({"type": "response.incomplete", "response": response_object(rec)})
    else:
        rec.status = "completed"
        events.append({"type": "response.completed", "response": response_object(rec)})
    for number, event in enumerate(events):
        event["sequence_number"] = number
        if not rec.request.include_obfuscation:
            event.pop("obfuscation", None)
    return events
