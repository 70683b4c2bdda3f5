"""Reasoning: the reasoning item's shape, encrypted content when asked for, reasoning items accepted back as
input, previous_response_id after a reasoning turn, reasoning_tokens and the `reasoning` echo.

A model that does not reason is no deviation (docs/rules.md#reasoning): when none of a scenario's answers holds
a reasoning item, its checks are UNSUPPORTED with that reason, so the feature table says "unsupported". The
stream grammar of reasoning items (parts added first, done text equal to the deltas, item ids, content_index
restarting per item) is judged on every stream by checks/stream.py.
"""

from __future__ import annotations

from typing import Any

from openai.types.responses import ResponseReasoningItem

from conformance.checks.common import SDK, events, final_response, has_code_word, not_ok, output_text, sdk_problems
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, unsupported, violation

AREA = "reasoning"
EFFORT = "reasoning.effort"
STREAMED = "reasoning.streamed"
PREVIOUS = "reasoning.previous-response"
STATELESS = "reasoning.stateless"
FUNCTION_CALL = "reasoning.function-call"
ALL = (EFFORT, STREAMED, PREVIOUS, STATELESS, FUNCTION_CALL)
TWO_TURNS = (STATELESS, FUNCTION_CALL)
DOCS = "https://platform.openai.com/docs/guides/reasoning"
ITEM_DOCS = "https://platform.openai.com/docs/api-reference/responses/object (output: reasoning)"
NO_REASONING = ("the model answered without a reasoning item: it does not reason, or does not show its reasoning "
                "(not a deviation, docs/rules.md#reasoning)")
# What OpenAI echoes for a requested summary: "auto" comes back resolved (docs/rules.md#real-traffic).
SUMMARY_ECHOES = {"auto": ("auto", "concise", "detailed"), "concise": ("concise",), "detailed": ("detailed",)}


def _asked(ex: Exchange) -> dict[str, Any] | None:
    """The `reasoning` a create sent, or None for any other step."""
    body = ex.request.body
    if ex.request.method != "POST" or not isinstance(body, dict) or not isinstance(body.get("reasoning"), dict):
        return None
    return body["reasoning"]


def _creates(t: Transcript) -> list[Exchange]:
    """Every request with reasoning: the borrowed one (reasoning.effort's answer) first, then the scenario's own."""
    return [ex for ex in [*t.borrowed.values(), *t.exchanges] if _asked(ex) is not None]


def _turn1(t: Transcript) -> list[Exchange]:
    """Turn 1 of a two-turn scenario; when the scenario stopped before it because reasoning.effort's answer
    (borrowed as `reasoned`) held no reasoning item, that answer, so the verdict says why."""
    probe = t.step("reasoned")
    return t.steps("turn1") or ([probe] if probe is not None else [])


def reasoning_items(ex: Exchange) -> list[tuple[str, dict[str, Any]]]:
    """(where, item) for every finished reasoning item an answer holds: the final Response's output and, in a
    stream, each output_item.done."""
    found: list[tuple[str, dict[str, Any]]] = []
    for n, ev in enumerate(events(ex)):
        item = ev.get("item")
        if ev.get("type") == "response.output_item.done" and isinstance(item, dict) and item.get("type") == "reasoning":
            found.append((f"event #{n} output_item.done", item))
    resp = final_response(ex) if ex.ok else None
    for i, item in enumerate((resp or {}).get("output") or []):
        if isinstance(item, dict) and item.get("type") == "reasoning":
            found.append((f"output[{i}]", item))
    return found


def _answered(t: Transcript, steps: list[Exchange]) -> tuple[list[Exchange], Outcome | None]:
    """The steps that got an answer, or the verdict when there is nothing to judge: the first request with
    reasoning refused cleanly is UNSUPPORTED, and so are answers without any reasoning item (with the reason).
    A later step refused is the business of the check about that step."""
    if not steps:
        return [], skip("the scenario sent no request with reasoning")
    bad = not_ok(steps[0], f"the {steps[0].label} request with reasoning", optional=True)
    if bad:
        return [], bad
    answered = [ex for ex in steps if ex.ok]
    if not any(reasoning_items(ex) for ex in answered):
        return [], unsupported(NO_REASONING, step=steps[0].label)
    return answered, None


