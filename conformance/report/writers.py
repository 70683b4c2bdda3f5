"""Write every report format into one directory (DESIGN §7: report.json, report.md, report.html, junit.xml)."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.report.model import Report


def write_all(report: Report, report_dir: str | Path) -> dict[str, Path]:
    """Write all report files into report_dir (created if needed) and return their paths by format."""
    d = Path(report_dir)
    d.mkdir(parents=True, exist_ok=True)
    data = report.to_json()
    paths = {"json": d / "report.json", "md": d / "report.md"}
    paths["json"].write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    # Placeholder Markdown until the full renderers land (owned by the reports work).
    lines = [f"# Conformance report: {data['target'].get('name', '')}", ""]
    lines += [f"- {k}: {v}" for k, v in data["summary"].items()]
    paths["md"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths
