"""Usage accounting on finished responses (plain and streamed)."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import final_response
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, violation

# Scenarios whose responses finish normally; usage is judged on every finished Response they recorded.
USAGE_SCENARIOS = (
    "basic.string-input", "basic.message-roles", "basic.instructions", "streaming.text",
    "limits.max-output-tokens", "limits.max-output-tokens-stream", "metadata.echo", "json_mode.json-schema",
)


def _finished(t: Transcript) -> list[tuple[Exchange, dict[str, Any]]]:
    out = []
    for ex in t.exchanges:
        resp = final_response(ex) if ex.ok else None
        if resp and resp.get("status") in ("completed", "incomplete"):
            out.append((ex, resp))
    return out


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


@transcript_check(
    id="usage.reported",
    level=Level.MUST,
    requirement="A finished Response has usage with integer input_tokens, output_tokens and "
                "total_tokens = input_tokens + output_tokens.",
    source="https://platform.openai.com/docs/api-reference/responses/object (usage); docs/rules.md#real-traffic "
           "(usage is null only in created/in_progress/queued)",
    area="usage",
    scenarios=USAGE_SCENARIOS,
)
def reported(t: Transcript) -> Outcome | None:
    done = _finished(t)
    if not done:
        return None
    for ex, resp in done:
        u = resp.get("usage")
        if not isinstance(u, dict):
            return violation(f"usage is {u!r} on a {resp.get('status')} response", step=ex.label)
        bad = [k for k in ("input_tokens", "output_tokens", "total_tokens") if not _is_count(u.get(k))]
        if bad:
            return violation(f"usage.{bad[0]} is {u.get(bad[0])!r}, not a non-negative integer", step=ex.label)
        if u["total_tokens"] != u["input_tokens"] + u["output_tokens"]:
            return violation(f"total_tokens {u['total_tokens']} != input_tokens {u['input_tokens']} + "
                             f"output_tokens {u['output_tokens']}", step=ex.label)
    return ok()


@transcript_check(
    id="usage.details",
    level=Level.SHOULD,
    requirement="usage carries input_tokens_details.cached_tokens and output_tokens_details.reasoning_tokens "
                "as integers.",
    source="https://platform.openai.com/docs/api-reference/responses/object (usage); present in every "
           "finished OpenAI recording",
    area="usage",
    scenarios=USAGE_SCENARIOS,
)
def details(t: Transcript) -> Outcome | None:
    done = [(ex, r) for ex, r in _finished(t) if isinstance(r.get("usage"), dict)]
    if not done:
        return None  # no usage at all: usage.reported says so
    for ex, resp in done:
        u = resp["usage"]
        for obj, key in (("input_tokens_details", "cached_tokens"), ("output_tokens_details", "reasoning_tokens")):
            d = u.get(obj)
            if not isinstance(d, dict) or not _is_count(d.get(key)):
                return violation(f"usage.{obj}.{key} is missing or not an integer", step=ex.label, got=d)
    return ok()
