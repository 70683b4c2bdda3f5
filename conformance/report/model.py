"""The in-memory report and its report.json form (format "responses-conformance-report/1")."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from conformance import __version__
from conformance.judge import summarize
from conformance.recordings import exchange_to_record
from conformance.redact import scrub
from conformance.verdicts import Result, Verdict

FORMAT = "responses-conformance-report/1"
# Evidence for a non-PASS verdict carries its whole exchange; bodies beyond this many characters are cut.
MAX_EVIDENCE_CHARS = 200_000


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Report:
    target: dict[str, Any]  # {"name", "base_url", "model"}
    results: list[Result]
    started_at: str = field(default_factory=now_iso)
    duration_s: float = 0.0
    mode: str = "run"  # "run" | "replay"
    notes: list[str] = field(default_factory=list)  # run-level messages (e.g. "endpoint unreachable")

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.results)

    def to_json(self) -> dict[str, Any]:
        return scrub(
            {
                "format": FORMAT,
                "suite_version": __version__,
                "mode": self.mode,
                "target": self.target,
                "started_at": self.started_at,
                "duration_s": round(self.duration_s, 3),
                "summary": self.summary,
                "notes": self.notes,
                "results": [result_json(r) for r in self.results],
            }
        )


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_EVIDENCE_CHARS:
        return value[:MAX_EVIDENCE_CHARS] + f"\n... [{len(value) - MAX_EVIDENCE_CHARS} more characters cut]"
    return value


def result_json(r: Result) -> dict[str, Any]:
    out = r.to_json()
    if r.exchange is not None and r.verdict is not Verdict.PASS:
        rec = exchange_to_record(r.exchange)
        rec["response"]["sse"] = _cut(rec["response"]["sse"])
        if "text" in rec["response"]:
            rec["response"]["text"] = _cut(rec["response"]["text"])
        out["evidence"] = {**out["evidence"], "exchange": rec}
    return out
