"""`responses-conformance run`: the suite against one endpoint (or each of a targets file), through pytest.

With no endpoint configured it starts the embedded reference server. pytest runs in-process with plugin
autoloading off, so a user's installed pytest plugins cannot change the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from conformance.cli import UsageError
from conformance.report import gate
from conformance.report.console import ConsoleReporter
from conformance.live.engine import DEFAULT_CONCURRENCY
from conformance.live.target import TargetError, load_targets_file, parse_header
from conformance.reference.profiles import PROFILES

SUITE_DIR = Path(__file__).resolve().parent / "suite"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", help="endpoint base URL, e.g. http://127.0.0.1:8000/v1 (default: $OPENAI_BASE_URL; "
                                      "with neither, the embedded reference server)")
    p.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY); never written to any output")
    p.add_argument("--name", metavar="LABEL", help="the target's name in reports and compare (default: the base URL)")
    p.add_argument("--model", help="model id (default: the first id from GET /models)")
    p.add_argument("--header", action="append", default=[], metavar="'Name: value'",
                   help="extra request header, repeatable (e.g. a gateway's provider-routing header)")
    p.add_argument("--auth-header", default="Authorization",
                   help="header that carries the key: 'Authorization' (Bearer), another name (bare key), or 'none'")
    p.add_argument("--targets", metavar="FILE", help="TOML file of [targets.NAME] tables; runs each (or --target)")
    p.add_argument("--target", metavar="NAME", action="append", help="run only this target of --targets (repeatable)")
    p.add_argument("--request-timeout", type=float, default=60.0, metavar="S", help="limit for one whole exchange")
    p.add_argument("--idle-timeout", type=float, default=30.0, metavar="S",
                   help="longest silence allowed inside a response or stream")
    p.add_argument("--max-output-tokens", type=int, default=64, metavar="N", help="bound on every generation")
    p.add_argument("--trials", type=int, default=1, metavar="K",
                   help="trials of each model-dependent scenario; disagreement is FLAKY")
    p.add_argument("--scenario", action="append", metavar="ID", help="run only this scenario (repeatable)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                   help=f"scenarios run at once (default: {DEFAULT_CONCURRENCY}; 1 sends one request at a time); "
                        "requests in flight adapt below it when the endpoint times out or fails under load")
    p.add_argument("--max-duration", type=float, default=None, metavar="S",
                   help="wall-clock budget for the run: what finished by then is reported, marked incomplete")
    p.add_argument("--parallel-targets", type=int, default=2, metavar="N",
                   help="with --targets: how many targets run at once, each in its own process (default: 2)")
    p.add_argument("--checks", choices=("all", "protocol", "model"), default="all",
                   help="all checks (default); protocol: leave out the model-dependent checks, whose verdict may be the "
                        "model's rather than the endpoint's; model: only those")
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k expression over '<scenario>::<check>' ids")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="embedded reference server only: inject this fault (repeatable)")
    p.add_argument("--profile", choices=sorted(PROFILES), help="embedded reference server only: a vendor profile")
    p.add_argument("--report-dir", default="reports", metavar="DIR", help="where reports are written (default: reports/)")
    p.add_argument("--save-recordings", metavar="DIR",
                   help="also write every exchange of the run here, one file each (docs/recordings.md; keys "
                        "redacted), for `replay` or a bug report")
    p.add_argument("-q", "--quiet", action="store_true", help="one summary line (for CI)")
    p.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=[], help="further arguments for pytest")
    gate.add_gate_arguments(p)


def _pytest_args(args: argparse.Namespace, report_dir: Path, target_name: str | None) -> list[str]:
    out = [
        "-c", str(SUITE_DIR / "pytest.ini"), "--rootdir", str(SUITE_DIR), str(SUITE_DIR),
        "-p", "conformance.pytest_plugin", "-p", "no:terminal", "--capture=no",  # progress comes from worker threads
        "-p", "pytest_asyncio.plugin",  # plugin autoloading is off: the async tier's items need it named
        "--report-dir", str(report_dir),
        "--request-timeout", str(args.request_timeout), "--idle-timeout", str(args.idle_timeout),
        "--max-output-tokens", str(args.max_output_tokens), "--trials", str(args.trials),
        "--auth-header", args.auth_header, "--concurrency", str(args.concurrency), "--rc-checks", args.checks,
    ]
    if args.max_duration:
        out += ["--max-duration", str(args.max_duration)]
    if args.save_recordings:
        out += ["--save-recordings", str(Path(args.save_recordings) / target_name if target_name else
                                         args.save_recordings)]
    if args.targets:
        out += ["--targets", args.targets, "--target", target_name or ""]
    if args.base_url:
        out += ["--base-url", args.base_url]
    if args.api_key:
        out += ["--api-key", args.api_key]
    if args.model:
        out += ["--model", args.model]
    for h in args.header:
        out += ["--header", h]
    for s in args.scenario or []:
        out += ["--scenario", s]
    for f in args.fault:
        out += ["--fault", f]
    if args.profile:
        out += ["--profile", args.profile]
    if args.name:
        out += ["--name", args.name]
    if args.keyword:
        out += ["-k", args.keyword]
    return out + list(args.pytest_args)


def _validate(args: argparse.Namespace) -> list[str | None]:
    """Fail fast (exit 2) on bad usage; return the target names to run (None: the single target)."""
    try:
        for h in args.header:
            parse_header(h)
        if args.targets:
            names = [t.name for t in load_targets_file(args.targets)]
            wanted = args.target or names
            unknown = [n for n in wanted if n not in names]
            if unknown:
                raise TargetError(f"no target {unknown[0]!r} in {args.targets} (known: {', '.join(names)})")
            if args.name and len(wanted) > 1:
                raise TargetError("--name names one target; with several, each is named by its [targets.NAME]")
            return list(wanted)
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    if args.target:
        raise UsageError("--target needs --targets FILE")
    endpoint = args.base_url or os.environ.get("OPENAI_BASE_URL")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        source = "--base-url" if args.base_url else "$OPENAI_BASE_URL"
        raise UsageError(f"{source} {endpoint!r} needs a scheme: http://{endpoint.split('://')[-1]} or https://...")
    if (args.fault or args.profile) and endpoint:
        raise UsageError("--fault and --profile apply to the embedded reference server; drop --base-url")
    if args.fault or args.profile:
        from conformance.reference.catalogue import UnknownName, resolve_hooks

        try:
            resolve_hooks(args.fault, args.profile)
        except UnknownName as exc:
            raise UsageError(str(exc)) from None
    if args.scenario:
        from conformance.live.runner import select_scenarios

        try:
            select_scenarios(args.scenario)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    for name, v in (("--trials", args.trials), ("--max-output-tokens", args.max_output_tokens),
                    ("--concurrency", args.concurrency), ("--parallel-targets", args.parallel_targets)):
        if v < 1:
            raise UsageError(f"{name} must be at least 1")
    for name, v in (("--request-timeout", args.request_timeout), ("--idle-timeout", args.idle_timeout),
                    ("--max-duration", args.max_duration)):
        if v is not None and v <= 0:
            raise UsageError(f"{name} must be positive")
    return [None]


def run_one(args: argparse.Namespace, report_dir: Path, target_name: str | None):
    """Run the suite once through pytest; returns the Report (None if pytest could not start)."""
    import pytest

    from conformance import pytest_plugin

    pytest_plugin.LAST_REPORT = None
    console = ConsoleReporter(quiet=args.quiet)
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main(_pytest_args(args, report_dir, target_name), plugins=[_Progress(console)])
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old
    report = pytest_plugin.LAST_REPORT
    if report is None:
        print(f"responses-conformance run: error: {_why_no_report(int(code), args)}", file=sys.stderr)
        return None
    if not untestable(report):
        console.finish(report, report_dir)  # an untestable endpoint gets one line (exit_code), not a table
    return report


def _why_no_report(code: int, args: argparse.Namespace) -> str:
    """The reason pytest ended without running the suite, in the user's terms (pytest's own output is off)."""
    from pytest import ExitCode as pytest_exit

    if code == pytest_exit.NO_TESTS_COLLECTED:
        if args.keyword:
            return (f"-k {args.keyword!r} matches no '<scenario>::<check>' item; check ids are listed by "
                    "`responses-conformance list`, scenario ids in docs/scenarios.md")
        if args.checks != "all":
            return (f"--checks {args.checks} leaves no '<scenario>::<check>' item in the scenarios chosen "
                    "(`responses-conformance list` marks the model-dependent checks)")
        return "no scenario × check item was selected"
    if code == pytest_exit.USAGE_ERROR:
        return "pytest refused the arguments (see its message above; --pytest-args passes them through)"
    if code == pytest_exit.INTERRUPTED:
        return "interrupted before the suite ran"
    return f"pytest stopped before the suite ran (pytest exit code {code}; see the messages above)"


class _Progress:
    """Feeds the console while pytest's own terminal output is off."""

    def __init__(self, console: ConsoleReporter) -> None:
        self.console = console

    def pytest_collection_finish(self, session) -> None:
        from conformance.pytest_plugin import RUN_KEY, item_pair  # lazy: the CLI imports this module for every command

        scenarios = {pair[0].id for item in session.items if (pair := item_pair(item))}
        self.console.start(len(session.items), "checking", scenarios=len(scenarios))
        session.config.stash[RUN_KEY].on_scenario = self.console.scenario_done


