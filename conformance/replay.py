"""`responses-conformance replay PATH...`: judge recorded exchanges offline with every registered check.

Each recording file becomes one Transcript named after its path relative to the argument it was found under.
Bad input (a missing path, invalid JSON, a file not in the recordings format) is a UsageError: exit status 2
with a one-line message naming the file.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from conformance.cli import UsageError
from conformance.exchange import Transcript
from conformance.judge import judge_all
from conformance.recordings import RecordingError, iter_paths, load_file
from conformance.registry import all_checks
from conformance.report import gate
from conformance.report.model import Report, now_iso
from conformance.report.writers import write_all


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="recording files or directories (searched for *.json)")
    p.add_argument("--report-dir", default="reports", help="where to write the reports (default: reports/)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    gate.add_gate_arguments(p)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def load_transcripts(paths: list[str]) -> list[Transcript]:
    transcripts: list[Transcript] = []
    for raw in paths:
        root = Path(raw)
        try:
            files = list(iter_paths([raw]))
            if not files:
                raise RecordingError(f"{root}: no *.json recordings found")
            for f in files:
                name = f.relative_to(root).as_posix() if root.is_dir() else f.name
                transcripts.append(Transcript(scenario=name, exchanges=[load_file(f)]))
        except RecordingError as exc:
            raise UsageError(_one_line(str(exc))) from None
    return transcripts


def _target(paths: list[str], transcripts: list[Transcript]) -> dict[str, object]:
    exchanges = [ex for t in transcripts for ex in t.exchanges]
    origins = {ex.recorded_from for ex in exchanges}
    name = origins.pop() if len(origins) == 1 and None not in origins else None
    models = Counter(
        ex.request.body["model"]
        for ex in exchanges
        if isinstance(ex.request.body, dict) and isinstance(ex.request.body.get("model"), str)
    )
    return {
        "name": name or ", ".join(Path(p).name or p for p in paths),
        "base_url": None,
        "model": models.most_common(1)[0][0] if models else None,
    }


def main(args: argparse.Namespace) -> int:
    gate.validate_arguments(args)
    started_at = now_iso()
    t0 = time.perf_counter()
    transcripts = load_transcripts(args.paths)
    results = judge_all(all_checks(), transcripts)
    duration = time.perf_counter() - t0

    report = Report(
        target=_target(args.paths, transcripts),
        results=results,
        started_at=started_at,
        duration_s=duration,
        mode="replay",
    )
    try:
        written = write_all(report, args.report_dir)
    except OSError as exc:
        raise UsageError(_one_line(f"{args.report_dir}: cannot write the report ({exc.strerror or exc})")) from None

    if not args.quiet:
        n_ex = sum(len(t.exchanges) for t in transcripts)
        # Streams were parsed (and cached) while the checks ran, so counting events here costs nothing.
        n_events = sum(len(ex.stream.events) for t in transcripts for ex in t.exchanges if ex.stream is not None)
        rate = max(duration, 1e-9)
        counts = ", ".join(f"{v} {n}" for v, n in report.summary.items() if n)
        print(
            f"replayed {n_ex} exchanges ({n_events} SSE events) in {duration:.2f}s "
            f"({n_ex / rate:.0f} exchanges/s, {n_events / rate:.0f} events/s): {counts or 'no results'}; "
            f"report: {written.get('json', args.report_dir)}"
        )
    code, lines = gate.exit_status(report, args.baseline, args.expected_failures)
    for line in lines if not args.quiet else (lines[-1:] if code else []):
        print(line, file=sys.stderr)
    return code
