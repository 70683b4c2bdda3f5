"""`responses-conformance replay PATH...`: judge recorded exchanges offline with every registered check.

Each recording file becomes one Transcript named after its path relative to the argument it was found under.
Files are judged one at a time and each stream is read piece by piece (conformance/incremental.py).
A missing path, or a directory without *.json files, is a UsageError: exit status 2 with a one-line message
naming it. A file that is not in the recordings format (docs/recordings.md) is one ERROR under
run.recording-readable naming the file, and the replay goes on; a recording of another API (chat completions,
...) is not judged, and the report's notes say so.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conformance.cli import UsageError
from conformance.exchange import Exchange, Transcript
from conformance.incremental import judge_recording
from conformance.judge import judge
from conformance.checks.run import RECORDING_READABLE
from conformance.recordings import NotResponses, RecordingError, iter_paths
from conformance.registry import all_checks, get
from conformance.report import gate
from conformance.report.model import Report, now_iso
from conformance.report.writers import write_all
from conformance.verdicts import Result


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="recording files or directories (searched for *.json)")
    p.add_argument("--report-dir", default="reports", help="where to write the reports (default: reports/)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    gate.add_gate_arguments(p)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _recordings(paths: list[str]) -> Iterator[tuple[Path, str]]:
    """(file, the name its results carry: its path relative to the argument it was found under)."""
    for raw in paths:
        root = Path(raw)
        try:
            files = list(iter_paths([raw]))
            if not files:
                raise RecordingError(f"{root}: no *.json recordings found")
        except RecordingError as exc:
            raise UsageError(_one_line(str(exc))) from None
        for f in files:
            yield f, f.relative_to(root).as_posix() if root.is_dir() else f.name


@dataclass
class _Seen:
    """What the report's target line needs of the recordings, gathered while they stream past."""

    exchanges: int = 0
    events: int = 0
    origins: set[str | None] = field(default_factory=set)
    models: Counter[str] = field(default_factory=Counter)
    other_api: list[str] = field(default_factory=list)  # files of another API, not judged

    def notes(self) -> list[str]:
        if not self.other_api:
            return []
        shown = "; ".join(self.other_api[:3]) + ("; ..." if len(self.other_api) > 3 else "")
        return [f"{len(self.other_api)} recording(s) of another API were not judged (the checks judge the "
                f"Responses API): {shown}"]

    def add(self, ex: Exchange, events: int) -> None:
        self.exchanges += 1
        self.events += events
        self.origins.add(ex.recorded_from)
        body = ex.request.body
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            self.models[body["model"]] += 1

    def target(self, paths: list[str]) -> dict[str, object]:
        origins = set(self.origins)
        name = origins.pop() if len(origins) == 1 and None not in origins else None
        return {
            "name": name or ", ".join(Path(p).name or p for p in paths),
            "base_url": None,
            "model": self.models.most_common(1)[0][0] if self.models else None,
        }


def judge_paths(paths: list[str]) -> tuple[list[Result], _Seen]:
    """Every check on every recording, one file at a time, each stream read piece by piece
    (conformance/incremental.py): memory does not grow with a stream's length."""
    checks = all_checks()
    results: list[Result] = []
    seen = _Seen()
    for f, name in _recordings(paths):
        try:
            judged, events, ex = judge_recording(f, name, checks)
        except NotResponses as exc:
            seen.other_api.append(_one_line(str(exc)))
            continue
        except RecordingError as exc:
            results.append(_unreadable(name, _one_line(str(exc))))
            continue
        results += judged
        seen.add(ex, events)
    return results, seen


def _unreadable(name: str, message: str) -> Result:
    """run.recording-readable's ERROR on a file that is not a recording, under the file's name."""
    t = Transcript(scenario="replay")
    t.error = message
    result = judge(get(RECORDING_READABLE), t)
    assert result is not None  # the check judges every "replay" transcript
    result.scenario = name
    return result


def main(args: argparse.Namespace) -> int:
    gate.validate_arguments(args)
    started_at = now_iso()
    t0 = time.perf_counter()
    results, seen = judge_paths(args.paths)
    duration = time.perf_counter() - t0

    report = Report(
        target=seen.target(args.paths),
        results=results,
        started_at=started_at,
        duration_s=duration,
        mode="replay",
        notes=seen.notes(),
    )
    try:
        written = write_all(report, args.report_dir)
    except OSError as exc:
        raise UsageError(_one_line(f"{args.report_dir}: cannot write the report ({exc.strerror or exc})")) from None

    if not args.quiet:
        n_ex, n_events = seen.exchanges, seen.events
        rate = max(duration, 1e-9)
        counts = ", ".join(f"{v} {n}" for v, n in report.summary.items() if n)
        print(
            f"replayed {n_ex} exchanges ({n_events} SSE events) in {duration:.2f}s "
            f"({n_ex / rate:.0f} exchanges/s, {n_events / rate:.0f} events/s): {counts or 'no results'}; "
            f"report: {written.get('json', args.report_dir)}"
        )
        for note in report.notes:
            print(f"note: {note}")
    code, lines = gate.exit_status(report, args.baseline, args.expected_failures)
    for line in lines if not args.quiet else (lines[-1:] if code else []):
        print(line, file=sys.stderr)
    return code
