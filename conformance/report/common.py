"""Helpers the report renderers share. They all work on the report.json dict, so a report can be
re-rendered (or compared) from the file alone."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping

from conformance.redact import scrub
from conformance.verdicts import SEVERITY, Verdict

# Display order: what needs action first.
DISPLAY_ORDER = ["FAIL", "ERROR", "WARN", "FLAKY", "UNSUPPORTED", "SKIP", "PASS"]
# DESIGN §3, shown beside the counts so a reader knows e.g. that UNSUPPORTED is not a failure.
MEANING = {
    "PASS": "the rule holds",
    "FAIL": "a MUST rule is broken",
    "WARN": "a SHOULD rule is broken: works, but differs from OpenAI",
    "UNSUPPORTED": "the endpoint cleanly refuses an optional feature; not a failure",
    "SKIP": "a precondition is missing",
    "ERROR": "the suite could not judge (timeout, connection, suite bug)",
    "FLAKY": "a model-dependent check passed in some trials and failed in others",
}
# Verdicts that make the exit status 1 (DESIGN §7).
BLOCKING = {"FAIL", "ERROR"}
_RANK = {v.value: n for v, n in SEVERITY.items()}


def rank(verdict: str) -> int:
    return _RANK.get(verdict, -1)


def worst(verdicts: Iterable[str]) -> str | None:
    return max(verdicts, key=rank, default=None)


def area_of(result: Mapping[str, Any], catalog: Mapping[str, Any]) -> str:
    entry = catalog.get(result["check_id"]) or {}
    return result.get("area") or entry.get("area") or result["check_id"].split(".", 1)[0]


def check_evidence(result: Mapping[str, Any]) -> dict[str, Any]:
    """The check's own evidence, without the (large) exchange record."""
    return {k: v for k, v in (result.get("evidence") or {}).items() if k != "exchange"}


def group_by_check(results: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["check_id"]].append(r)
    return groups


def counts(results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    out = {v: 0 for v in DISPLAY_ORDER}
    for r in results:
        out[r["verdict"]] += 1
    return out


def one_line(text: Any, limit: int = 300, keep_end: bool = False) -> str:
    """Whitespace collapsed and cut to limit; keep_end keeps the tail (a file path's distinctive part)."""
    s = " ".join(scrub(str(text or "")).split())  # redact before cutting: a cut key would escape the match
    if len(s) <= limit:
        return s
    return "…" + s[1 - limit :] if keep_end else s[: limit - 1] + "…"



def by_key(results: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Results keyed by (check_id, scenario); the worst wins when a key repeats (e.g. over trials)."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for r in results:
        key = (r["check_id"], r["scenario"])
        if key not in out or rank(r["verdict"]) > rank(out[key]["verdict"]):
            out[key] = r
    return out


assert set(DISPLAY_ORDER) == {v.value for v in Verdict}
