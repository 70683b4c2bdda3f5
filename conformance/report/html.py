"""report.html: one self-contained file (inline CSS and JS, no network), built with jinja2 autoescape.

Everything the endpoint sent is escaped by the template engine; the script only moves nodes the
server rendered (filters, and cloning an exchange's <template> when its evidence is opened), never
parses strings as HTML. A Content-Security-Policy that admits only our own script and style (by hash)
is a second wall: an injected <script> or onerror= would not run even if escaping failed.

Scale: PASS results are folded into one row per check, and each distinct exchange is rendered once
(as an inert <template>) however many results cite it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import jinja2

from conformance.report.common import DISPLAY_ORDER, MEANING, Priority, area_of, check_evidence, counts, fix_first, \
    group_by_check, others, trials_hint, worst
from conformance.report.features import feature_rows
from conformance.sse import parse_stream

# The view report.html opens on when the run has any of these (the "problems only" preset).
PROBLEMS = ("FAIL", "ERROR", "WARN", "FLAKY")
MAX_PRIORITIES = 20
_URL = re.compile(r"(https?://[^\s;,()<>\"']+)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    return resources.files("conformance.report").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.report", "templates"),
        autoescape=True,  # every template, whatever its extension
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(DISPLAY_ORDER=DISPLAY_ORDER, MEANING=MEANING)
    return env


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(template: str, script_name: str, **context: Any) -> str:
    style, script = asset("style.css"), asset(script_name)
    csp = (
        f"default-src 'none'; style-src {_sha(style)}; script-src {_sha(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    return environment().get_template(template).render(style=style, script=script, csp=csp, **context)


def source_parts(source: str) -> list[tuple[str, str | None]]:
    """Split a check's source into text and http(s) links (no other scheme can become an href)."""
    return [(part, part if _URL.fullmatch(part) else None) for part in _URL.split(source) if part]


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@dataclass
class SseLine:
    gutter: str  # "#3 +0.120s" on the first line of an event, else ""
    text: str
    event: int | None  # index of the event this line belongs to, so a result can highlight its event


@dataclass
class ExchangeView:
    key: str
    rec: Mapping[str, Any]
    request_body: str | None
    response_body: str | None
    sse_lines: list[SseLine] | None
    sse_summary: str


@dataclass
class RowView:
    id: str
    verdict: str
    scenario: str
    message: str
    evidence: str  # the check's own evidence as JSON, or ""
    exchange: str | None  # key of the ExchangeView
    step: str
    event_index: int | None  # the event the check points at (evidence "event_index"), highlighted in the stream


@dataclass
class CheckView:
    id: str
    area: str
    level: str
    requirement: str
    source: list[tuple[str, str | None]]
    worst: str
    counts: dict[str, int]
    also: str  # blocking verdicts beside the worst, e.g. "+4 ERROR"
    rows: list[RowView] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # scenarios, folded into one row


def exchange_view(key: str, rec: Mapping[str, Any]) -> ExchangeView:
    req, resp = rec.get("request") or {}, rec.get("response") or {}
    sse = resp.get("sse")
    lines: list[SseLine] | None = None
    summary = ""
    if isinstance(sse, str):
        offsets = resp.get("event_offsets_s")
        parsed = parse_stream(sse, offsets if isinstance(offsets, list) else None)
        starts = {e.line: e for e in parsed.events}
        lines = []
        current: int | None = None
        for n, text in enumerate(_LINE_BREAK.split(sse), start=1):
            e = starts.get(n)
            current = e.index if e is not None else (None if text == "" else current)
            gutter = "" if e is None else f"#{e.index}" + (f" +{e.offset_s:.3f}s" if e.offset_s is not None else "")
            lines.append(SseLine(gutter, text, current))
        if lines and lines[-1].text == "":
            lines.pop()
        timed = [e.offset_s for e in parsed.events if e.offset_s is not None]
        summary = f"{len(parsed.events)} events"
        if timed:
            summary += f", first after {timed[0]:.3f} s, last after {timed[-1]:.3f} s"
    return ExchangeView(
        key=key,
        rec=rec,
        request_body=None if req.get("body") is None else pretty(req.get("body")),
        response_body=None if resp.get("body") is None else pretty(resp.get("body")),
        sse_lines=lines,
        sse_summary=summary,
    )


def build_view(data: Mapping[str, Any]) -> tuple[list[tuple[str, list[CheckView]]], list[ExchangeView]]:
    catalog = data.get("checks") or {}
    exchanges: dict[str, ExchangeView] = {}
    areas: dict[str, list[CheckView]] = {}
    index = {id(r): i for i, r in enumerate(data["results"])}
    for check_id, results in group_by_check(data["results"]).items():
        entry = catalog.get(check_id) or {}
        c = CheckView(
            id=check_id,
            area=area_of(results[0], catalog),
            level=results[0].get("level") or entry.get("level", ""),
            requirement=entry.get("requirement", ""),
            source=source_parts(entry.get("source", "")),
            worst=worst(r["verdict"] for r in results) or "PASS",
            counts=counts(results),
            also="",
        )
        c.also = others(c.counts, c.worst)
        for r in sorted(results, key=lambda r: (DISPLAY_ORDER.index(r["verdict"]), r["scenario"])):
            if r["verdict"] == "PASS":
                c.passed.append(r["scenario"])
                continue
            rec = (r.get("evidence") or {}).get("exchange")
            key = None
            if isinstance(rec, dict):
                digest = hashlib.sha1(json.dumps(rec, sort_keys=True, default=str).encode("utf-8", "replace"))
                key = "x" + digest.hexdigest()[:16]
                if key not in exchanges:
                    exchanges[key] = exchange_view(key, rec)
            ev = check_evidence(r)
            c.rows.append(
                RowView(
                    id=f"r{index[id(r)]}",
                    verdict=r["verdict"],
                    scenario=r["scenario"],
                    message=r.get("message") or "",
                    evidence=pretty(ev) if ev else "",
                    exchange=key,
                    step=str(ev.get("step", "")),
                    event_index=_event_index(ev),
                )
            )
        areas.setdefault(c.area, []).append(c)
    ordered = [
        (area, sorted(checks, key=lambda c: (DISPLAY_ORDER.index(c.worst), c.id))) for area, checks in areas.items()
    ]
    # Areas with the worst problems first (a FAIL before an ERROR), then by name.
    ordered.sort(key=lambda a: (DISPLAY_ORDER.index(a[1][0].worst), a[0]))
    return ordered, list(exchanges.values())


def _event_index(evidence: Mapping[str, Any]) -> int | None:
    """The stream event a check points at: `event_index`, else the first `*_event_index` it gives."""
    keys = ["event_index"] + sorted(k for k in evidence if k.endswith("_event_index"))
    for k in keys:
        v = evidence.get(k)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    return None


def render_html(data: Mapping[str, Any]) -> str:
    areas, exchanges = build_view(data)
    priorities: list[Priority] = fix_first(data["results"])
    return render_page(
        "report.html.j2",
        "report.js",
        data=data,
        target=data.get("target") or {},
        areas=areas,
        exchanges=exchanges,
        features=feature_rows(data["results"]),
        priorities=priorities[:MAX_PRIORITIES],
        more_priorities=max(0, len(priorities) - MAX_PRIORITIES),
        trials_hint=trials_hint(data["results"]),
        problems=any(data["summary"].get(v) for v in PROBLEMS),
        PROBLEMS=PROBLEMS,
    )
