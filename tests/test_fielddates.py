"""conformance/fielddates.py: one table of when OpenAI started sending each field, true to the recordings."""

from __future__ import annotations

from pathlib import Path

from conformance import fielddates
from conformance.recordings import iter_paths, load_file


def test_a_field_is_expected_from_the_month_after_it_appeared() -> None:
    assert not fielddates.expected("sequence_number", "2025-06-30T23:59:59Z")
    assert not fielddates.expected("sequence_number", "2025-07-20T00:00:00Z")  # the day inside the month is unknown
    assert fielddates.expected("sequence_number", "2025-08-01T00:00:00Z")
    assert fielddates.expected("sequence_number", None)  # a live run, or a recording without a date: today
    assert fielddates.not_yet_sent("2025-06-15T00:00:00Z") >= {"sequence_number", "logprobs", "completed_at"}
    assert "service_tier" not in fielddates.not_yet_sent("2025-06-15T00:00:00Z")
    assert fielddates.not_yet_sent(None) == frozenset()


def test_every_openai_recording_carries_what_the_table_expects_on_its_date(recordings_dir: Path) -> None:
    """The table never expects a field OpenAI did not send on a recording's date (no false alarm)."""
    response_fields = [k for k, f in fielddates.FIRST_SENT.items() if f.where == "Response object"]
    missing: list[str] = []
    for p in iter_paths([str(recordings_dir / "openai")]):
        ex = load_file(p)
        objects = []
        if ex.stream is not None:
            for ev in ex.stream.typed():
                if fielddates.expected("sequence_number", ex.recorded_at) and "sequence_number" not in ev.json:
                    missing.append(f"{p.name}: sequence_number")
                if isinstance(ev.json.get("response"), dict):
                    objects.append(ev.json["response"])
        elif isinstance(ex.response.body, dict) and ex.response.body.get("object") == "response":
            objects.append(ex.response.body)
        for obj in objects:
            missing += [f"{p.name}: {k}" for k in response_fields
                        if fielddates.expected(k, ex.recorded_at) and k not in obj]
    assert missing == []
