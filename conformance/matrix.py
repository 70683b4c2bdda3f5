"""`responses-conformance matrix`: the compatibility matrix of several targets, from saved reports or a targets file.

    responses-conformance matrix                          # every docs/compatibility/*/report.json
    responses-conformance matrix --targets mine.toml      # run each target into docs/compatibility/NAME/ first

Writes ``compatibility.md`` and ``compatibility.html`` (``--out``, default docs/) and one SVG badge per target
(``<reports-dir>/badges/NAME.svg``, made with anybadge). Per target: a header row (server and version, model,
date, suite version, the MUST pass rate), the feature table (supported / unsupported / broken, with counts),
then every check as a row, MUST first, each cell linking to its evidence in that target's report.html. The
server's rules and the model-dependent checks are separate tables: on a small model, what the model cannot do
is not the server's fault. Targets whose report says ``"emulation": true`` (the reference server's vendor
profiles) are labelled emulations and come after the real servers.

The MUST pass rate counts the MUST server rules judged on the target (worst verdict over all scenarios; SKIP and
UNSUPPORTED are not judged) whose worst verdict is PASS.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.cli import UsageError
from conformance.live.target import TargetError, load_targets_file
from conformance.redact import scrub
from conformance.registry import all_checks
from conformance.report.compare import Cell, Row, build as build_compare, cell_markdown
from conformance.report.features import FEATURES, STATUSES, FeatureRow, feature_rows
from conformance.report.markdown import cell as md_cell, code as md_code
from conformance.report.model import ReportError, load_report
from conformance.report.writers import write_text

LEVELS = ("MUST", "SHOULD", "INFO")
NOT_JUDGED = {"SKIP", "UNSUPPORTED"}
REBUILD = "python -m conformance.servers.baseline --update"


@dataclass
class Column:
    label: str
    slug: str
    server: str
    model: str
    date: str
    suite_version: str
    emulation: bool
    report: str  # the target's report.html, relative to the output directory ("" when there is none)
    features: list[FeatureRow]
    must_passed: int
    must_judged: int
    badge: str  # the badge's SVG, relative to the output directory

    @property
    def must_rate(self) -> str:
        return f"{100 * self.must_passed / self.must_judged:.0f}%" if self.must_judged else "n/a"

    def feature_count(self, status: str) -> int:
        return sum(1 for f in self.features if f.status == status)


@dataclass
class Matrix:
    columns: list[Column]
    server_rows: list[Row]  # protocol rules, MUST first
    model_rows: list[Row]  # model-dependent checks


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="*", metavar="REPORT.json",
                   help="report.json files, one per target (default: every REPORTS_DIR/*/report.json)")
    p.add_argument("--targets", metavar="FILE",
                   help="TOML targets file: run the suite against each target into REPORTS_DIR/NAME first")
    p.add_argument("--target", metavar="NAME", action="append", help="with --targets: only this target (repeatable)")
    p.add_argument("--reports-dir", default="docs/compatibility", metavar="DIR",
                   help="where the matrix's reports live (one directory per target) and its badges go")
    p.add_argument("--out", default="docs", metavar="DIR", help="where to write compatibility.md and compatibility.html")


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "target"


def _model_dependent() -> set[str]:
    return {c.id for c in all_checks() if c.model_dependent}


def must_rate(rows: list[Row], i: int) -> tuple[int, int]:
    """(MUST rules whose worst verdict is PASS, MUST rules judged) on column i."""
    judged = [r.cells[i] for r in rows if r.level == "MUST" and r.cells[i] and r.cells[i].worst not in NOT_JUDGED]
    return sum(1 for c in judged if c and c.worst == "PASS"), len(judged)


def build(paths: list[str], out: Path, badge_dir: Path) -> Matrix:
    reports = [load_report(p) for p in paths]
    order = sorted(range(len(reports)), key=lambda i: (bool(reports[i]["target"].get("emulation")),
                                                          str(reports[i]["target"].get("name") or "")))
    reports, paths = [reports[i] for i in order], [paths[i] for i in order]
    base, rows = build_compare(reports, paths, out)
    for i, col in enumerate(base):
        for r in rows:  # a PASS cell links to the report too: its evidence is the report's exchanges
            c = r.cells[i]
            if c is not None and c.href is None and col.html:
                r.cells[i] = Cell(c.worst, c.n_worst, c.total, c.breakdown, c.also, col.html)
    model = _model_dependent()
    key = lambda r: (LEVELS.index(r.level) if r.level in LEVELS else len(LEVELS), r.check_id)  # noqa: E731
    server_rows = sorted((r for r in rows if r.check_id not in model), key=key)
    model_rows = sorted((r for r in rows if r.check_id in model), key=key)
    columns = []
    for i, (col, data) in enumerate(zip(base, reports)):
        t = data.get("target") or {}
        passed, judged = must_rate(server_rows, i)
        s = slug(col.label)
        columns.append(Column(
            label=col.label, slug=s, server=str(t.get("server") or "not stated"), model=str(t.get("model") or ""),
            date=col.started_at[:10], suite_version=col.suite_version, emulation=bool(t.get("emulation")),
            report=col.html, features=feature_rows(r for r in data["results"] if r["check_id"] not in model),
            must_passed=passed, must_judged=judged,
            badge=_rel(badge_dir / f"{s}.svg", out)))
    return Matrix(columns, server_rows, model_rows)


def _rel(path: Path, out: Path) -> str:
    return Path(os.path.relpath(path.resolve(), out.resolve())).as_posix()


def badge_svg(col: Column) -> str:
    import anybadge

    rate = col.must_passed / col.must_judged if col.must_judged else 0.0
    color = "green" if rate >= 0.95 else "yellow" if rate >= 0.85 else "orange" if rate >= 0.7 else "red"
    label = f"{col.label}{' (emulation)' if col.emulation else ''}: MUST"
    value = f"{col.must_rate} of {col.must_judged}" if col.must_judged else "n/a"
    return str(anybadge.Badge(label=label, value=value, default_color=color).badge_svg_text)


# -- Markdown ---------------------------------------------------------------------------------------------

def _label(c: Column) -> str:
    return md_cell(c.label) + (" *(emulation)*" if c.emulation else "")


def _check_table(rows: list[Row], columns: list[Column]) -> list[str]:
    out = [f"| check | level | {' | '.join(_label(c) for c in columns)} |", "|---|---|" + "---|" * len(columns)]
    out += [f"| {md_code(r.check_id)} | {r.level} | {' | '.join(cell_markdown(c) for c in r.cells)} |" for r in rows]
    return out


def render_markdown(m: Matrix) -> str:
    cols = m.columns
    real = [c for c in cols if not c.emulation]
    emu = [c for c in cols if c.emulation]
    out = [
        "# Compatibility matrix",
        "",
        f"Generated by `responses-conformance matrix` from the reports in [compatibility/](compatibility/); do not "
        f"edit. {len(real)} real servers and {len(emu)} emulations (the reference server imitating a vendor's known "
        f"deviations: a profile, not the vendor's code). Every cell links to its evidence in that target's "
        f"report.html. The same matrix as a page: [compatibility.html](compatibility.html). Rebuild it for the real "
        f"servers with `{REBUILD}`; add your own server's column with "
        "`responses-conformance matrix --targets my-server.toml` (see the README).",
        "",
        "The real servers run SmolLM2-135M (a 135M-parameter model), so the checks whose verdict depends on what "
        "the model writes are kept apart from the server's rules: a model that cannot call a tool is not a server "
        "that breaks tool calling. The MUST pass rate counts the MUST server rules judged on the target (worst "
        "verdict over all scenarios, SKIP and UNSUPPORTED left out) whose worst verdict is PASS.",
        "",
        "## Targets",
        "",
        "| target | badge | server | model | date | suite | MUST pass rate | report |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in cols:
        report = f"[report.html]({c.report})" if c.report else "—"
        out.append(f"| **{_label(c)}** | ![{md_cell(c.label)}]({c.badge}) | {md_cell(c.server)} | {md_cell(c.model)} "
                   f"| {c.date} | {md_cell(c.suite_version)} | {c.must_passed}/{c.must_judged} ({c.must_rate}) "
                   f"| {report} |")
    out += ["", "## Features", "",
            "Each row is decided by its own checks (the server's rules alone, never the model-dependent ones); the "
            "cross-cutting rules come last. **broken**: one of its results FAILs; unsupported: refused cleanly and "
            "nothing FAILed; supported: its results PASS; not judged otherwise.", ""]
    out += [f"| feature | | {' | '.join(_label(c) for c in cols)} |", "|---|---|" + "---|" * len(cols)]
    for i, feature in enumerate(FEATURES):
        cells = []
        for c in cols:
            f = c.features[i]
            status = f"**{f.status}**" if f.status == "broken" else f.status
            cells.append(f"[{status}]({c.report})" if c.report else status)
        out.append(f"| {feature.name} | {md_cell(feature.what)} | {' | '.join(cells)} |")
    for status in STATUSES:
        out.append(f"| *{status}* | count | {' | '.join(str(c.feature_count(status)) for c in cols)} |")
    out += ["", f"## The server's rules ({len(m.server_rows)} checks, MUST first)", "",
            "Worst verdict over all scenarios; `3/12` = 3 of 12 results have it; — = not judged on that target.", ""]
    out += _check_table(m.server_rows, cols)
    out += ["", f"## Model-dependent checks ({len(m.model_rows)})", "",
            "What the model answered: whether it repeated a code word, called a tool unprompted, recalled an "
            "earlier turn. On SmolLM2-135M these say more about the model than about the server.", ""]
    out += _check_table(m.model_rows, cols)
    return scrub("\n".join(out) + "\n")


# -- HTML -------------------------------------------------------------------------------------------------

_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.v a{color:inherit;text-decoration:none;display:block}.PASS{background:#e6f4e6}.FAIL,.broken{background:#f9d6d5}
.ERROR{background:#f5c6a5}.WARN{background:#fdf1c7}.UNSUPPORTED,.unsupported,.SKIP{background:#ececec}
.FLAKY{background:#e8dcf5}.supported{background:#e6f4e6}code{font-size:13px}.emu{color:#666;font-style:italic}"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _html_label(c: Column) -> str:
    return _e(c.label) + (' <span class="emu">(emulation)</span>' if c.emulation else "")


def _html_cell(c: Cell | None) -> str:
    if c is None:
        return "<td>—</td>"
    text = _e(f"{c.worst} {c.n_worst}/{c.total}" + (f" ({c.also})" if c.also else ""))
    title = _e(c.breakdown)
    inner = f'<a href="{_e(c.href)}" title="{title}">{text}</a>' if c.href else f'<span title="{title}">{text}</span>'
    return f'<td class="v {c.worst}">{inner}</td>'


def _html_checks(rows: list[Row], cols: list[Column]) -> list[str]:
    out = ["<table><tr><th>check</th><th>level</th>" + "".join(f"<th>{_html_label(c)}</th>" for c in cols) + "</tr>"]
    for r in rows:
        out.append(f'<tr><td><code title="{_e(r.requirement)}">{_e(r.check_id)}</code></td><td>{_e(r.level)}</td>'
                   + "".join(_html_cell(c) for c in r.cells) + "</tr>")
    return out + ["</table>"]


def render_html(m: Matrix) -> str:
    cols = m.columns
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; "
           "style-src 'unsafe-inline'\">",
           "<title>Responses API compatibility matrix</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Compatibility matrix</h1>",
           "<p>Generated by <code>responses-conformance matrix</code>. Emulations are the reference server imitating a "
           "vendor's known deviations, not the vendor's code. Model-dependent checks are kept apart from the "
           "server's rules. Every cell links to its evidence.</p>",
           "<h2>Targets</h2><table><tr><th>target</th><th>badge</th><th>server</th><th>model</th><th>date</th>"
           "<th>suite</th><th>MUST pass rate</th><th>report</th></tr>"]
    for c in cols:
        report = f'<a href="{_e(c.report)}">report.html</a>' if c.report else "—"
        out.append(f'<tr><th>{_html_label(c)}</th><td><img src="{_e(c.badge)}" alt="{_e(c.must_rate)}"></td>'
                   f"<td>{_e(c.server)}</td><td>{_e(c.model)}</td><td>{_e(c.date)}</td><td>{_e(c.suite_version)}</td>"
                   f"<td>{c.must_passed}/{c.must_judged} ({_e(c.must_rate)})</td><td>{report}</td></tr>")
    out += ["</table><h2>Features</h2><table><tr><th>feature</th><th></th>"
            + "".join(f"<th>{_html_label(c)}</th>" for c in cols) + "</tr>"]
    for i, feature in enumerate(FEATURES):
        cells = "".join(
            f'<td class="v {c.features[i].status.replace(" ", "-")}"><a href="{_e(c.report)}" '
            f'title="{_e(c.features[i].detail)}">{_e(c.features[i].status)}</a></td>' for c in cols)
        out.append(f"<tr><td>{_e(feature.name)}</td><td>{_e(feature.what)}</td>{cells}</tr>")
    for status in STATUSES:
        out.append(f"<tr><th>{_e(status)}</th><td>count</td>"
                   + "".join(f"<td>{c.feature_count(status)}</td>" for c in cols) + "</tr>")
    out += ["</table>", f"<h2>The server's rules ({len(m.server_rows)} checks, MUST first)</h2>"]
    out += _html_checks(m.server_rows, cols)
    out += [f"<h2>Model-dependent checks ({len(m.model_rows)})</h2>"]
    out += _html_checks(m.model_rows, cols)
    out += ["</body></html>"]
    return scrub("\n".join(out) + "\n")


# -- command ----------------------------------------------------------------------------------------------

def write(paths: list[str], out: Path, reports_dir: Path) -> Matrix:
    badge_dir = reports_dir / "badges"
    m = build(paths, out, badge_dir)
    out.mkdir(parents=True, exist_ok=True)
    badge_dir.mkdir(parents=True, exist_ok=True)
    for c in m.columns:
        write_text(badge_dir / f"{c.slug}.svg", badge_svg(c))
    write_text(out / "compatibility.md", render_markdown(m))
    write_text(out / "compatibility.html", render_html(m))
    return m


def saved_reports(reports_dir: Path) -> list[str]:
    return [str(p) for p in sorted(reports_dir.glob("*/report.json"))]


def _run_targets(path: str, only: list[str] | None, reports_dir: Path) -> None:
    try:
        names = [t.name for t in load_targets_file(path)]
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    for name in only or names:
        if name not in names:
            raise UsageError(f"no target {name!r} in {path} (known: {', '.join(names)})")
        # Each target in its own `run`, as `run --targets` does; a target whose checks FAIL still gets its column.
        subprocess.run([sys.executable, "-m", "conformance", "run", "--targets", path, "--target", name,
                        "--report-dir", str(reports_dir / name)], stdin=subprocess.DEVNULL, check=False)


def main(args: argparse.Namespace) -> int:
    reports_dir = Path(args.reports_dir)
    if args.target and not args.targets:
        raise UsageError("--target needs --targets FILE")
    if args.targets:
        _run_targets(args.targets, args.target, reports_dir)
    paths = list(args.reports) or saved_reports(reports_dir)
    if not paths:
        raise UsageError(f"no reports: give REPORT.json files, --targets FILE, or put reports in {reports_dir}/*/")
    try:
        m = write(paths, Path(args.out), reports_dir)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {Path(args.out) / 'compatibility.md'} and compatibility.html: {len(m.columns)} targets, "
          f"{len(m.server_rows)} server rules, {len(m.model_rows)} model-dependent checks", file=sys.stderr)
    return 0

