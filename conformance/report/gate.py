"""The CI gate: which FAIL and ERROR results count for the exit status (docs/rules.md#contracts).

Without options every FAIL and ERROR counts. With ``--baseline REPORT.json`` a result that was already
FAIL or ERROR there, for the same (check_id, scenario), does not count; with ``--expected-failures FILE``
a result whose check is listed (optionally only for some scenarios) does not count. A CI job then fails
only on what is new.

A model-dependent check (its verdict may be the model's: a small model misses a code word now and then) that
FAILs now and did not FAIL in the baseline, judged over fewer than CONFIRM_TRIALS trials, is FLAKY, not new:
two runs of an unchanged server must not disagree about what is new. A listed expected failure of such a check
that passes now over so few trials is not called fixed either. Run with ``--trials 3`` to confirm either way.

The expected-failures manifest (TOML, or JSON with the same shape)::

    target = "vllm"                          # optional; the gate warns when the report's target differs
    [expected."stream.sequence-number"]
    reason = "vLLM omits sequence_number"    # required
    link = "https://github.com/vllm-project/vllm/issues/1"   # the issue that tracks it
    scenarios = ["stream-basic"]             # optional; default: every scenario
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from conformance.cli import UsageError
from conformance.redact import scrub
from conformance.registry import all_checks
from conformance.report.common import BLOCKING, CONFIRM_TRIALS, by_key, is_model_dependent, one_line, trials_of
from conformance.report.model import Report, ReportError, load_report

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_LISTED = 20


@dataclass(frozen=True)
class Expected:
    check_id: str
    reason: str
    link: str
    scenarios: tuple[str, ...]  # empty: every scenario

    def covers(self, scenario: str) -> bool:
        return not self.scenarios or scenario in self.scenarios


@dataclass
class Manifest:
    path: str
    target: str | None
    expected: dict[str, Expected]


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("CI gate (only FAIL/ERROR results not listed here make the exit status 1)")
    g.add_argument("--baseline", metavar="REPORT.json", help="a previous report.json; its FAIL/ERROR results are known")
    g.add_argument(
        "--expected-failures", metavar="FILE", help="expected-failures manifest (TOML or JSON): check ID -> reason, link"
    )


def validate_arguments(args: argparse.Namespace) -> None:
    """Read the gate's files before a long run, so a typo fails at once (UsageError, exit status 2)."""
    if getattr(args, "expected_failures", None):
        load_manifest(args.expected_failures)
    if getattr(args, "baseline", None):
        try:
            load_report(args.baseline)
        except ReportError as exc:
            raise UsageError(f"--baseline {exc}") from None


def load_manifest(path: str | Path) -> Manifest:
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the expected-failures file ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw) if p.suffix.lower() == ".json" else tomllib.loads(raw)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are both ValueErrors
        raise UsageError(f"{p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'TOML'} ({exc})") from None
    table = data.get("expected") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise UsageError(f"{p}: needs an 'expected' table of check IDs")
    expected = {}
    for check_id, entry in table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            raise UsageError(f"{p}: expected.{check_id!r} needs a 'reason' string")
        scenarios = entry.get("scenarios", [])
        if not isinstance(scenarios, list) or not all(isinstance(s, str) for s in scenarios):
            raise UsageError(f"{p}: expected.{check_id!r}.scenarios must be a list of strings")
        expected[check_id] = Expected(check_id, entry["reason"].strip(), str(entry.get("link") or ""), tuple(scenarios))
    target = data.get("target")
    return Manifest(str(p), target if isinstance(target, str) else None, expected)