def untestable(report) -> bool:
    """Whether the preflight found the endpoint could not be tested (its report holds that one ERROR)."""
    from conformance.checks.run import PREFLIGHT

    return any(r.check_id == PREFLIGHT for r in report.results)


EXIT_UNTESTABLE = 3  # docs/rules.md#contracts: preflight failed (unreachable, key refused, unknown model)
EXIT_SIGNAL = {"stopped by SIGTERM": 143, "interrupted (Ctrl-C)": 130}


def exit_code(report, args: argparse.Namespace) -> int:
    """The run's exit status: 3 if the endpoint could not be tested, 128+N if a signal stopped it, else the
    CI gate's (an incomplete run is never 0)."""
    if untestable(report):
        print(f"responses-conformance run: {report.results[0].message}", file=sys.stderr)
        return EXIT_UNTESTABLE
    for note in report.notes:
        print(f"note: {note}")
    code, lines = gate.exit_status(report, args.baseline, args.expected_failures)
    for line in lines if not args.quiet else (lines[-1:] if code else []):
        print(line, file=sys.stderr)
    if not report.complete:
        print(f"responses-conformance run: incomplete: {report.stop_reason}", file=sys.stderr)
        return EXIT_SIGNAL.get(report.stop_reason.split(";")[0] if report.stop_reason else "", max(code, 1))
    return code


