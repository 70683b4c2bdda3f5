"""`responses-conformance diff OLD.json NEW.json`: what changed between two reports of one target.

Results are matched by (check_id, scenario). A regression is a result that is FAIL or ERROR now and was
not before (including a result the old report did not have); a fix is the reverse. Other changes
(e.g. PASS -> WARN) are listed but do not count. Exit status 1 when there is a regression.

A model-dependent check that flips between FAIL and not-FAIL while judged over fewer than CONFIRM_TRIALS trials
is FLAKY, neither a regression nor a fix: a small model misses a code word now and then, so two runs of an
unchanged server may disagree (run both with ``--trials 3`` to confirm).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Mapping

from conformance.cli import UsageError
from conformance.redact import scrub
from conformance.report.common import BLOCKING, CONFIRM_TRIALS, by_key, is_model_dependent, one_line, rank, trials_of
from conformance.report.model import ReportError, load_report


@dataclass
class Change:
    check_id: str
    scenario: str
    old: str | None  # None: not in the old report
    new: str | None  # None: not in the new report
    message: str

    def line(self) -> str:
        text = f"{self.check_id} [{self.scenario}]: {self.old or 'absent'} -> {self.new or 'absent'}"
        return scrub(f"{text}: {one_line(self.message, 200)}" if self.message else text)


@dataclass
class Diff:
    regressions: list[Change]
    fixes: list[Change]
    other: list[Change]  # changed verdicts that are neither
    flaky: list[Change] = field(default_factory=list)  # model-dependent flips over too few trials to trust
    added: int = 0  # results only in NEW (new checks or scenarios) that are not regressions
    removed: int = 0  # results only in OLD


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    before, after = by_key(old["results"]), by_key(new["results"])
    result = Diff([], [], [])
    for key in sorted(before.keys() | after.keys()):
        o, n = before.get(key), after.get(key)
        ov, nv = (o["verdict"] if o else None), (n["verdict"] if n else None)
        if ov == nv:
            continue
        change = Change(key[0], key[1], ov, nv, str((n or o or {}).get("message") or ""))
        flip = (nv in BLOCKING) != (ov in BLOCKING) and "ERROR" not in (ov, nv) and None not in (ov, nv)
        if flip and _unconfirmed(o, n):
            result.flaky.append(change)
        elif nv in BLOCKING and ov not in BLOCKING:
            result.regressions.append(change)
        elif nv is None:
            result.removed += 1
        elif ov is None:
            result.added += 1
        elif ov in BLOCKING and nv not in BLOCKING:
            result.fixes.append(change)
        else:
            result.other.append(change)
    result.other.sort(key=lambda c: -(rank(c.new or "") - rank(c.old or "")))
    return result


def _unconfirmed(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    """A model-dependent result whose FAIL side was judged over fewer than CONFIRM_TRIALS trials."""
    failed = next((r for r in (new, old) if r is not None and r["verdict"] == "FAIL"), None)
    return failed is not None and is_model_dependent(failed) and trials_of(failed) < CONFIRM_TRIALS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", metavar="OLD.json", help="the earlier report.json")
    p.add_argument("new", metavar="NEW.json", help="the later report.json")


def main(args: argparse.Namespace) -> int:
    try:
        old, new = load_report(args.old), load_report(args.new)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    d = diff_reports(old, new)
    flaky = f"FLAKY (model-dependent flips over fewer than {CONFIRM_TRIALS} trials; --trials {CONFIRM_TRIALS} confirms)"
    for title, changes in (("regressions", d.regressions), ("fixes", d.fixes), (flaky, d.flaky),
                           ("other changes", d.other)):
        if changes or title != flaky:
            print(f"{len(changes)} {title}")
        for c in changes:
            print(f"  {c.line()}")
    print(f"{d.added} results only in {args.new} (not regressions), {d.removed} only in {args.old}")
    return 1 if d.regressions else 0
