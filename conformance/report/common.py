"""Helpers the report renderers share. They all work on the report.json dict, so a report can be
re-rendered (or compared) from the file alone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from conformance.redact import scrub
from conformance.verdicts import Verdict

# Display order: what needs action first.
DISPLAY_ORDER = ["FAIL", "ERROR", "WARN", "FLAKY", "UNSUPPORTED", "SKIP", "PASS"]
# docs/rules.md#verdicts, shown beside the counts so a reader knows e.g. that UNSUPPORTED is not a failure.
MEANING = {
    "PASS": "the rule holds",
    "FAIL": "a MUST rule is broken",
    "WARN": "a SHOULD rule is broken: works, but differs from OpenAI",
    "UNSUPPORTED": "the endpoint cleanly refuses an optional feature; not a failure",
    "SKIP": "a precondition is missing",
    "ERROR": "the suite could not judge (timeout, connection, suite bug)",
    "FLAKY": "a model-dependent check passed in some trials and failed in others",
}
# Verdicts that make the exit status 1 (docs/rules.md#contracts).
BLOCKING = {"FAIL", "ERROR"}
# Display rank, highest first: DISPLAY_ORDER, so a FAIL is never hidden behind an ERROR (which says only that
# the suite could not judge) in a check's badge or a compare cell.
_RANK = {v: len(DISPLAY_ORDER) - i for i, v in enumerate(DISPLAY_ORDER)}
# "Fix this first": a broken rule (FAIL for MUST, WARN for SHOULD), ranked by level, then by reach.
FIX_VERDICTS = ("FAIL", "WARN")
LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "INFO": 2}


def is_model_dependent(result: Mapping[str, Any]) -> bool:
    """Whether a report.json result comes from a model-dependent check (its verdict may be the model's)."""
    return bool(result.get("model_dependent"))


def trials_of(result: Mapping[str, Any]) -> int:
    """How many trials a result was judged over (judge.judge_trials records it when there were several)."""
    n = (result.get("evidence") or {}).get("trials")
    return n if isinstance(n, int) and n > 0 else 1


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


def others(n: Mapping[str, int], shown: str) -> str:
    """The blocking verdicts a cell does not show, e.g. "+4 ERROR" beside a FAIL."""
    return ", ".join(f"+{n[v]} {v}" for v in DISPLAY_ORDER if v in BLOCKING and v != shown and n.get(v))


@dataclass
class Priority:
    """One broken rule in "fix this first": a check, how far it reaches, and its first result."""

    check_id: str
    level: str
    verdict: str
    scenarios: int  # distinct scenarios (or replayed files) it hit
    results: int
    message: str
    anchor: str  # "r<index in results>": report.html's row id of the first result (#open=<anchor>)
    model_dependent: bool = False  # the check is model-dependent: ranked after every protocol rule

    @property
    def label(self) -> str:
        """What a reader is told beside the check: whose failure it may be."""
        return "model-dependent: may be the model's failure, not the endpoint's" if self.model_dependent else ""


# The trials a model-dependent verdict needs before the CI gate and `diff` trust a change in it; with fewer, a
# flip between runs is FLAKY (a small model misses a code word now and then; docs/rules.md#verdicts).
CONFIRM_TRIALS = 3


def trials_hint(results: Iterable[Mapping[str, Any]]) -> str | None:
    """A hint to re-run with --trials when model-dependent checks failed on too few trials, or disagreed."""
    failed = {r["check_id"] for r in results if is_model_dependent(r) and r["verdict"] in (*FIX_VERDICTS, "FLAKY")
              and trials_of(r) < CONFIRM_TRIALS}
    if not failed:
        return None
    return (f"{len(failed)} model-dependent check(s) failed or disagreed over fewer than {CONFIRM_TRIALS} trials: "
            f"a small model misses now and then. Run with --trials {CONFIRM_TRIALS} (or more) to tell the model's "
            "noise from the endpoint's fault; only a check that fails every trial is the endpoint's.")


def fix_first(results: list[Mapping[str, Any]]) -> list[Priority]:
    """Distinct checks that FAIL or WARN: protocol rules before model-dependent checks (whose failure may be the
    model's, not the endpoint's), then MUST before SHOULD, then by how many scenarios they hit."""
    hits: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(results):
        if r["verdict"] in FIX_VERDICTS:
            hits[r["check_id"]].append(i)
    out = []
    for check_id, idx in hits.items():
        rows = [results[i] for i in idx]
        verdict = worst(r["verdict"] for r in rows) or "FAIL"
        first = next(i for i in idx if results[i]["verdict"] == verdict)
        out.append(Priority(check_id, str(rows[0].get("level") or ""), verdict, len({r["scenario"] for r in rows}),
                            len(rows), str(results[first].get("message") or ""), f"r{first}",
                            any(is_model_dependent(r) for r in rows)))
    out.sort(key=lambda p: (p.model_dependent, LEVEL_ORDER.get(p.level, 3), FIX_VERDICTS.index(p.verdict),
                            -p.scenarios, p.check_id))
    return out


def by_key(results: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Results keyed by (check_id, scenario); the worst wins when a key repeats (e.g. over trials)."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for r in results:
        key = (r["check_id"], r["scenario"])
        if key not in out or rank(r["verdict"]) > rank(out[key]["verdict"]):
            out[key] = r
    return out


assert set(DISPLAY_ORDER) == {v.value for v in Verdict}
