"""Pytest glue: target options, one session per run, scenario x check items, the report at the end.

All the work is elsewhere (live.runner runs scenarios, judge.py judges, report/ writes). It is not a
pytest11 entry point: installing the suite must not change anyone else's pytest runs. conformance/suite's
conftest loads it, and `run` passes `-p conformance.pytest_plugin`. Every option exists as `--rc-NAME`, which
no other plugin can own, and as the plain `--NAME` wherever no other plugin has taken that name
(pytest-base-url owns `--base-url`; its value is honoured too).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import signal
import threading
import time
import warnings
from contextlib import ExitStack
from typing import Any, Callable

import pytest

from conformance.live.client import RecordingClient
from conformance.live.engine import DEFAULT_CONCURRENCY, Engine, ScenarioRun
from conformance.live.runner import select_scenarios
from conformance.live.scenario import Scenario
from conformance.live.target import Target, TargetError, load_targets_file, parse_header
from conformance.registry import Check, all_checks
from conformance.report.model import Report, now_iso
from conformance.verdicts import Result, Verdict

# --checks: every check, the protocol's only, or only the model-dependent ones (pytest marker model_dependent).
CHECK_CLASSES = ("all", "protocol", "model")

# The last finished run's report, for the `run` command (which calls pytest.main in-process).
LAST_REPORT: Report | None = None


class ConformanceWarning(UserWarning):
    """A SHOULD rule is broken (verdict WARN): the test passes, the report says WARN."""


# Plain --NAME aliases waiting to be registered: (group, --NAME, addoption keywords); and the parser while
# every other plugin is loaded, so that a name can be checked and taken at once.
_PLAIN: list[tuple[Any, str, dict[str, Any]]] = []
_READY: list[pytest.Parser] = []


def _add(group: Any, name: str, **kw: Any) -> None:
    """Register --rc-NAME (dest given explicitly, so no other plugin's dest is touched) and --NAME where free."""
    group.addoption("--rc-" + name.removeprefix("--"), **kw)
    _PLAIN.append((group, name, kw))
    if _READY:
        _add_plain_aliases(_READY[0])


def _add_plain_aliases(parser: pytest.Parser) -> None:
    """Register each queued --NAME that no plugin loaded so far has taken (pytest has no public list of names)."""
    taken = {n for g in (parser._anonymous, *parser._groups) for o in g.options for n in o.names()}
    while _PLAIN:
        group, name, kw = _PLAIN.pop(0)
        if name not in taken:
            group.addoption(name, **kw)


def _installed_plugins_pending(pluginmanager: pytest.PytestPluginManager) -> bool:
    """True when `-p` loaded us before pytest loaded the installed pytest11 plugins: their names are unknown yet."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return bool(importlib.metadata.entry_points(group="pytest11")) and not pluginmanager.list_plugin_distinfo()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> None:
    # Every plugin named by -p or installed is loaded now, and the command line is not parsed yet.
    _add_plain_aliases(parser)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    _PLAIN.clear()
    _READY[:] = [] if _installed_plugins_pending(pluginmanager) else [parser]
    g = parser.getgroup("responses-conformance", "Responses API conformance target")
    _add(g, "--base-url", dest="rc_base_url", default=None,
         help="endpoint base URL, e.g. http://127.0.0.1:8000/v1 (default: pytest-base-url's --base-url, then "
              "$OPENAI_BASE_URL, else the embedded reference server)")
    _add(g, "--name", dest="rc_name", default=None, metavar="LABEL", help="the target's name in reports")
    _add(g, "--api-key", dest="rc_api_key", default=None, help="API key (default: $OPENAI_API_KEY)")
    _add(g, "--model", dest="rc_model", default=None, help="model id (default: the first from GET /models)")
    _add(g, "--header", dest="rc_headers", action="append", default=[], metavar="'Name: value'",
         help="extra request header, repeatable (e.g. a gateway's routing header)")
    _add(g, "--auth-header", dest="rc_auth_header", default="Authorization",
         help="header that carries the key ('Authorization' sends a Bearer token; 'none' sends no auth)")
    _add(g, "--targets", dest="rc_targets", default=None, metavar="FILE", help="TOML file of [targets.NAME] tables")
    _add(g, "--target", dest="rc_target", default=None, metavar="NAME", help="which target of --targets to run")
    _add(g, "--request-timeout", dest="rc_request_timeout", type=float, default=60.0, metavar="S")
    _add(g, "--idle-timeout", dest="rc_idle_timeout", type=float, default=30.0, metavar="S",
         help="longest silence allowed inside a response or stream")
    _add(g, "--max-output-tokens", dest="rc_max_output_tokens", type=int, default=64, metavar="N")
    _add(g, "--trials", dest="rc_trials", type=int, default=1, metavar="K",
         help="trials of each model-dependent scenario (disagreement is FLAKY)")
    _add(g, "--report-dir", dest="rc_report_dir", default=None, metavar="DIR",
         help="write report.json, report.md, report.html and junit.xml here")
    _add(g, "--save-recordings", dest="rc_save_recordings", default=None, metavar="DIR",
         help="write every exchange of the run here, one recording per file (docs/recordings.md; keys redacted)")
    _add(g, "--scenario", dest="rc_scenarios", action="append", default=None, metavar="ID",
         help="run only this scenario (repeatable)")
    _add(g, "--fault", dest="rc_faults", action="append", default=[], metavar="NAME",
         help="with the embedded reference server: inject this fault (repeatable)")
    _add(g, "--profile", dest="rc_profile", default=None, metavar="NAME",
         help="with the embedded reference server: a vendor profile")
    _add(g, "--concurrency", dest="rc_concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
         help="scenarios run at once (1: one request at a time)")
    _add(g, "--checks", dest="rc_checks", choices=CHECK_CLASSES, default="all",
         help="which checks: all, protocol (leave out the model-dependent ones, whose verdict may be the model's), "
              "or model (only those); the same as -m 'not model_dependent' / -m model_dependent")
    _add(g, "--max-duration", dest="rc_max_duration", type=float, default=None, metavar="S",
         help="wall-clock budget for the run; what finished by then is reported, marked incomplete")


def target_from_options(opt: Any) -> Target | None:
    """The Target the options describe, or None for the embedded reference server."""
    common = dict(
        request_timeout_s=opt.rc_request_timeout,
        idle_timeout_s=opt.rc_idle_timeout,
        max_output_tokens=opt.rc_max_output_tokens,
        trials=opt.rc_trials,
    )
    headers = dict(parse_header(h) for h in opt.rc_headers)
    if opt.rc_targets:
        targets = load_targets_file(opt.rc_targets)
        if opt.rc_target is None and len(targets) > 1:
            raise TargetError(f"{opt.rc_targets} names several targets; choose one with --target "
                              f"({', '.join(t.name for t in targets)})")
        chosen = [t for t in targets if opt.rc_target in (None, t.name)]
        if not chosen:
            raise TargetError(f"no target {opt.rc_target!r} in {opt.rc_targets} "
                              f"(known: {', '.join(t.name for t in targets)})")
        t = chosen[0]
        t.headers.update(headers)
        t.name = opt.rc_name or t.name
        return t
    base_url = opt.rc_base_url or getattr(opt, "base_url", None) or os.environ.get("OPENAI_BASE_URL")
    if not base_url:
        return None
    return Target(
        name=opt.rc_name or base_url, base_url=base_url, api_key=opt.rc_api_key or os.environ.get("OPENAI_API_KEY"),
        model=opt.rc_model, headers=headers, auth_header=opt.rc_auth_header, **common,
    )


class SuiteRun:
    """State of one pytest session of the suite: the target, the engine, and the report at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started_at = now_iso()
        self.t0 = time.monotonic()
        self._stack = ExitStack()
        self.engine: Engine | None = None
        self.client: RecordingClient | None = None
        self.target: Target | None = None
        self.pairs: list[tuple[Scenario, Check]] = []
        # Progress display hook, set before the items run (run_command's collection hook) and given to the engine.
        self.on_scenario: Callable[[ScenarioRun], None] | None = None
        self.lazy = False  # xdist worker: run a family's scenarios when its first item arrives
        self.stop_reason: str | None = None
        self.worker_reports: list[dict[str, Any]] = []  # pytest-xdist controller: each worker's report.json data
        self.asked: set[tuple[str, str]] = set()  # xdist worker: the (scenario, check) items this worker ran
        self.finished = False  # the session's report is written (a late SIGTERM then just ends the process)

    def start(self, items: list[pytest.Item]) -> str | None:
        """Start the target and the engine, run the preflight and queue the collected scenarios. Returns why
        the endpoint can't be tested, or None."""
        opt = self.config.option
        target = target_from_options(opt)
        if target is None:
            from conformance.live.embedded import start_embedded

            target = self._stack.enter_context(start_embedded(opt, self.config))
        self.target = target
        self.client = RecordingClient(target)
        self.engine = Engine(target, self.client, opt.rc_concurrency, on_scenario=self.on_scenario)
        self.pairs = [pair for item in items if (pair := item_pair(item)) is not None]
        if opt.rc_max_duration:
            timer = threading.Timer(opt.rc_max_duration,
                                    lambda: self.engine and self.engine.stop(f"--max-duration {opt.rc_max_duration:g}s reached"))
            timer.daemon = True
            timer.start()
            self._stack.callback(timer.cancel)
        problem = self.engine.run_preflight()
        if problem is not None:
            self.engine.stop(problem)
            return problem
        self.lazy = hasattr(self.config, "workerinput")
        if not self.lazy:
            self.engine.start(self._plan(sc.id for sc, _ in self.pairs))
        return None

    def _plan(self, ids: Any) -> list[tuple[Scenario, list[Check]]]:
        wanted = dict.fromkeys(ids)
        checks: dict[str, list[Check]] = {sid: [] for sid in wanted}
        scenarios: dict[str, Scenario] = {}
        for sc, c in self.pairs:
            if sc.id in checks:
                checks[sc.id].append(c)
                scenarios[sc.id] = sc
        return [(scenarios[sid], checks[sid]) for sid in wanted]

    def result(self, sc: Scenario, check: Check) -> tuple[bool, Result | None]:
        """(judged, result): judged is False when the run stopped before the scenario ended."""
        engine = self.engine
        if engine is None:
            return False, None
        self.asked.add((sc.id, check.id))
        if self.lazy and sc.id not in engine.runs and not engine.stopped:
            # An xdist worker learns its items one batch at a time; it submits the whole family of the first
            # item it is given (with --dist loadfile, the family's module is all on this worker).
            engine.start(self._plan(s.id for s, _ in self.pairs if s.family == sc.family), final=False)
        r = engine.wait(sc.id)
        if r is None:
            return False, None
        return True, r.results.get(check.id)

    def results(self) -> list[Result]:
        """Every judged result, in collection order: what finished, even if the run was stopped."""
        out: list[Result] = []
        pre = self.engine.preflight_result() if self.engine else None
        if pre is not None and (pre.verdict is not Verdict.PASS):
            out.append(pre)
        runs = self.engine.runs if self.engine else {}
        for sc, check in self.pairs:
            if self.lazy and (sc.id, check.id) not in self.asked:
                continue  # judged here, but the item ran on another worker: that worker reports it
            r = runs.get(sc.id)
            if r is not None and r.done.is_set() and (res := r.results.get(check.id)) is not None:
                out.append(res)
        return out

    def finish(self, interrupted: str | None = None) -> Report | None:
        """The report of what finished. Written before any cleanup, so a stopped run still reports."""
        if self.engine is None or self.target is None:
            self._stack.close()
            return None
        if interrupted:
            self.engine.stop(interrupted)
        unfinished = self.engine.unfinished()
        untested = not self.engine.runs  # the preflight failed, or the run stopped before it began
        stop = self.engine.stop_reason if (unfinished or interrupted or untested) else None
        report = Report(target=self.target.describe(), results=self.results(), started_at=self.started_at,
                        duration_s=time.monotonic() - self.t0, mode="run")
        if self.client is not None:
            report.notes += self.client.load.notes(self.client.exchanges)
        if stop is not None:
            report.complete = False
            report.stop_reason = stop
            if unfinished:
                report.stop_reason += (f"; {len(unfinished)} scenario(s) not finished: {', '.join(unfinished[:10])}"
                                       + (" ..." if len(unfinished) > 10 else ""))
        return report

    def save_recordings(self, root: str) -> None:
        """Every exchange the run sent, in the recordings format, under ROOT/<scenario>/ (replay judges them)."""
        from conformance.exchange import Transcript
        from conformance.recordings import save_transcript

        if self.engine is None or self.target is None:
            return
        transcripts = [t for r in self.engine.runs.values() for t in r.transcripts if t is not None]
        pre = self.engine.preflight
        if pre is not None:  # the preflight create a scenario adopted is saved under that scenario
            transcripts.insert(0, Transcript(scenario=pre.scenario,
                                             exchanges=[ex for ex in pre.exchanges if ex.source == "preflight"]))
        for t in transcripts:
            save_transcript(t, root, self.target.name)

    def close(self) -> None:
        if self.engine is not None:
            if self.lazy and not self.engine.stopped:
                self.engine.finish_submitting()
            self.engine.close()
            self.engine.stop("the run ended")
        if self.client is not None:
            self.client.close()
        self._stack.close()


def item_pair(item: pytest.Item) -> tuple[Scenario, Check] | None:
    """The (scenario, check) a suite item judges; None for other items (and for a family with no pairs)."""
    pair = getattr(getattr(item, "callspec", None), "params", {}).get("rc_pair")
    return pair if isinstance(pair, tuple) else None


RUN_KEY = pytest.StashKey[SuiteRun]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a scenario x check item of the conformance suite")
    for name in ("must", "should", "info"):
        config.addinivalue_line("markers", f"{name}: checks of level {name.upper()}")
    config.addinivalue_line("markers", "model_dependent: checks whose verdict may be the model's, not the endpoint's "
                                       "(judged over --trials; select with --checks protocol|model)")
    for area in sorted({c.area for c in all_checks()}):
        config.addinivalue_line("markers", f"{area.replace('-', '_')}: checks of area {area}")
    config.stash[RUN_KEY] = SuiteRun(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A suite module (conformance/suite/test_<family>.py) gets one item per (scenario, check) pair of its
    family that can apply: transcript checks with the scenarios they name, stream-only checks with scenarios
    that stream, every other exchange check with every scenario."""
    if "rc_pair" not in metafunc.fixturenames:
        return
    family = getattr(metafunc.module, "FAMILY", None)
    scenarios = select_scenarios(metafunc.config.option.rc_scenarios, family=family)
    pairs = [
        pytest.param(
            (sc, c),
            id=f"{sc.id}::{c.id}",
            marks=[getattr(pytest.mark, c.area.replace("-", "_")), getattr(pytest.mark, c.level.value.lower()),
                   *([pytest.mark.model_dependent] if c.model_dependent else [])],
        )
        for sc in scenarios
        for c in all_checks()
        if c.pairs_with(sc)
    ]
    metafunc.parametrize("rc_pair", pairs)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--checks protocol|model: deselect the other class of check (a scenario none of whose items is left is
    not run)."""
    which = getattr(config.option, "rc_checks", "all")
    if which == "all":
        return
    keep, drop = [], []
    for item in items:
        pair = item_pair(item)
        if pair is None or pair[1].model_dependent == (which == "model"):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Start the run once the items are known: the engine runs their scenarios while pytest walks the items."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or not any("rc_pair" in getattr(i, "fixturenames", ()) for i in session.items):
        return
    if session.config.option.collectonly:
        return
    _install_signal_handlers(session.config)
    problem = run.start(session.items)
    if problem is not None:
        pytest.exit(f"could not test the endpoint: {problem}", returncode=EXIT_UNTESTABLE)


EXIT_UNTESTABLE = 3  # docs/rules.md#contracts: the endpoint could not be tested at all (preflight failed)


def _install_signal_handlers(config: pytest.Config) -> None:
    """SIGTERM (a CI timeout) stops the run like Ctrl-C does: pytest unwinds and the report is still written."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_term(signum: int, frame: object) -> None:
        run = config.stash[RUN_KEY]
        if run.finished:  # the report is written: end as the signal asks, without unwinding whatever runs now
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        run.stop_reason = "stopped by SIGTERM"
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    config.add_cleanup(lambda: signal.signal(signal.SIGTERM, previous))


@pytest.fixture(scope="session")
def rc_run(request: pytest.FixtureRequest) -> SuiteRun:
    return request.config.stash[RUN_KEY]


def evaluate(run: SuiteRun, sc: Scenario, check: Check) -> None:
    """What each suite module's test does: wait for the scenario's verdict, then speak pytest."""
    _speak(run, sc, check, *run.result(sc, check))


async def evaluate_async(run: SuiteRun, sc: Scenario, check: Check) -> None:
    """`evaluate` for a coroutine item (pytest-asyncio): the wait for the verdict, bounded like every
    Engine.wait, runs in a thread so the item's event loop is never blocked."""
    _speak(run, sc, check, *await asyncio.to_thread(run.result, sc, check))


def _speak(run: SuiteRun, sc: Scenario, check: Check, judged: bool, result: Result | None) -> None:
    if not judged:
        reason = run.engine.stop_reason if run.engine else None
        pytest.skip(f"not judged: the run stopped before {sc.id} ended ({reason or 'no engine'})")
    if result is None:
        pytest.skip("not applicable: no exchange of this scenario is subject to this check")
    v = result.verdict
    if v is Verdict.FAIL:
        pytest.fail(f"FAIL {check.id}: {result.message}", pytrace=False)
    if v is Verdict.ERROR:
        pytest.fail(f"ERROR {check.id}: {result.message}", pytrace=False)
    if v in (Verdict.SKIP, Verdict.UNSUPPORTED):
        pytest.skip(f"{v.value}: {result.message}")
    if v in (Verdict.WARN, Verdict.FLAKY):
        warnings.warn(ConformanceWarning(f"{v.value} {check.id}: {result.message}"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global LAST_REPORT
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    if run.worker_reports:  # pytest-xdist controller: one report of what every worker judged
        _write_merged(session, run)
        return
    interrupted = None
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        interrupted = run.stop_reason or "interrupted (Ctrl-C)"
    try:
        report = run.finish(interrupted)
        if report is None:
            return
        LAST_REPORT = report
        report_dir = session.config.option.rc_report_dir
        worker = getattr(session.config, "workerinput", {}).get("workerid")
        if worker:  # pytest-xdist: each worker reports what it ran, in a folder of its own, and to the controller
            session.config.workeroutput["rc_report"] = report.to_json()  # type: ignore[attr-defined]
            report_dir = report_dir and os.path.join(report_dir, worker)
        if report_dir:
            from conformance.report.writers import write_all

            write_all(report, report_dir)
        if session.config.option.rc_save_recordings:
            run.save_recordings(session.config.option.rc_save_recordings)
        if not report.complete and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # an incomplete run never passes
    finally:
        run.finished = True
        run.close()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: keep each worker's report for the merged one (pytest_sessionfinish)."""
    data = getattr(node, "workeroutput", {}).get("rc_report")
    run = node.config.stash.get(RUN_KEY, None)
    if run is not None and isinstance(data, dict):
        run.worker_reports.append(data)


def _write_merged(session: pytest.Session, run: SuiteRun) -> None:
    from conformance.report.writers import merge_reports, write_data

    data = merge_reports(run.worker_reports)
    if session.config.option.rc_report_dir:
        write_data(data, session.config.option.rc_report_dir)
    if not data["complete"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
