"""What a run prints: live progress (stderr), then a summary table or, in quiet mode, one line (stdout).

Every string that may come from the endpoint is scrubbed of registered secrets and printed as plain
Text, never parsed as rich markup.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Mapping, Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from conformance.redact import scrub
from conformance.report.common import BLOCKING, DISPLAY_ORDER, MEANING, fix_first, one_line, trials_hint
from conformance.report.model import Report
from conformance.verdicts import Result


class _Named(Protocol):
    @property
    def id(self) -> str: ...


class ScenarioDone(Protocol):
    """What the progress display reads of a judged scenario (live/engine.py's ScenarioRun)."""

    @property
    def scenario(self) -> _Named: ...

    @property
    def results(self) -> Mapping[str, Result | None]: ...

    @property
    def seconds(self) -> float: ...


MAX_PRIORITIES = 10
STYLE = {
    "PASS": "green",
    "FAIL": "bold red",
    "ERROR": "bold magenta",
    "WARN": "yellow",
    "FLAKY": "dark_orange",
    "UNSUPPORTED": "blue",
    "SKIP": "dim",
}


def _text(s: object) -> Text:
    return Text(scrub(str(s)))


class ConsoleReporter:
    """``start(total)``, ``advance(result)`` per result, ``finish(report, report_dir)``.

    quiet: no progress and no per-failure lines; finish prints one line (for CI logs)."""

    def __init__(self, quiet: bool = False, err: TextIO | None = None, out: TextIO | None = None) -> None:
        self.quiet = quiet
        self.err = Console(file=err or sys.stderr, markup=False, highlight=False, emoji=False)
        self.out = Console(file=out or sys.stdout, markup=False, highlight=False, emoji=False)
        self._progress: Progress | None = None
        self._task: int | None = None
        self._lock = threading.RLock()
        self._scenarios_done = 0
        self._scenarios_total: int | None = None
        self._counts = {v: 0 for v in DISPLAY_ORDER}

    def start(self, total: int | None = None, description: str = "judging", scenarios: int | None = None) -> None:
        if self.quiet:
            return
        self._scenarios_total = scenarios
        if not self.err.is_terminal:
            return  # no bar in a CI log: scenario_done prints one line per finished scenario instead
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,  # the bar disappears at the end; the summary replaces it
        )
        self._progress.start()
        self._task = self._progress.add_task(description, total=total, tally="")

    def advance(self, result: Result | None = None, n: int = 1) -> None:
        if result is not None:
            self._counts[result.verdict.value] += 1
        if self._progress is None or self._task is None:
            if result is not None and result.verdict.value in BLOCKING and not self.quiet:
                self.err.print(_text(f"{result.verdict.value:<5} {result.check_id} [{result.scenario}] "
                                     f"{one_line(result.message, 200)}"), soft_wrap=True)
            return
        if result is not None and result.verdict.value in BLOCKING:
            line = Text(f"{result.verdict.value:<5} ", style=STYLE[result.verdict.value])
            line.append(_text(f"{result.check_id} [{result.scenario}] {one_line(result.message, 200)}"))
            self._progress.console.print(line)
        tally = " ".join(f"{self._counts[v]} {v}" for v in DISPLAY_ORDER if self._counts[v] and v != "PASS")
        self._progress.update(self._task, advance=n, tally=tally)

    def scenario_done(self, run: ScenarioDone) -> None:
        """A scenario ended and was judged (called from the engine's worker threads)."""
        results = [r for r in run.results.values() if r is not None]
        with self._lock:
            if self._progress is not None or self.quiet:
                for r in results:
                    self.advance(r)
                return
            self._scenarios_done += 1
            counts = {v: 0 for v in DISPLAY_ORDER}
            for r in results:
                counts[r.verdict.value] += 1
            tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no results"
            of = f"/{self._scenarios_total}" if self._scenarios_total else ""
            self.err.print(_text(f"[{self._scenarios_done}{of}] {run.scenario.id}: {tally} in {run.seconds:.1f} s"),
                           soft_wrap=True)
            for r in results:
                if r.verdict.value in BLOCKING:
                    self.err.print(_text(f"  {r.verdict.value} {r.check_id}: {one_line(r.message, 200)}"),
                                   soft_wrap=True)

    def finish(self, report: Report, report_dir: str | Path | None = None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        summary = report.summary
        name = report.target.get("name") or "target"
        where = f"; report: {Path(report_dir) / 'report.html'}" if report_dir is not None else ""
        if self.quiet:
            counts = ", ".join(f"{summary[v]} {v}" for v in DISPLAY_ORDER if summary[v]) or "no results"
            self.out.print(_text(f"responses-conformance: {name}: {counts} in {report.duration_s:.1f} s{where}"), soft_wrap=True)
            return
        self._fix_first(report, report_dir)
        table = Table(title=_text(f"{name}: {len(report.results)} results in {report.duration_s:.1f} s"), title_justify="left")
        table.add_column("verdict")
        table.add_column("count", justify="right")
        table.add_column("meaning", style="dim")
        for v in DISPLAY_ORDER:
            table.add_row(Text(v, style=STYLE[v] if summary[v] else "dim"), str(summary[v]), MEANING[v])
        self.out.print(table)
        errors: dict[str, list[Result]] = {}
        for r in report.results:
            if r.verdict.value == "ERROR":
                errors.setdefault(r.check_id, []).append(r)
        if errors:
            t = Table(title="could not judge (ERROR)", title_justify="left")
            for col in ("check", "results", "first message"):
                t.add_column(col)
            for check_id, rs in sorted(errors.items(), key=lambda kv: -len(kv[1]))[:5]:
                t.add_row(_text(check_id), str(len(rs)), _text(one_line(rs[0].message, 120)))
            self.out.print(t)
        if where:
            self.out.print(_text(where.lstrip("; ")), soft_wrap=True)

    def _fix_first(self, report: Report, report_dir: str | Path | None) -> None:
        """The broken rules, ranked (report.common.fix_first), each with where its evidence is."""
        rows = [r.to_json() for r in report.results]
        priorities = fix_first(rows)
        if not priorities:
            return
        html = Path(report_dir) / "report.html" if report_dir is not None else None
        self.out.print(Text(f"Fix this first ({len(priorities)} broken checks: protocol rules before model-dependent "
                            "checks, MUST first, then by reach)", style="bold"))
        for n, p in enumerate(priorities[:MAX_PRIORITIES], start=1):
            line = Text(f"{n:>2}. ")
            line.append(p.verdict, style=STYLE[p.verdict])
            reach = f"{p.scenarios} scenario{'s' if p.scenarios != 1 else ''}"
            whose = f"; {p.label}" if p.label else ""
            line.append(_text(f" {p.check_id} ({p.level}, {reach}{whose}): {one_line(p.message, 160)}"))
            self.out.print(line, soft_wrap=True)
            if html is not None:
                self.out.print(_text(f"    evidence: {html}#open={p.anchor}"), soft_wrap=True, style="dim")
        if len(priorities) > MAX_PRIORITIES:
            self.out.print(_text(f"    … and {len(priorities) - MAX_PRIORITIES} more in report.html"))
        hint = trials_hint(rows)
        if hint:
            self.out.print(_text(f"hint: {hint}"), soft_wrap=True)
        self.out.print()
