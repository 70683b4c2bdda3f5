"""The run engine: preflight, then scenarios on a bounded pool of worker threads, each judged as soon as it ends.

A run costs about its longest chain of dependent requests, not the sum of all requests: scenarios (and the k
trials of a model-dependent one) are independent jobs, except where they share a resource (live/shared.py).
Jobs are queued owners first and destroyers last, so a job only ever waits on one that is running or done; within
that order, long chains of dependent requests first (Scenario.chain), so none is left to end the run alone.
Each scenario deletes what it stored as soon as it ends. All workers share one RecordingClient, so its bounds
and rate-limit pauses hold for the whole run.

The engine can stop early (a signal, --max-duration, the endpoint going away): jobs not started are dropped,
jobs under way are abandoned (their threads are daemons, and every exchange is bounded anyway), and whoever
waits for a result is released at once. What finished is kept, and the report says the run is incomplete.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from conformance.checks.run import PREFLIGHT, preflight_problem
from conformance.exchange import Exchange, Transcript
from conformance.extract import response_id
from conformance.judge import judge_trials
from conformance.live.client import RecordingClient
from conformance.live.scenario import Scenario, run_scenario
from conformance.live.shared import Shared, Use
from conformance.live.target import Target
from conformance.registry import Check, get
from conformance.verdicts import Result

DEFAULT_CONCURRENCY = 16  # benchmarks/run_engine.py: the run is bound by its requests over those in flight
# The most requests one scenario sends (with polls), for the bound on waiting for it (Engine.scenario_limit_s).
MAX_EXCHANGES_PER_SCENARIO = 40
UNREACHABLE = "the endpoint could not be reached"


@dataclass
class ScenarioRun:
    """One scenario in this run: its jobs' transcripts and, once all ended, its judged results."""

    scenario: Scenario
    checks: list[Check]  # the checks collected for it (pytest items), in order
    trials: int
    transcripts: list[Transcript | None] = field(default_factory=list)
    results: dict[str, Result | None] = field(default_factory=dict)  # check id -> result (None: not applicable)
    started: float | None = None
    seq: int = -1  # queue position of its jobs (live/shared.py waits only on jobs queued before its own)
    seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    _ended: int = 0


