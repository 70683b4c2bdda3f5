"""`responses-conformance compare REPORT.json... --out DIR`: checks as rows, targets as columns.

Each cell is the worst verdict of that check on that target over all scenarios (a FAIL is never hidden behind
an ERROR: errors are counted beside it), with how many results had it, and links to that result's evidence
in the target's report.html. Columns are named by each report's target name (`run --name`).
Writes compare.html and compare.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from conformance.report.features import FEATURES, FeatureRow, compare_features_markdown, feature_rows
from conformance.cli import UsageError
from conformance.redact import scrub
from conformance.report.common import DISPLAY_ORDER, area_of, counts, group_by_check, others, worst
from conformance.report.html import render_page
from conformance.report.markdown import cell as md_cell, code as md_code
from conformance.report.model import ReportError, load_report
from conformance.report.writers import write_text


@dataclass
class Column:
    label: str
    path: str
    target: Mapping[str, Any]
    started_at: str
    suite_version: str
    summary: dict[str, int]
    html: str  # that report's report.html, relative to the compare output directory


@dataclass
class Cell:
    worst: str
    n_worst: int
    total: int
    breakdown: str  # "3 FAIL, 9 PASS"
    also: str  # blocking verdicts beside the worst, e.g. "+4 ERROR"
    href: str | None  # the first worst result's evidence in that target's report.html


@dataclass
class Row:
    check_id: str
    area: str
    level: str
    requirement: str
    cells: list[Cell | None]

    @property
    def same(self) -> bool:
        return len({c.worst if c else None for c in self.cells}) == 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="+", metavar="REPORT.json", help="report.json files, one per target")
    p.add_argument("--out", default="reports/compare", metavar="DIR", help="where to write compare.html and compare.md")


def _labels(reports: list[Mapping[str, Any]], paths: list[str]) -> list[str]:
    # A target's name, unless it is only its URL (no --name given): then the report's folder names it better.
    names = []
    for d, p in zip(reports, paths):
        t = d.get("target") or {}
        name = str(t.get("name") or "")
        if not name or name == t.get("base_url"):
            name = Path(p).resolve().parent.name or name or Path(p).stem
        names.append(name)
    # Two runs against the same target name still need distinct columns.
    return [n if names.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(names)]


def build(reports: list[Mapping[str, Any]], paths: list[str], out: Path | None = None) -> tuple[list[Column], list[Row]]:
    """Columns and rows; `out` (the compare output directory) makes each cell link to its report.html."""
    columns = [
        Column(label, path, d.get("target") or {}, str(d.get("started_at", "")), str(d.get("suite_version", "")),
               counts(d["results"]), _html_link(path, out))
        for label, path, d in zip(_labels(reports, paths), paths, reports)
    ]
    index = [{id(r): i for i, r in enumerate(d["results"])} for d in reports]
    catalog: dict[str, Any] = {}
    for d in reports:
        catalog.update(d.get("checks") or {})
    per_report = [group_by_check(d["results"]) for d in reports]
    first: dict[str, Mapping[str, Any]] = {}
    for groups in per_report:
        for check_id, results in groups.items():
            first.setdefault(check_id, results[0])
    rows = []
    for check_id, sample in first.items():
        cells: list[Cell | None] = []
        for col, idx, groups in zip(columns, index, per_report):
            results = groups.get(check_id)
            if not results:
                cells.append(None)
                continue
            n = counts(results)
            w = worst(r["verdict"] for r in results) or "PASS"
            first = next(r for r in results if r["verdict"] == w)
            # PASS results have no row of their own in report.html; anything else opens at its evidence.
            href = f"{col.html}#open=r{idx[id(first)]}" if col.html and w != "PASS" else None
            cells.append(Cell(w, n[w], len(results), ", ".join(f"{n[v]} {v}" for v in DISPLAY_ORDER if n[v]),
                              others(n, w), href))
        entry = catalog.get(check_id) or {}
        rows.append(Row(check_id, area_of(sample, catalog), str(sample.get("level", "")), entry.get("requirement", ""), cells))
    rows.sort(key=lambda r: (r.area, r.check_id))
    return columns, rows


def _html_link(report_json: str, out: Path | None) -> str:
    """The report.html beside a report.json, relative to `out`; "" when there is none."""
    html = Path(report_json).resolve().with_name("report.html")
    if out is None or not html.is_file():
        return ""
    return Path(os.path.relpath(html, out.resolve())).as_posix()


def render_markdown(columns: list[Column], rows: list[Row], features: list[list[FeatureRow]] | None = None) -> str:
    out = [f"# Responses API conformance: {len(columns)} targets compared", ""]
    out += ["| target | model | base URL | started | report |", "|---|---|---|---|---|"]
    for c in columns:
        out.append(
            f"| **{md_cell(c.label)}** | {md_cell(c.target.get('model') or '')} | {md_cell(c.target.get('base_url') or '')} "
            f"| {md_cell(c.started_at)} | {md_cell(c.path)} |"
        )
    labels = " | ".join(md_cell(c.label) for c in columns)
    if features is not None:
        out += [""] + compare_features_markdown([md_cell(c.label) for c in columns], features)[:-1]
    out += ["", "## Counts", "", f"| verdict | {labels} |", "|---|" + "---:|" * len(columns)]
    out += [f"| {v} | " + " | ".join(str(c.summary[v]) for c in columns) + " |" for v in DISPLAY_ORDER]
    out += ["", "## Checks", "", "Worst verdict over all scenarios; `3/12` = 3 of 12 results have that verdict.", ""]
    out += [f"| check | level | {labels} |", "|---|---|" + "---|" * len(columns)]
    for r in rows:
        cells = " | ".join(cell_markdown(c) for c in r.cells)
        out.append(f"| {md_code(r.check_id)} | {md_cell(r.level)} | {cells} |")
    return "\n".join(out) + "\n"


def cell_markdown(c: Cell | None) -> str:
    """A cell as Markdown: the worst verdict (bold when FAIL or ERROR), its count, linked to its evidence."""
    if c is None:
        return "—"
    text = f"{'**' + c.worst + '**' if c.worst in ('FAIL', 'ERROR') else c.worst} {c.n_worst}/{c.total}"
    text += f" ({c.also})" if c.also else ""
    return f"[{text}]({c.href})" if c.href else text


def main(args: argparse.Namespace) -> int:
    try:
        reports = [load_report(p) for p in args.reports]
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    columns, rows = build(reports, list(args.reports), out)
    out.mkdir(parents=True, exist_ok=True)
    features = [feature_rows(d["results"]) for d in reports]
    html = render_page("compare.html.j2", "compare.js", columns=columns, rows=rows,
                       features=list(zip(FEATURES, zip(*features))) if features else [])
    write_text(out / "compare.html", scrub(html))
    write_text(out / "compare.md", scrub(render_markdown(columns, rows, features)))
    print(f"wrote {out / 'compare.html'} and {out / 'compare.md'} ({len(rows)} checks, {len(columns)} targets)", file=sys.stderr)
    return 0
