"""max_output_tokens: a response cut by the limit says so. The prompt needs far more than 16 tokens, so a
compliant server has no choice; a model that stops early by itself is a SKIP, not a PASS or FAIL."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import final_response, not_ok, not_streamed
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Kind, Level, Outcome, ok, skip, violation

LIMITS = ("limits.max-output-tokens", "limits.max-output-tokens-stream")


def _judge_status(ex: Exchange, resp: dict[str, Any], limit: int) -> Outcome:
    status = resp.get("status")
    reason = (resp.get("incomplete_details") or {}).get("reason") \
        if isinstance(resp.get("incomplete_details"), dict) else None
    usage = resp.get("usage") if isinstance(resp.get("usage"), dict) else {}
    used = usage.get("output_tokens")
    if isinstance(used, int) and used > limit:
        return violation(f"{used} output tokens with max_output_tokens {limit}", step=ex.label)
    if status == "incomplete":
        if reason == "max_output_tokens":
            return ok()
        return violation(f"incomplete_details.reason is {reason!r}, expected 'max_output_tokens'", step=ex.label)
    if status == "completed" and isinstance(used, int) and used < limit:
        return skip(f"the model stopped by itself after {used} tokens, below the limit", step=ex.label)
    return violation(f"status is {status!r} for an answer cut at max_output_tokens {limit} "
                     f"(output_tokens {used!r}); expected incomplete", step=ex.label)


@transcript_check(
    id="limits.incomplete",
    level=Level.MUST,
    requirement="A response cut by max_output_tokens has status incomplete and incomplete_details.reason "
                "max_output_tokens, and uses no more output tokens than allowed.",
    source="https://platform.openai.com/docs/api-reference/responses/object (incomplete_details); docs/rules.md#known-deviations "
           "llama.cpp (reported completed), Llama Stack (reason 'length')",
    area="limits",
    scenarios=("limits.max-output-tokens",),
)
def incomplete(t: Transcript) -> Outcome | None:
    ex = t.step("create")
    bad = not_ok(ex, "create")
    if bad:
        return bad
    resp = final_response(ex)
    if resp is None:
        return violation("the 2xx body is not a Response", step="create")
    return _judge_status(ex, resp, t.params["limit"])


@transcript_check(
    id="limits.incomplete-stream",
    level=Level.MUST,
    requirement="A stream cut by max_output_tokens ends with a response.incomplete event whose response has "
                "status incomplete and reason max_output_tokens.",
    source="https://platform.openai.com/docs/api-reference/responses-streaming/response/incomplete; docs/rules.md#known-deviations "
           "vLLM (response.completed carrying status incomplete), llama.cpp",
    area="limits",
    scenarios=("limits.max-output-tokens-stream",),
)
def incomplete_stream(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    bad = not_streamed(ex)
    if bad:
        return bad
    terminal = [e for e in ex.stream.typed()
                if e.type in ("response.completed", "response.incomplete", "response.failed")]
    resp = final_response(ex)
    if not terminal or resp is None:
        return violation("the stream has no terminal event with a response", step="stream")
    verdict = _judge_status(ex, resp, t.params["limit"])
    if verdict.kind is Kind.OK and terminal[-1].type != "response.incomplete":
        return violation(f"the terminal event is {terminal[-1].type}, expected response.incomplete",
                         step="stream")
    return verdict


@transcript_check(
    id="limits.items-incomplete",
    level=Level.SHOULD,
    requirement="In a response cut by max_output_tokens, the last output item (the one cut short) has status "
                "incomplete, not completed.",
    source="https://platform.openai.com/docs/api-reference/responses/object (output item status); OpenAI "
           "recordings; docs/rules.md#known-deviations vLLM #57998",
    area="limits",
    scenarios=LIMITS,
)
def items_incomplete(t: Transcript) -> Outcome | None:
    label = "create" if t.step("create") else "stream"
    ex = t.step(label)
    resp = final_response(ex) if ex is not None and ex.ok else None
    if resp is None or resp.get("status") != "incomplete":
        return skip("no incomplete response to inspect (see limits.incomplete)", step=label)
    items = [i for i in resp.get("output") or [] if isinstance(i, dict) and "status" in i]
    if not items:
        return skip("the cut response has no output item with a status (e.g. only reasoning)", step=ex.label)
    if items[-1].get("status") == "incomplete":
        return ok()
    return violation(f"the last {items[-1].get('type')} item has status {items[-1].get('status')!r} inside an "
                     "incomplete response", step=ex.label)