class Engine:
    def __init__(self, target: Target, client: RecordingClient, concurrency: int = DEFAULT_CONCURRENCY,
                 on_scenario: Callable[[ScenarioRun], None] | None = None) -> None:
        self.target = target
        self.client = client
        self.concurrency = max(1, concurrency)
        # Requests in flight adapt between 1 and the concurrency (live/load.py); a slot is waited for at most
        # as long as every worker's request could take.
        client.load.adapt(self.concurrency, self.concurrency * target.request_timeout_s)
        self.on_scenario = on_scenario
        self.shared = Shared(self)
        self.runs: dict[str, ScenarioRun] = {}
        self.preflight: Transcript | None = None
        self.stop_reason: str | None = None
        self._queue: queue.Queue[tuple[ScenarioRun, int] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self.scenario_slack_s = 60.0  # on top of the requests' own deadlines, in scenario_limit_s
        self._final = True  # False while more scenarios may be submitted: shared resources are kept until then
        self._seq = itertools.count()
        self._names = itertools.count()
        self._users: dict[str, list[tuple[ScenarioRun, Use]]] = {}  # resource key -> its scheduled users
        self._owners: set[tuple[str, str]] = set()  # (resource key, owner scenario id)

    # -- preflight ---------------------------------------------------------------------------------------
    def run_preflight(self) -> str | None:
        """GET /models (unless the model is given) and one tiny create. Returns why the endpoint can't be
        tested, or None. The create is the stored response the storage scenarios read (storage.STORED)."""
        from conformance.live.scenarios.storage import STORED, stored_request

        t = Transcript(scenario="preflight")
        self.preflight = t
        if self.target.model is None:
            ex = self.client.request("GET", "models", label="models", source="preflight")
            t.exchanges.append(ex)
            self.target.model = _first_model(ex)
        t.params["model"] = self.target.model
        if self.target.model is not None:
            body, facts = stored_request()
            ex = self.client.request("POST", "responses", body={"model": self.target.model, **body},
                                     label="create", source="preflight")
            t.exchanges.append(ex)
            if ex.status is not None and 400 <= ex.status < 500 and ex.status not in (401, 403, 408, 429):
                # Refused: try the smallest create, so that a parameter of the stored create (metadata, store)
                # the endpoint lacks is left to the checks, and only an endpoint refusing everything is untestable.
                t.exchanges.append(self.client.request(
                    "POST", "responses", label="create-minimal", source="preflight",
                    body={"model": self.target.model, "input": "Say OK.", "store": False,
                          "max_output_tokens": self.target.max_output_tokens}))
            rid = response_id(ex) if ex.ok else None
            self.shared.seed(STORED, {**facts, "id": rid}, [ex], [rid] if rid else [])
        return preflight_problem(t)

    def preflight_result(self) -> Result | None:
        return judge_trials(get(PREFLIGHT), [self.preflight]) if self.preflight else None

    # -- the pool ------------------------------------------------------------------------------------------
    def start(self, plan: Iterable[tuple[Scenario, list[Check]]], final: bool = True) -> None:
        """Queue every scenario of the plan (with the checks to judge it by) and make sure the workers run.

        May be called again with more scenarios (an xdist worker submits a family when its first item arrives);
        `final` says no more will come, so preflight-made resources that no scenario reads can go now."""
        runs = [ScenarioRun(sc, checks, self.target.trials if sc.model_dependent else 1)
                for sc, checks in plan if sc.id not in self.runs]
        with self._lock:
            for r in runs:
                self.runs[r.scenario.id] = r
                r.transcripts = [None] * r.trials
                for key, how in r.scenario.uses:
                    self._users.setdefault(key, []).append((r, how))
                for key in r.scenario.owns:
                    self._users.setdefault(key, []).append((r, Use.READ))
                    self._owners.add((key, r.scenario.id))
            for r in sorted(runs, key=lambda r: (self._rank(r), -r.scenario.chain)):  # long chains first
                r.seq = next(self._seq)  # FIFO: everything queued before r has been taken by a worker when r runs
                for t in range(r.trials):
                    self._queue.put((r, t))
        self._ensure_workers()
        self._final = final
        if final:
            self._delete_unread()

    def _ensure_workers(self) -> None:
        """Keep `concurrency` live workers while jobs wait (a worker that died of a suite bug is replaced)."""
        with self._lock:
            self._threads = [th for th in self._threads if th.is_alive()]
            while len(self._threads) < self.concurrency and not self._stopped.is_set():
                th = threading.Thread(target=self._work, name=f"conformance-{next(self._names)}", daemon=True)
                th.start()
                self._threads.append(th)

    def _delete_unread(self) -> None:
        for key in self.shared.keys():
            if not self._users.get(key):  # made by the preflight, read by no scenario of this run
                self._delete(self.shared.stored_ids(key))

    def finish_submitting(self) -> None:
        """No more scenarios will be submitted (xdist worker at session end): delete what shared resources left."""
        self._final = True
        for key in self.shared.keys():
            self._delete(self.shared.stored_ids(key))

    def _rank(self, r: ScenarioRun) -> int:
        """Owners first (-1), then plain scenarios (0); a use that must wait for lower-ranked users of the same
        resource (other than its owner, which is queued first anyway) is queued after them."""
        if r.scenario.owns and not r.scenario.uses:
            return -1
        rank = 0
        for key, how in r.scenario.uses:
            if any(u is not r and other < how and (key, u.scenario.id) not in self._owners
                   for u, other in self._users.get(key, [])):
                rank = max(rank, int(how))
        return rank

    def _work(self) -> None:
        while not self._stopped.is_set():
            try:
                job = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._closed.is_set():
                    return
                continue
            r, trial = job
            with self._lock:
                if r.started is None:
                    r.started = time.monotonic()
            try:
                transcript, stored = run_scenario(r.scenario, self.target, self.client, trial, self.shared)
            except BaseException as exc:  # run_scenario never raises; if it does, the scenario still ends
                transcript, stored = Transcript(scenario=r.scenario.id, trial=trial), []
                transcript.error = f"the suite failed running the scenario: {exc.__class__.__name__}: {exc}"
            self.shared.release(r.scenario.id, trial)
            if self._stopped.is_set():
                return
            if transcript.error and transcript.error.startswith(UNREACHABLE):
                self.stop(f"{UNREACHABLE} any more ({transcript.error.split(': ', 1)[-1]})")
            self._finish_job(r, trial, transcript)
            self._delete(stored)
            self._release_shared(r)

    def _finish_job(self, r: ScenarioRun, trial: int, transcript: Transcript) -> None:
        with self._lock:
            r.transcripts[trial] = transcript
            r._ended += 1
            last = r._ended == r.trials
        if not last:
            return
        trials = [t for t in r.transcripts if t is not None]
        for check in r.checks:
            r.results[check.id] = judge_trials(check, trials)
        r.seconds = time.monotonic() - (r.started or time.monotonic())
        r.done.set()
        if self.on_scenario is not None:
            self.on_scenario(r)

    def _release_shared(self, r: ScenarioRun) -> None:
        """Delete a shared resource's stored responses once every scheduled user of it has ended (and no more
        users can be submitted)."""
        if not self._final:
            return
        for key in (*r.scenario.owns, *(k for k, _ in r.scenario.uses)):
            if all(u.done.is_set() for u, _ in self._users.get(key, [])):
                self._delete(self.shared.stored_ids(key))

    def _delete(self, ids: list[str]) -> None:
        for rid in dict.fromkeys(ids):
            if self._stopped.is_set():
                return
            ex = self.client.request("DELETE", ("responses", rid), label="cleanup", source="cleanup")
            if (ex.transport_error or "").startswith("not sent"):
                continue  # an id the suite won't put in a URL (ids.url-safe judges it)
            if ex.transport_error or ex.status in (404, 405, 501):
                return  # no DELETE here (or endpoint gone): don't insist

    # -- Board (live/shared.py) -----------------------------------------------------------------------------
    def will_make(self, scenario_id: str, trial: int, asker: str) -> bool:
        """Whether `scenario_id`'s job (this trial) was queued before `asker`'s and has not ended: only then may
        the asker wait for it (a job queued later may sit behind the asker, and deadlock a small pool)."""
        r, me = self.runs.get(scenario_id), self.runs.get(asker)
        return (r is not None and trial < r.trials and (me is None or r.seq < me.seq)
                and r.transcripts[trial] is None)

    def wait_users(self, key: str, below: Use, timeout: float, asker: str) -> None:
        me = self.runs.get(asker)
        deadline = time.monotonic() + timeout
        for u, how in list(self._users.get(key, [])):
            if how < below and (me is None or u.seq < me.seq):
                while not u.done.wait(0.2):
                    if self._stopped.is_set() or time.monotonic() > deadline:
                        return

    # -- waiting and stopping ----------------------------------------------------------------------------
    def wait(self, scenario_id: str) -> ScenarioRun | None:
        """The scenario's run once judged, or None if the run stopped before it ended.

        Bounded: a job waits in the queue only while workers live (they are replaced if they die), and a
        started scenario gets at most `scenario_limit_s`; past that it is judged ERROR, as the suite's own cut."""
        r = self.runs.get(scenario_id)
        while r is not None and not r.done.is_set():
            if self._stopped.is_set():
                return None
            if r.done.wait(0.1):
                break
            self._ensure_workers()
            started = r.started
            if started is not None and time.monotonic() - started > self.scenario_limit_s(r):
                self._give_up(r)
        return r

    def scenario_limit_s(self, r: ScenarioRun) -> float:
        """How long a started scenario may take before the suite stops waiting for it: far beyond its requests'
        own deadlines (every exchange is bounded by --request-timeout), so only a suite bug reaches it."""
        return r.trials * (MAX_EXCHANGES_PER_SCENARIO * self.target.request_timeout_s + self.scenario_slack_s)

    def _give_up(self, r: ScenarioRun) -> None:
        reason = (f"the suite stopped waiting for {r.scenario.id} after {self.scenario_limit_s(r):.0f} s "
                  "(the suite's own bound; every request has its own deadline, so this is a suite bug)")
        for trial, t in enumerate(r.transcripts):
            if t is None:
                t = Transcript(scenario=r.scenario.id, trial=trial)
                t.error = reason
                self._finish_job(r, trial, t)

    def wait_all(self, timeout: float | None = None) -> bool:
        """Wait for every scenario (each wait bounded as in `wait`); False if the run stopped or time ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for sid, r in list(self.runs.items()):
            while not r.done.is_set():
                if self._stopped.is_set() or (deadline is not None and time.monotonic() > deadline):
                    return False
                if self.wait(sid) is None:
                    return False
        return True

    def join(self, timeout: float) -> None:
        """No more jobs: wait (bounded) for the workers to finish their cleanup after the last scenario ended."""
        self.close()
        deadline = time.monotonic() + timeout
        for th in list(self._threads):
            th.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """No more jobs will come: idle workers end (daemons, so a stuck one never holds the process)."""
        self._closed.set()

    def stop(self, reason: str) -> None:
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def unfinished(self) -> list[str]:
        return [sid for sid, r in self.runs.items() if not r.done.is_set()]


def _first_model(ex: Exchange) -> str | None:
    body = ex.response.body
    if ex.ok and isinstance(body, dict) and isinstance(body.get("data"), list):
        for m in body["data"]:
            if isinstance(m, dict) and isinstance(m.get("id"), str):
                return m["id"]
    return None
