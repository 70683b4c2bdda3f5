"""Multi-turn: previous_response_id carries the conversation (and not the old instructions), manual history
is accepted, and a response that was not stored cannot be continued."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import final_response, has_code_word, not_ok, output_text, rejected, unearned
from conformance.exchange import Transcript
from conformance.extract import response_id
from conformance.registry import transcript_check
from conformance.verdicts import Kind, Level, Outcome, ok, skip, violation

PREV = ("multi_turn.previous-response-id",)


def _turn2(t: Transcript, optional: bool) -> tuple[dict[str, Any] | None, Outcome | None]:
    """Turn 2's Response, or the verdict when there is none (turn 1 failing is a missing precondition)."""
    first = t.step("turn1")
    if first is None or not first.ok or final_response(first) is None:
        return None, skip("turn 1 failed, so there is nothing to continue", step="turn1")
    if response_id(first) is None and t.step("turn2") is None:
        return None, skip("turn 1's Response has no id to continue from (see schema.response)", step="turn1")
    second = t.step("turn2")
    bad = not_ok(second, "turn 2", optional=optional)
    if bad:
        return None, bad
    resp = final_response(second)
    if resp is None:
        return None, violation("turn 2's 2xx body is not a Response", step="turn2")
    return resp, None


@transcript_check(
    id="multi_turn.previous-response-id-recall",
    level=Level.MUST,
    requirement="With previous_response_id, the model sees the earlier turn: it recalls a code word given there.",
    source="https://platform.openai.com/docs/guides/conversation-state; docs/rules.md#known-deviations Ollama (previous_response_id "
           "accepted and ignored); model-dependent",
    area="multi_turn",
    scenarios=PREV,
    model_dependent=True,
)
def previous_response_id_recall(t: Transcript) -> Outcome | None:
    resp, why = _turn2(t, optional=True)
    if why:
        return why
    return has_code_word(output_text(resp), t.params["nonce"], "turn2", "turn 2 does not recall")


@transcript_check(
    id="multi_turn.previous-response-id-echoed",
    level=Level.SHOULD,
    requirement="The continued Response names the response it continues in previous_response_id.",
    source="https://platform.openai.com/docs/api-reference/responses/object (previous_response_id); echoed in "
           "every OpenAI recording that sent it",
    area="multi_turn",
    scenarios=PREV,
)
def previous_response_id_echoed(t: Transcript) -> Outcome | None:
    resp, why = _turn2(t, optional=True)
    if why:
        return why
    if resp.get("previous_response_id") == t.params["turn1_id"]:
        return ok()
    return violation("turn 2's previous_response_id is not turn 1's id", step="turn2",
                     got=resp.get("previous_response_id"), expected=t.params["turn1_id"])


def _counts(usage: Any) -> bool:
    return isinstance(usage, dict) and all(isinstance(usage.get(k), int) for k in ("input_tokens", "output_tokens"))


def _visible_output_tokens(usage: dict[str, Any]) -> int:
    details = usage.get("output_tokens_details")
    reasoning = details.get("reasoning_tokens", 0) if isinstance(details, dict) else 0
    return usage["output_tokens"] - (reasoning if isinstance(reasoning, int) else 0)


@transcript_check(
    id="multi_turn.context-usage",
    level=Level.SHOULD,
    requirement="A turn continued with previous_response_id bills at least the earlier turn's input and "
                "visible output as input tokens (the history really was sent to the model).",
    source="https://platform.openai.com/docs/guides/conversation-state (previous turns are billed as input); "
           "docs/rules.md#known-deviations Ollama (previous_response_id ignored); independent of what the model says",
    area="multi_turn",
    scenarios=PREV,
)
def context_usage(t: Transcript) -> Outcome | None:
    resp, why = _turn2(t, optional=True)
    if why:
        return why
    u1, u2 = final_response(t.step("turn1")).get("usage"), resp.get("usage")
    if not (_counts(u1) and _counts(u2)):
        return skip("usage is missing, so the billed context cannot be compared (see usage.reported)",
                    step="turn2")
    floor, got = u1["input_tokens"] + _visible_output_tokens(u1), u2["input_tokens"]
    if got >= floor:
        return ok()
    return violation(f"turn 2 billed {got} input tokens, fewer than turn 1's input + output ({floor}): the "
                     "earlier turn was not in its context", step="turn2", got=got, floor=floor)


