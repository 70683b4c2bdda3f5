"""When OpenAI started sending each field that grew into the API after launch: one table, read by every presence rule.

A recording is judged by what OpenAI sent on the day it was recorded; a live run is recorded today, so it is
judged by today. Dates are the month OpenAI is known to have started sending a field (docs/rules.md#when-openai-started-sending-each-field), checked
against the shared OpenAI recordings: each field is in every recording after its month and in none before.
The exact day inside that month is unknown, so a recording made during the month is not expected to carry it.
A recording with no date is judged as if made today (nothing excuses a missing field).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Field:
    since: str  # "YYYY-MM": the month OpenAI started sending it
    where: str  # where it appears, in words (for docs and messages)
    # Schema models ($defs key or root title) whose `required` lists it; "*" is every model that requires it.
    # Empty when no schema requires it (a SHOULD-level presence rule judges it instead).
    models: tuple[str, ...] = ()


FIRST_SENT: dict[str, Field] = {
    "service_tier": Field("2025-05", "Response object"),
    "background": Field("2025-05", "Response object"),
    "max_tool_calls": Field("2025-06", "Response object"),
    "top_logprobs": Field("2025-06", "Response object"),
    "sequence_number": Field("2025-07", "every stream event", ("*",)),
    "logprobs": Field("2025-07", "output_text.delta / output_text.done events",
                      ("ResponseTextDeltaEvent", "ResponseTextDoneEvent")),
    "obfuscation": Field("2025-08", "delta events (unless stream_options.include_obfuscation is false)"),
    "prompt_cache_key": Field("2025-08", "Response object"),
    "safety_identifier": Field("2025-08", "Response object"),
    "prompt_cache_retention": Field("2025-11", "Response object"),
    "completed_at": Field("2025-12", "Response object"),
    "frequency_penalty": Field("2026-01", "Response object"),
    "presence_penalty": Field("2026-01", "Response object"),
    "cache_write_tokens": Field("2026-07", "usage.input_tokens_details"),
}


def expected(field: str, recorded_at: str | None) -> bool:
    """Whether OpenAI sent ``field`` on ``recorded_at`` ("YYYY-MM-DD..."; None means today)."""
    if not recorded_at:
        return True
    return recorded_at[:7] > FIRST_SENT[field].since


@lru_cache(maxsize=256)  # asked once per event, with few distinct dates
def not_yet_sent(recorded_at: str | None) -> frozenset[str]:
    """The table's fields OpenAI did not (yet) send on that date."""
    return frozenset(name for name in FIRST_SENT if not expected(name, recorded_at))
