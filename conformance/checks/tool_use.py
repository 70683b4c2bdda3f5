"""Function-call round trips beyond the basics (live/scenarios/tool_use.py): an output given as a content array,
max_tool_calls echoed, and a stored round trip that the next turn (previous_response_id) still sees."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import final_response, has_code_word, not_ok, output_text
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Kind, Level, Outcome, ok, skip, violation

SDK_INPUT = "openai-python types/responses/response_input_item_param.py (FunctionCallOutput.output: str | list)"


def _answer(t: Transcript, label: str, what: str, optional: bool = False
            ) -> tuple[dict[str, Any] | None, Outcome | None]:
    ex = t.step(label)
    bad = not_ok(ex, what, optional=optional)
    if bad:
        return None, bad
    assert ex is not None
    resp = final_response(ex)
    if resp is None:
        return None, violation(f"the {label} step did not end with a Response", step=label)
    return resp, None


@transcript_check(
    id="tool_use.output-array-accepted",
    level=Level.MUST,
    requirement="A function_call_output whose output is a content array ([{type: input_text, text}]) is "
                "accepted like a string output.",
    source=f"https://platform.openai.com/docs/api-reference/responses/create (input, function_call_output.output: "
           f"string or array); {SDK_INPUT}; llama.cpp rejects it (issue 19)",
    area="tool_use",
    scenarios=("tool_use.output-content-array",),
)
def output_array_accepted(t: Transcript) -> Outcome | None:
    _, why = _answer(t, "create", "a function_call_output with a content array")
    return why or ok()


@transcript_check(
    id="tool_use.output-array-recall",
    level=Level.MUST,
    requirement="The answer after a function_call_output given as a content array uses it: the code word in "
                "its input_text shows in the answer.",
    source=f"{SDK_INPUT}; docs/rules.md#verdicts nonce checks (the array's text dropped); model-dependent",
    area="tool_use",
    scenarios=("tool_use.output-content-array",),
    model_dependent=True,
)
def output_array_recall(t: Transcript) -> Outcome | None:
    resp, why = _answer(t, "create", "a function_call_output with a content array")
    if why is not None:
        return skip("no answer to judge (see tool_use.output-array-accepted)", step="create") \
            if why.kind is Kind.VIOLATION else why
    return has_code_word(output_text(resp), t.params["nonce"], "create", "the answer does not contain",
                         " from the tool output's content array")


@transcript_check(
    id="tool_use.max-tool-calls-echoed",
    level=Level.MUST,
    requirement="A request with max_tool_calls is accepted and its Response echoes max_tool_calls as sent.",
    source="https://platform.openai.com/docs/api-reference/responses/object (max_tool_calls); openai-python "
           "types/responses/response.py (Response.max_tool_calls); docs/rules.md#verdicts (a lost echo shows a "
           "parameter accepted and ignored)",
    area="tool_use",
    scenarios=("tool_use.max-tool-calls",),
)
def max_tool_calls_echoed(t: Transcript) -> Outcome | None:
    resp, why = _answer(t, "create", "a request with max_tool_calls")
    if why:
        return why
    assert resp is not None
    sent, echoed = t.params["max_tool_calls"], resp.get("max_tool_calls", "absent")
    if echoed != sent or isinstance(echoed, bool):
        return violation(f"max_tool_calls is echoed as {echoed!r}; the request set {sent}", step="create",
                         got=echoed, expected=sent)
    return ok()


def _chain(t: Transcript) -> tuple[dict[str, Any] | None, Outcome | None]:
    first = t.step("round-trip")
    if first is None or not first.ok:
        bad = not_ok(first, "the stored round trip")
        return None, bad or skip("the first turn was not answered", step="round-trip")
    return _answer(t, "recall", "previous_response_id after a function-call round trip", optional=True)


@transcript_check(
    id="tool_use.chain-accepted",
    level=Level.MUST,
    requirement="A stored turn whose input holds a function_call and its function_call_output is accepted, and "
                "a next turn naming it as previous_response_id is answered (a clean 4xx refusal of "
                "previous_response_id is UNSUPPORTED).",
    source="https://platform.openai.com/docs/guides/conversation-state; https://platform.openai.com/docs/guides/"
           "function-calling (function_call_output)",
    area="tool_use",
    scenarios=("tool_use.chained-round-trip",),
)
def chain_accepted(t: Transcript) -> Outcome | None:
    _, why = _chain(t)
    return why or ok()


@transcript_check(
    id="tool_use.chain-recall",
    level=Level.MUST,
    requirement="previous_response_id keeps the earlier turn's function_call and function_call_output in "
                "context: the code word that only the tool output held (the earlier answer was a bare number) "
                "shows in the next answer.",
    source="https://platform.openai.com/docs/guides/conversation-state (previous_response_id carries the earlier "
           "turns' items); docs/rules.md#verdicts nonce checks; vLLM #43244 drops tool items from the stored "
           "context; model-dependent",
    area="tool_use",
    scenarios=("tool_use.chained-round-trip",),
    model_dependent=True,
)
def chain_recall(t: Transcript) -> Outcome | None:
    resp, why = _chain(t)
    if why is not None:
        return skip("no answer to judge (see tool_use.chain-accepted)", step="recall") \
            if why.kind is Kind.VIOLATION else why
    return has_code_word(output_text(resp), t.params["nonce"], "recall", "the answer does not contain",
                         " that only the earlier turn's function_call_output held")