@transcript_check(
    id="multi_turn.manual-history-accepted",
    level=Level.MUST,
    requirement="A request whose input holds earlier output items as returned (ids, status and all) is accepted.",
    source="https://platform.openai.com/docs/guides/conversation-state (manually manage conversation state: "
           "context += response.output)",
    area="multi_turn",
    scenarios=("multi_turn.manual-history",),
)
def manual_history_accepted(t: Transcript) -> Outcome | None:
    _, why = _turn2(t, optional=False)
    return why or ok()


@transcript_check(
    id="multi_turn.manual-history-recall",
    level=Level.MUST,
    requirement="With the history passed as input, the model recalls a code word from its first message.",
    source="https://platform.openai.com/docs/guides/conversation-state; docs/rules.md#verdicts nonce checks (history items "
           "dropped); model-dependent",
    area="multi_turn",
    scenarios=("multi_turn.manual-history",),
    model_dependent=True,
)
def manual_history_recall(t: Transcript) -> Outcome | None:
    resp, why = _turn2(t, optional=False)
    if why is not None:
        # A refused turn 2 is manual-history-accepted's FAIL; here there is just no answer to judge.
        if why.kind is Kind.VIOLATION:
            return skip("turn 2 has no answer (see multi_turn.manual-history-accepted)", step="turn2")
        return why
    return has_code_word(output_text(resp), t.params["nonce"], "turn2", "turn 2 does not recall")


@transcript_check(
    id="multi_turn.instructions-not-inherited",
    level=Level.MUST,
    requirement="Instructions of an earlier response are not carried into a response that continues it with "
                "previous_response_id (neither into the model's context nor into response.instructions).",
    source="https://platform.openai.com/docs/api-reference/responses/create (instructions: not carried over "
           "with previous_response_id); vLLM #37697. A leaked code word is proof; its absence is not, so the "
           "scenario runs k trials and any trial that leaks FAILs",
    area="multi_turn",
    scenarios=("multi_turn.instructions-not-inherited",),
)
def instructions_not_inherited(t: Transcript) -> Outcome | None:
    word = t.params["nonce"]
    first = t.step("turn1")
    if first is not None and first.ok and word in output_text(final_response(first)):
        return skip(f"turn 1's own answer repeated {word} (its schema was not enforced), so turn 2 may see it "
                    "legitimately", step="turn1")
    resp, why = _turn2(t, optional=True)
    if why:
        return why
    if word in str(resp.get("instructions") or ""):
        return violation("turn 2's response.instructions carries turn 1's instructions", step="turn2",
                         got=str(resp.get("instructions"))[:300])
    text = output_text(resp)
    if word in text:
        return violation(f"turn 2's answer contains {word}, which only turn 1's instructions held", step="turn2",
                         got=text[:300])
    return ok()


@transcript_check(
    id="multi_turn.unstored-not-found",
    level=Level.MUST,
    requirement="previous_response_id naming a response created with store: false is refused with a 4xx "
                "(400 or 404), not served.",
    source="https://platform.openai.com/docs/api-reference/responses/create (store); docs/rules.md#real-traffic errors "
           "(store: false silently ignored, or a continuation without its context)",
    area="multi_turn",
    scenarios=("multi_turn.unstored-previous-response",),
)
def unstored_not_found(t: Transcript) -> Outcome | None:
    first = t.step("turn1")
    bad = not_ok(first, "turn 1 (store: false)", optional=True)
    if bad:
        return bad
    if t.step("turn2") is None:
        return skip("turn 1 returned no response id", step="turn1")
    return (rejected(t.step("turn2"), "turn 2 (previous_response_id of an unstored response)")
            or unearned(t, "control", "previous_response_id naming a stored response") or ok())
