"""The in-memory report and its report.json form (format "responses-conformance-report/1")."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.exchange import Exchange, now_iso
from conformance.judge import summarize
from conformance.recordings import exchange_to_record
from conformance.redact import scrub
from conformance.registry import all_checks
from conformance.verdicts import Result, Verdict

FORMAT = "responses-conformance-report/1"
# Evidence for a non-PASS verdict carries its exchange, bounded whatever the endpoint sent: a body, stream or text
# beyond MAX_EVIDENCE_CHARS is cut (with a note of its full size), any other string beyond MAX_FIELD_CHARS, a list
# or object beyond MAX_ITEMS entries; and once a report's evidence reaches MAX_REPORT_EVIDENCE_CHARS, later
# results keep only a summary of their exchange. So no endpoint can make report.json more than a few MB.
MAX_EVIDENCE_CHARS = 64_000
MAX_FIELD_CHARS = 4_000
MAX_ITEMS = 100
MAX_DEPTH = 64
MAX_REPORT_EVIDENCE_CHARS = 3_000_000


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
        budget = _Budget(MAX_REPORT_EVIDENCE_CHARS)
        return scrub(
            {
                "format": FORMAT,
                "suite_version": __version__,
                "mode": self.mode,
                "target": _bounded(self.target),
                "started_at": self.started_at,
                "duration_s": round(self.duration_s, 3),
                "summary": self.summary,
                "complete": self.complete,
                "stop_reason": self.stop_reason,
                "notes": _bounded(self.notes),
                "results": [result_json(r, budget) for r in self.results],
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


def _cut(value: Any, limit: int = MAX_EVIDENCE_CHARS) -> Any:
    """Redact, then cut (a key split by the cut would escape redaction); non-strings pass through."""
    if isinstance(value, str) and len(value) > limit:
        value = scrub(value)
        if len(value) > limit:
            return value[:limit] + f"\n... [cut: {len(value)} characters in all, {len(value) - limit} not shown]"
    return value


def _bounded(value: Any, limit: int = MAX_FIELD_CHARS, depth: int = 0) -> Any:
    """JSON-safe and bounded: strings cut, lists and objects capped, non-finite numbers shown as strings
    (report.json must stay valid JSON), nesting capped."""
    if isinstance(value, str):
        return _cut(value, limit)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= MAX_DEPTH:
        return f"[cut: nested deeper than {MAX_DEPTH} levels]"
    if isinstance(value, dict):
        items = list(value.items())
        out = {_cut(str(k), 200): _bounded(v, limit, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["[cut]"] = f"{len(items)} entries in all, {len(items) - MAX_ITEMS} not shown"
        return out
    if isinstance(value, (list, tuple)):
        out_list = [_bounded(v, limit, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            out_list.append(f"[cut: {len(value)} entries in all, {len(value) - MAX_ITEMS} not shown]")
        return out_list
    return _cut(str(value), limit)


def _bounded_body(body: Any) -> Any:
    """A JSON body as it came, or, when it is too big to show, its JSON text cut with a note of its size."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    if len(text) <= MAX_EVIDENCE_CHARS:
        return scrub(_bounded(body, MAX_EVIDENCE_CHARS))
    return _cut(text)


@dataclass
class _Budget:
    """Characters of evidence left in one report, and each exchange's bounded record (many results share one
    exchange; a large body is scrubbed and measured once, not once per result)."""

    left: int
    records: dict[int, tuple[Exchange, dict[str, Any]]] = field(default_factory=dict)

    def record(self, ex: Exchange) -> dict[str, Any]:
        if id(ex) not in self.records:
            self.records[id(ex)] = (ex, exchange_record(ex))  # keeps ex alive so its id is not reused
        return self.records[id(ex)][1]


def result_json(r: Result, budget: _Budget | None = None) -> dict[str, Any]:
    """A result for report.json. ``budget`` is shared by all the results of one report; once its characters are
    spent, evidence is cut short and an exchange is summarised."""
    out = r.to_json()
    out["message"] = _cut(scrub(out["message"]), MAX_FIELD_CHARS)
    out["evidence"] = _bounded(out["evidence"])
    if budget is not None:
        size = len(json.dumps(out["evidence"], ensure_ascii=False))
        if size > budget.left:
            out["evidence"] = {"cut": _cut(json.dumps(out["evidence"], ensure_ascii=False), MAX_FIELD_CHARS)}
            size = MAX_FIELD_CHARS
        budget.left -= size
    if r.exchange is not None and r.verdict is not Verdict.PASS:
        rec = budget.record(r.exchange) if budget is not None else exchange_record(r.exchange)
        if budget is not None:
            size = len(json.dumps(rec, ensure_ascii=False))
            if size > budget.left:
                rec = _summary(rec)
                size = len(json.dumps(rec, ensure_ascii=False))
            budget.left -= size
        out["evidence"] = {**out["evidence"], "exchange": rec}
    return out


def exchange_record(ex: Exchange) -> dict[str, Any]:
    """The exchange's recordings-format dict, bounded: bodies and streams keep up to MAX_EVIDENCE_CHARS,
    everything else (headers, notes, paths) less."""
    # Bodies are bounded before exchange_to_record walks (and scrubs) them: a body may hold millions of values.
    rec = exchange_to_record(dataclasses.replace(
        ex, request=dataclasses.replace(ex.request, body=None),
        response=dataclasses.replace(ex.response, body=None, sse=None, text=None)))
    bodies = {"request": {"body": _bounded_body(ex.request.body)}, "response": {"body": _bounded_body(ex.response.body)}}
    for key in ("sse", "text"):
        if getattr(ex.response, key) is not None:
            bodies["response"][key] = _cut(scrub(getattr(ex.response, key)))
    offsets = rec["response"].pop("event_offsets_s", None)  # numbers only; one per recorded event
    rec = _bounded(rec)
    for side, fields in bodies.items():
        rec[side].update(fields)
    if isinstance(offsets, list):
        rec["response"]["event_offsets_s"] = offsets[:MAX_EVIDENCE_CHARS // 4]
    return rec


def _summary(rec: dict[str, Any]) -> dict[str, Any]:
    req, resp = rec.get("request") or {}, rec.get("response") or {}
    out = {
        "request": {"method": req.get("method"), "path": _cut(req.get("path"), 300)},
        "response": {"status": resp.get("status")},
        "omitted": "the report's evidence budget was spent on earlier results; this exchange is summarised",
    }
    for key in ("label", "transport_error"):
        if key in rec:
            out[key] = _cut(rec[key], 300)
    return out
