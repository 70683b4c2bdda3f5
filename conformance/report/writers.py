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
    d = Path(report_dir)
    d.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt, text in render_all(report.to_json()).items():
        paths[fmt] = d / FILE_NAMES[fmt]
        write_text(paths[fmt], text)
    return paths
