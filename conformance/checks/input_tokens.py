"""`POST /v1/responses/input_tokens` (responses.input_tokens.count): shape, and counts that follow the input.

Facts from openai-python 3.51.0: `InputTokenCountResponse` {input_tokens: int, object: "response.input_tokens"}.
"""

from __future__ import annotations

from openai.types.responses.input_token_count_response import InputTokenCountResponse

from conformance.checks.common import SDK, SDK_DOCS, body, not_ok, sdk_problems
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

AREA = "input_tokens"
DOCS = f"{SDK_DOCS}/responses/subresources/input_tokens/methods/count"
SCENARIOS = ("input_tokens.count",)
STEPS = ("string", "message", "larger")


@transcript_check(
    id="input_tokens.shape",
    level=Level.MUST,
    requirement="POST /v1/responses/input_tokens answers {object: \"response.input_tokens\", input_tokens: "
                "int >= 1} for a string and for a message input, or refuses cleanly (UNSUPPORTED); never a 5xx.",
    source=f"{DOCS}; {SDK} InputTokenCountResponse",
    area=AREA,
    scenarios=SCENARIOS,
)
def shape(t: Transcript) -> Outcome | None:
    for label in STEPS:
        bad = not_ok(t.step(label), f"input_tokens ({label} input)", optional=True)
        if bad:
            return bad
        b = body(t.step(label))
        problems = sdk_problems(InputTokenCountResponse, b)
        if problems:
            return violation(f"{label}: not the SDK's InputTokenCountResponse: " + "; ".join(problems), step=label)
        if b["input_tokens"] < 1:
            return violation(f"{label}: a non-empty input counts {b['input_tokens']} tokens", step=label)
    return ok()


def _count(t: Transcript, label: str) -> int | None:
    ex = t.step(label)
    b = body(ex) if ex is not None and ex.ok else None
    value = b.get("input_tokens") if isinstance(b, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@transcript_check(
    id="input_tokens.grows-with-input",
    level=Level.MUST,
    requirement="A string forty times longer counts more input tokens than the short one.",
    source=f"{DOCS}; a count that ignores the input (a constant) is silent acceptance (docs/rules.md#verdicts)",
    area=AREA,
    scenarios=SCENARIOS,
)
def grows_with_input(t: Transcript) -> Outcome | None:
    short, larger = _count(t, "string"), _count(t, "larger")
    if short is None or larger is None:
        return skip("no two counts to compare; judged by input_tokens.shape")
    if larger <= short:
        return violation(f"the larger input counts {larger} tokens, the short one {short}", step="larger",
                         got={"short": short, "larger": larger})
    return ok()
