"""The MUST audit (conformance/mustaudit.py, docs/rules.md#must-audit): every MUST has a normative source or
clean evidence in genuine OpenAI traffic, none fails that traffic, and the table in docs/rules.md is current."""

from __future__ import annotations

from pathlib import Path

from conformance import mustaudit
from conformance.registry import get


def test_every_must_is_supported_none_fails_openai_traffic_and_the_table_is_current(recordings_dir: Path) -> None:
    rows = mustaudit.audit(recordings_dir / "openai")
    assert len(rows) > 50
    unsupported = [r.check.id for r in rows if not r.supported]
    assert unsupported == [], "a MUST without a normative source or clean OpenAI traffic: make it a SHOULD"
    failing = [f"{r.check.id}: {r.failed} of {r.judged}" for r in rows if r.failed]
    assert failing == [], "a MUST check fails genuine OpenAI traffic: the check is wrong"
    assert sum(r.judged for r in rows) > 10000  # the replay judged the recordings
    doc = mustaudit.DOC.read_text(encoding="utf-8")
    assert mustaudit.updated_doc(rows, doc) == doc, "stale: run python -m conformance.mustaudit --write"


def test_source_kinds_and_support() -> None:
    assert mustaudit.source_kinds("https://platform.openai.com/docs/api-reference/responses/get; RFC 3986 §3.3") == (
        "API reference", "specification")
    assert mustaudit.source_kinds("openai-python 3.57.0 ResponseStreamManager") == ("SDK",)
    assert mustaudit.source_kinds("docs/rules.md#verdicts nonce checks") == ()
    check = get("stream.terminal-event")
    assert mustaudit.Row(check, (), judged=260, failed=0).supported  # clean evidence in real traffic
    assert not mustaudit.Row(check, (), judged=0, failed=0).supported  # neither: must become a SHOULD
    assert not mustaudit.Row(check, ("traffic evidence",), judged=260, failed=3).supported  # fails OpenAI
    assert mustaudit.Row(check, ("SDK",), judged=0, failed=0).supported