def _rows(report: Report | Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    if isinstance(report, Report):
        rows = [r.to_json() for r in report.results]
        return str(report.target.get("name") or ""), rows
    return str((report.get("target") or {}).get("name") or ""), list(report["results"])


def _line(prefix: str, r: Mapping[str, Any], extra: str = "") -> str:
    return scrub(f"  {prefix + ' ' if prefix else ''}{r['verdict']} {r['check_id']} [{r['scenario']}]: {one_line(r.get('message'), 160)}{extra}")


def _capped(lines: Iterable[str]) -> list[str]:
    lines = list(lines)
    return lines[:MAX_LISTED] + ([f"  ... and {len(lines) - MAX_LISTED} more"] if len(lines) > MAX_LISTED else [])


def unconfirmed(r: Mapping[str, Any]) -> bool:
    """A model-dependent verdict judged over too few trials to tell the model's noise from the endpoint's fault."""
    return is_model_dependent(r) and trials_of(r) < CONFIRM_TRIALS


def exit_status(
    report: Report | Mapping[str, Any], baseline_path: str | None = None, expected_path: str | None = None
) -> tuple[int, list[str]]:
    """The exit status for a finished run or replay, and lines explaining it (for stderr).

    Bad baseline or manifest files raise conformance.cli.UsageError (exit status 2)."""
    target, rows = _rows(report)
    blocking = [r for r in rows if r["verdict"] in BLOCKING]
    lines: list[str] = []
    baseline: dict[tuple[str, str], Mapping[str, Any]] = {}
    if baseline_path:
        try:
            baseline = by_key(load_report(baseline_path)["results"])
        except ReportError as exc:
            raise UsageError(f"--baseline {exc}") from None
    manifest = load_manifest(expected_path) if expected_path else None
    if manifest and manifest.target and target and manifest.target != target:
        lines.append(f"gate: warning: {manifest.path} is for target {manifest.target!r}, the report is for {target!r}")

    new, known, flaky = [], [], []
    for r in blocking:
        entry = manifest.expected.get(r["check_id"]) if manifest else None
        if entry and entry.covers(r["scenario"]):
            known.append(_line("expected", r, f" ({entry.reason}{'; ' + entry.link if entry.link else ''})"))
        elif baseline.get((r["check_id"], r["scenario"]), {}).get("verdict") in BLOCKING:
            known.append(_line("in baseline", r))
        elif baseline_path and r["verdict"] == "FAIL" and unconfirmed(r):
            flaky.append(_line("FLAKY", r, f" (model-dependent, {trials_of(r)} trial(s); not in the baseline)"))
        else:
            new.append(r)

    if manifest:
        failing = {(r["check_id"], r["scenario"]) for r in blocking}
        ids = {c.id for c in all_checks()}
        for e in manifest.expected.values():
            if e.check_id not in ids:  # a typo, not a fixed failure
                near = difflib.get_close_matches(e.check_id, sorted(ids), n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else " (`responses-conformance list` shows them)"
                lines.append(f"gate: {e.check_id!r} in {manifest.path} is an unknown check id{hint}")
                continue
            if any(c == e.check_id and e.covers(s) for c, s in failing):
                continue
            passing = [r for r in rows if r["check_id"] == e.check_id and e.covers(r["scenario"])]
            if passing and all(unconfirmed(r) for r in passing):
                lines.append(f"gate: {e.check_id} is listed in {manifest.path} and passes now, but it is model-dependent "
                             f"and was judged over fewer than {CONFIRM_TRIALS} trials: FLAKY, not proof of a fix "
                             f"(run with --trials {CONFIRM_TRIALS} to confirm)")
            else:
                lines.append(f"gate: {e.check_id} is listed in {manifest.path} but does not fail now; remove it when fixed")

    code = 1 if new else 0
    basis = " and ".join(x for x in (f"baseline {baseline_path}" if baseline_path else "", f"expected failures {expected_path}" if expected_path else "") if x)
    head = f"gate: {len(blocking)} FAIL/ERROR result(s)"
    if basis:
        head += f", {len(known)} known from {basis}"
        head += f", {len(flaky)} FLAKY (model-dependent, fewer than {CONFIRM_TRIALS} trials)" if flaky else ""
        head += f", {len(new)} new"
    lines.insert(0, head)
    lines += _capped(_line("NEW" if basis else "", r) for r in new)
    lines += _capped(known)
    lines += _capped(flaky)
    if flaky:
        lines.append(f"gate: FLAKY results don't count; run with --trials {CONFIRM_TRIALS} to tell the model's misses "
                     "from the endpoint's fault")
    lines.append(f"gate: exit status {code}")
    return code, lines
