"""report.md: a summary fit for $GITHUB_STEP_SUMMARY (GitHub caps it at 1 MiB), problems first.

PASS results are aggregated per check, and listed problems are capped, so a 30,000-result replay stays
readable; report.html has everything.
"""

from __future__ import annotations

import html
import json
from typing import Any, Mapping

from conformance.report.common import DISPLAY_ORDER, MEANING, area_of, check_evidence, counts, fix_first, \
    group_by_check, one_line, trials_hint
from conformance.report.features import features_markdown

LISTED = ["FAIL", "ERROR", "WARN", "FLAKY"]
MAX_ROWS_PER_CHECK = 10
MAX_ROWS = 300
MAX_DETAILS = 50
MAX_PRIORITIES = 10


def cell(text: Any, limit: int = 300, keep_end: bool = False) -> str:
    """Endpoint text made inert inside a Markdown table cell: GitHub renders inline HTML, so escape it."""
    return html.escape(one_line(text, limit, keep_end), quote=False).replace("|", "\\|").replace("`", "&#96;")


def code(text: str) -> str:
    return f"`{text}`" if "`" not in text else cell(text)


def render_markdown(data: Mapping[str, Any]) -> str:
    target = data.get("target") or {}
    catalog = data.get("checks") or {}
    results = data["results"]
    summary = data["summary"]
    out = [f"# Responses API conformance: {cell(target.get('name') or 'target')}", ""]
    facts = [
        f"model {code(str(target['model']))}" if target.get("model") else "",
        f"at {code(str(target['base_url']))}" if target.get("base_url") else "",
        f"{data.get('mode', 'run')} started {data.get('started_at', '')}",
        f"{data.get('duration_s', 0)} s",
        f"suite {data.get('suite_version', '')}",
    ]
    out += [" · ".join(f for f in facts if f), ""]
    if data.get("complete") is False:
        out += [f"> **incomplete run: {cell(data.get('stop_reason') or 'stopped before every scenario ran', 500)}.** "
                "These results cover only what finished.", ""]
    out += _fix_first(results, summary)
    out += ["| " + " | ".join(DISPLAY_ORDER) + " | total |", "|" + "---:|" * (len(DISPLAY_ORDER) + 1)]
    out += ["| " + " | ".join(str(summary.get(v, 0)) for v in DISPLAY_ORDER) + f" | {len(results)} |", ""]
    if summary.get("UNSUPPORTED"):
        out += [f"UNSUPPORTED is not a failure: {MEANING['UNSUPPORTED'].split(';')[0]}.", ""]
    out += features_markdown(results)
    out += [f"> {cell(n, 1000)}" for n in data.get("notes") or []]

    listed = [r for r in results if r["verdict"] in LISTED]
    if listed:
        out += _problems(listed, catalog)
    else:
        out += ["No FAIL, ERROR, WARN or FLAKY results.", ""]
    out += _per_check(results, catalog)
    return "\n".join(out) + "\n"


def _fix_first(results: list[Mapping[str, Any]], summary: Mapping[str, int]) -> list[str]:
    priorities = fix_first(results)
    if not priorities:
        return []
    out = ["## Fix this first", "", "Broken rules: protocol rules before model-dependent checks (whose failure may be "
           "the model's), MUST before SHOULD, then by how many scenarios they hit; each links to its first result's "
           "evidence in report.html.", ""]
    for n, p in enumerate(priorities[:MAX_PRIORITIES], start=1):
        where = f"{p.scenarios} scenario{'s' if p.scenarios != 1 else ''}" + (f"; {p.label}" if p.label else "")
        out.append(f"{n}. **{p.verdict}** [{code(p.check_id)}](report.html#open={p.anchor}) ({p.level}, {where}): "
                   f"{cell(p.message, 240)}")
    if len(priorities) > MAX_PRIORITIES:
        out.append(f"\n… and {len(priorities) - MAX_PRIORITIES} more broken checks under Problems.")
    hint = trials_hint(results)
    if hint:
        out.append(f"\n{hint}")
    if summary.get("ERROR"):
        out.append(f"\n{summary['ERROR']} ERROR results beside these: the suite could not judge them (a timeout, "
                   "a refused connection).")
    return out + [""]


def _problems(listed: list[Mapping[str, Any]], catalog: Mapping[str, Any]) -> list[str]:
    out = ["## Problems", ""]
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    for r in sorted(listed, key=lambda r: (DISPLAY_ORDER.index(r["verdict"]), r["check_id"], r["scenario"])):
        by_area.setdefault(area_of(r, catalog), []).append(r)
    shown = 0
    for area in sorted(by_area):
        out += [f"### {cell(area)}", "", "| verdict | check | scenario | message |", "|---|---|---|---|"]
        for check_id, rows in group_by_check(by_area[area]).items():
            for r in rows[:MAX_ROWS_PER_CHECK]:
                if shown >= MAX_ROWS:
                    break
                shown += 1
                out.append(f"| **{r['verdict']}** | {code(check_id)} | {cell(r['scenario'], 120, keep_end=True)} | {cell(r['message'])} |")
            if len(rows) > MAX_ROWS_PER_CHECK:
                out.append(f"| | {code(check_id)} | … {len(rows) - MAX_ROWS_PER_CHECK} more | see report.html |")
        out.append("")
    if shown < len(listed):
        out += [f"Only {shown} of {len(listed)} problems are listed; report.html and report.json have all.", ""]
    out += _details([r for r in listed if r["verdict"] in ("FAIL", "ERROR")][:MAX_DETAILS], catalog)
    return out


def _details(rows: list[Mapping[str, Any]], catalog: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for r in rows:
        entry = catalog.get(r["check_id"]) or {}
        ev = json.dumps(check_evidence(r), indent=1, ensure_ascii=False, default=str)
        step = (r.get("evidence") or {}).get("exchange") or {}
        req = step.get("request") or {}
        status = (step.get("response") or {}).get("status")
        out += [
            f"<details><summary>{r['verdict']} {html.escape(r['check_id'])} · {html.escape(one_line(r['scenario'], 120, keep_end=True))}</summary>",
            "",
            f"- rule ({html.escape(r.get('level', ''))}): {cell(entry.get('requirement', 'not in the catalog'), 1000)}",
            f"- message: {cell(r['message'], 1000)}",
        ]
        if entry.get("source"):
            out.append(f"- source: {cell(entry['source'], 1000)}")
        if req:
            out.append(f"- exchange: {cell(req.get('method', ''))} {cell(req.get('path', ''))} → {status}")
        # A fenced block is literal in GitHub Markdown; only a fence of equal length could end it early.
        fence = "`" * max(3, _longest_backtick_run(ev) + 1)
        out += ["", fence + "json", ev[:4000], fence, "", "</details>", ""]
    return out


def _longest_backtick_run(text: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        best = max(best, run)
    return best


def _per_check(results: list[Mapping[str, Any]], catalog: Mapping[str, Any]) -> list[str]:
    out = ["## All checks", "", "| area | check | level | " + " | ".join(DISPLAY_ORDER) + " |"]
    out.append("|---|---|---|" + "---:|" * len(DISPLAY_ORDER))
    groups = group_by_check(results)
    for check_id in sorted(groups, key=lambda c: (area_of(groups[c][0], catalog), c)):
        rows = groups[check_id]
        n = counts(rows)
        cells = " | ".join(str(n[v]) if n[v] else "" for v in DISPLAY_ORDER)
        out.append(f"| {cell(area_of(rows[0], catalog))} | {code(check_id)} | {rows[0].get('level', '')} | {cells} |")
    return out + [""]
