"""Write every report format into one directory (docs/rules.md#contracts: report.json, report.md, report.html, junit.xml)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from conformance.redact import scrub
from conformance.report.html import render_html
from conformance.report.junit import render_junit
from conformance.report.markdown import render_markdown
from conformance.report.model import Report


def write_text(path: Path, text: str) -> None:
    # An endpoint can send lone surrogates inside JSON strings; they must not abort the whole report.
    path.write_text(text, encoding="utf-8", errors="replace")


def render_all(data: Mapping[str, Any]) -> dict[str, str]:
    """Every report file's text from report.json data, by format. Scrubbed again as a last line of defence."""
    return {
        "json": json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n",
        "md": scrub(render_markdown(data)),
        "html": scrub(render_html(data)),
        "junit": scrub(render_junit(data)),
    }


FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html", "junit": "junit.xml"}


def write_all(report: Report, report_dir: str | Path) -> dict[str, Path]:
    """Write all report files into report_dir (created if needed) and return their paths by format."""
    return write_data(report.to_json(), report_dir)


def write_data(data: Mapping[str, Any], report_dir: str | Path) -> dict[str, Path]:
    """Write all report files for report.json data (e.g. merged from pytest-xdist workers)."""
    d = Path(report_dir)
    d.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt, text in render_all(data).items():
        paths[fmt] = d / FILE_NAMES[fmt]
        write_text(paths[fmt], text)
    return paths


def merge_reports(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One report.json from several runs of the same target (pytest-xdist workers, each with its own engine):
    results concatenated, a failed preflight kept once, the summary counted again, incomplete if any part is."""
    if not parts:
        raise ValueError("no report to merge")
    merged: dict[str, Any] = dict(parts[0])
    results: list[Any] = []
    seen_preflight = False
    for part in parts:
        for r in part.get("results", []):
            if r.get("check_id") == "run.preflight":
                if seen_preflight:
                    continue
                seen_preflight = True
            results.append(r)
    merged["results"] = results
    merged["summary"] = {v: sum(1 for r in results if r.get("verdict") == v) for v in parts[0].get("summary", {})}
    merged["started_at"] = min(str(p.get("started_at", "")) for p in parts)
    merged["duration_s"] = max(float(p.get("duration_s") or 0) for p in parts)
    merged["complete"] = all(p.get("complete", True) for p in parts)
    merged["stop_reason"] = "; ".join(dict.fromkeys(str(p["stop_reason"]) for p in parts if p.get("stop_reason"))) or None
    merged["notes"] = list(dict.fromkeys(n for p in parts for n in p.get("notes", [])))
    merged["checks"] = {k: v for p in parts for k, v in p.get("checks", {}).items()}
    return merged