def main(args: argparse.Namespace) -> int:
    names = _validate(args)
    gate.validate_arguments(args)
    root = Path(args.report_dir)
    if len(names) > 1:
        return run_targets(args, names, root)
    report = run_one(args, root, names[0])
    if report is None:
        return 2
    return exit_code(report, args)


def run_targets(args: argparse.Namespace, names: list[str | None], root: Path) -> int:
    """Each target of a targets file in its own process (at most --parallel-targets at once), each into
    root/NAME; their lines are relayed with the target's name. The worst exit status wins."""
    import subprocess
    import threading
    from concurrent.futures import ThreadPoolExecutor

    base = _without(args._argv, {"--target", "--report-dir", "--parallel-targets"})
    lock = threading.Lock()

    def one(name: str) -> int:
        cmd = [sys.executable, "-m", "conformance", *base, "--target", name, "--report-dir", str(root / name)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)
        assert proc.stdout is not None
        for line in proc.stdout:
            with lock:
                print(f"[{name}] {line.rstrip()}", file=sys.stderr, flush=True)
        return proc.wait()

    ran = [n for n in names if n]
    with ThreadPoolExecutor(max_workers=args.parallel_targets) as pool:
        codes = list(pool.map(one, ran))
    print("targets:")
    for name, code in zip(ran, codes):
        print(f"  {name}: exit {code}: {_target_summary(root / name)}")
    return max(codes, default=0)


def _target_summary(report_dir: Path) -> str:
    """One target's outcome from its report.json: its counts, or why it could not be tested."""
    import json

    from conformance.checks.run import PREFLIGHT

    try:
        data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"no report in {report_dir} (see its lines above)"
    results = data.get("results") or []
    if results and results[0].get("check_id") == PREFLIGHT:
        return str(results[0].get("message"))
    counts = ", ".join(f"{n} {v}" for v, n in (data.get("summary") or {}).items() if n) or "no results"
    incomplete = "" if data.get("complete", True) else f"; incomplete: {data.get('stop_reason')}"
    return f"{counts}{incomplete}; report: {report_dir / 'report.html'}"


def _without(argv: list[str], options: set[str]) -> list[str]:
    """argv without the given options (and their values), in either `--opt v` or `--opt=v` form."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in options:
            skip = True
            continue
        if a.split("=", 1)[0] in options:
            continue
        out.append(a)
    return out
