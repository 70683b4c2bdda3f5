"""The in-memory report and its report.json form (format "responses-conformance-report/1")."""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.judge import summarize
from conformance.recordings import exchange_to_record
from conformance.redact import scrub
from conformance.registry import all_checks
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
    complete: bool = True  # False: the run was stopped (signal, --max-duration, endpoint gone, preflight)
    stop_reason: str | None = None

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
                "complete": self.complete,
                "stop_reason": self.stop_reason,
                "notes": self.notes,
                "results": [result_json(r) for r in self.results],
                "checks": check_catalog({r.check_id for r in self.results}),
            }
        )


def check_catalog(ids: set[str]) -> dict[str, dict[str, str]]:
    """The registry's description of each judged check, so readers of the report see the rule and its source
    without the suite installed. Results from checks that are not (or no longer) registered get no entry."""
    return {c.id: c.to_json() for c in all_checks() if c.id in ids}


class ReportError(ValueError):
    """A file that is not a readable report.json. The message names the file."""


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a report.json and check the shape the report tools rely on."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{p}: no such file") from None
    except OSError as exc:
        raise ReportError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReportError(f"{p}: not a report (invalid JSON: {exc})") from None
    fmt = data.get("format") if isinstance(data, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("responses-conformance-report/"):
        raise ReportError(f"{p}: not a report (no 'format': 'responses-conformance-report/N')")
    if fmt != FORMAT:
        raise ReportError(f"{p}: unsupported report format {fmt!r} (this suite reads {FORMAT!r})")
    results = data.get("results")
    if not isinstance(data.get("target"), dict) or not isinstance(results, list):
        raise ReportError(f"{p}: not a report (needs a 'target' object and a 'results' list)")
    verdicts = {v.value for v in Verdict}
    for i, r in enumerate(results):
        if not (
            isinstance(r, dict)
            and isinstance(r.get("check_id"), str)
            and isinstance(r.get("scenario"), str)
            and r.get("verdict") in verdicts
        ):
            raise ReportError(f"{p}: not a report (results[{i}] needs check_id, scenario and a known verdict)")
    return data


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