@transcript_check(
    id="reasoning.item-shape",
    level=Level.MUST,
    requirement="A reasoning item has a non-empty id, a summary list of summary_text parts and, when present, "
                "content of reasoning_text parts (what the SDK's ResponseReasoningItem parses).",
    source=f"{ITEM_DOCS}; {SDK} ResponseReasoningItem; every OpenAI recording with reasoning",
    area=AREA,
    scenarios=ALL,
)
def item_shape(t: Transcript) -> Outcome | None:
    steps, why = _answered(t, _creates(t))
    if why:
        return why
    for ex in steps:
        for where, item in reasoning_items(ex):
            problems = sdk_problems(ResponseReasoningItem, item)
            if not problems and not item.get("id"):
                problems = ["id: empty"]
            if problems:
                return violation(f"{ex.label}: the reasoning item at {where} is not one the SDK parses: "
                                 + "; ".join(problems), step=ex.label, got=item)
    return ok()


@transcript_check(
    id="reasoning.echoed",
    level=Level.SHOULD,
    requirement="The Response echoes the requested reasoning: the same effort, and the requested summary "
                "(\"auto\" may come back resolved as \"concise\" or \"detailed\").",
    source="https://platform.openai.com/docs/api-reference/responses/object (reasoning); every OpenAI recording "
           "that sent reasoning echoes it",
    area=AREA,
    scenarios=ALL,
)
def echoed(t: Transcript) -> Outcome | None:
    steps, why = _answered(t, _creates(t))
    if why:
        return why
    for ex in steps:
        asked, resp = _asked(ex) or {}, final_response(ex)
        if resp is None:
            continue  # no Response at all: basic.create-ok, stream.terminal-event and schema.* say so
        got = resp.get("reasoning")
        if not isinstance(got, dict):
            return violation(f"{ex.label}: response.reasoning is {got!r}, expected the requested {asked}",
                             step=ex.label, got=got, expected=asked)
        if got.get("effort") != asked.get("effort"):
            return violation(f"{ex.label}: response.reasoning.effort is {got.get('effort')!r}, but the request "
                             f"asked for {asked.get('effort')!r}", step=ex.label, got=got, expected=asked)
        summary = asked.get("summary")
        allowed = SUMMARY_ECHOES.get(summary, (summary,)) if summary is not None else (None,)
        if got.get("summary") not in allowed:
            return violation(f"{ex.label}: response.reasoning.summary is {got.get('summary')!r}, but the request "
                             f"asked for {summary!r}", step=ex.label, got=got, expected=asked)
    return ok()


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tokens(usage: Any) -> tuple[int, int] | None:
    """(output_tokens, reasoning_tokens) when both are integers."""
    if not isinstance(usage, dict) or not isinstance(usage.get("output_tokens_details"), dict):
        return None
    output, thought = _count(usage.get("output_tokens")), _count(usage["output_tokens_details"].get("reasoning_tokens"))
    return None if output is None or thought is None else (output, thought)


@transcript_check(
    id="reasoning.reasoning-tokens",
    level=Level.SHOULD,
    requirement="usage.output_tokens_details.reasoning_tokens counts the reasoning produced: at most "
                "output_tokens, and above 0 when a reasoning item carries reasoning_text.",
    source="https://platform.openai.com/docs/api-reference/responses/object (usage.output_tokens_details); "
           f"{DOCS} (reasoning tokens are billed as output tokens). A summary alone does not imply it: OpenAI "
           "once sent a summary with reasoning_tokens 0",
    area=AREA,
    scenarios=ALL,
)
def reasoning_tokens(t: Transcript) -> Outcome | None:
    steps, why = _answered(t, _creates(t))
    if why:
        return why
    for ex in steps:
        resp = final_response(ex)
        if resp is None or resp.get("status") not in ("completed", "incomplete"):
            continue  # usage is only due on a finished Response
        counts = _tokens(resp.get("usage"))
        if counts is None:
            return violation(f"{ex.label}: usage.output_tokens or output_tokens_details.reasoning_tokens is not an "
                             "integer", step=ex.label, got=resp.get("usage"))
        output, thought = counts
        if not 0 <= thought <= output:
            return violation(f"{ex.label}: reasoning_tokens {thought} is not within output_tokens {output}",
                             step=ex.label, got=resp.get("usage"))
        texts = [p.get("text") for _, item in reasoning_items(ex) for p in item.get("content") or []
                 if isinstance(p, dict)]
        if thought == 0 and any(isinstance(s, str) and s for s in texts):
            return violation(f"{ex.label}: reasoning_tokens is 0, but the answer carries reasoning_text",
                             step=ex.label, got=resp.get("usage"))
    return ok()


@transcript_check(
    id="reasoning.encrypted-content",
    level=Level.MUST,
    requirement="With include [\"reasoning.encrypted_content\"], every reasoning item carries encrypted_content "
                "(a non-empty string) to pass back statelessly.",
    source=f"https://platform.openai.com/docs/api-reference/responses/create (include); {DOCS} (stateless "
           "multi-turn with store: false); the OpenAI recordings that asked for it",
    area=AREA,
    scenarios=TWO_TURNS,
)
def encrypted_content(t: Transcript) -> Outcome | None:
    steps, why = _answered(t, _turn1(t))
    if why:
        return why
    for ex in steps:
        for where, item in reasoning_items(ex):
            sealed = item.get("encrypted_content")
            if not (isinstance(sealed, str) and sealed):
                return violation(f"{ex.label}: the reasoning item at {where} has encrypted_content {sealed!r}, "
                                 "though the request asked for it", step=ex.label, got=sealed)
    return ok()


@transcript_check(
    id="reasoning.items-accepted",
    level=Level.MUST,
    requirement="A request whose input holds the endpoint's own reasoning items, as returned (encrypted_content "
                "included), is accepted.",
    source=f"{DOCS} (pass reasoning items back, above all around function calls); "
           "https://platform.openai.com/docs/guides/conversation-state (context += response.output)",
    area=AREA,
    scenarios=TWO_TURNS,
)
def items_accepted(t: Transcript) -> Outcome | None:
    _, why = _answered(t, _turn1(t))
    if why:
        return why
    second = t.step("turn2")
    if second is None:
        return skip("turn 1 gave nothing to send back (for reasoning.function-call: no function call)",
                    step="turn1")
    bad = not_ok(second, "turn 2 (turn 1's reasoning items as input)")
    if bad:
        return bad
    if final_response(second) is None:
        return violation("turn 2's 2xx answer is not a Response", step="turn2")
    return ok()


@transcript_check(
    id="reasoning.previous-response-recall",
    level=Level.MUST,
    requirement="previous_response_id naming a response that reasoned continues it: the model recalls a code word "
                "from that turn's input.",
    source="https://platform.openai.com/docs/guides/conversation-state (previous_response_id); "
           "docs/rules.md#reasoning; model-dependent",
    area=AREA,
    scenarios=(PREVIOUS,),
    model_dependent=True,
)
def previous_response_recall(t: Transcript) -> Outcome | None:
    _, why = _answered(t, t.steps("turn1"))
    if why:
        return why
    second = t.step("turn2")
    if second is None:
        return skip("turn 1's Response has no id to continue from", step="turn1")
    bad = not_ok(second, "turn 2 (previous_response_id)", optional=True)
    if bad:
        return bad
    return has_code_word(output_text(final_response(second)), t.params["nonce"], "turn2", "turn 2 does not recall")
