"""The run engine: preflight, then scenarios on a bounded pool of worker threads, each judged as soon as it ends.

A run costs about its longest chain of dependent requests, not the sum of all requests: scenarios (and the k
trials of a model-dependent one) are independent jobs, except where they share a resource (live/shared.py).
Jobs are queued owners first and destroyers last, so a job only ever waits on one that is running or done.
Each scenario deletes what it stored as soon as it ends. All workers share one RecordingClient, so its bounds
and rate-limit pauses hold for the whole run.

The engine can stop early (a signal, --max-duration, the endpoint going away): jobs not started are dropped,
jobs under way are abandoned (their threads are daemons, and every exchange is bounded anyway), and whoever
waits for a result is released at once. What finished is kept, and the report says the run is incomplete.
"""

from __future__ import annotations

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

DEFAULT_CONCURRENCY = 8
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
    seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    _ended: int = 0


class Engine:
    def __init__(self, target: Target, client: RecordingClient, concurrency: int = DEFAULT_CONCURRENCY,
                 on_scenario: Callable[[ScenarioRun], None] | None = None) -> None:
        self.target = target
        self.client = client
        self.concurrency = max(1, concurrency)
        self.on_scenario = on_scenario
        self.shared = Shared(self)
        self.runs: dict[str, ScenarioRun] = {}
        self.preflight: Transcript | None = None
        self.stop_reason: str | None = None
        self._queue: queue.Queue[tuple[ScenarioRun, int] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduled: set[tuple[str, int]] = set()
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
            rid = response_id(ex) if ex.ok else None
            self.shared.seed(STORED, {**facts, "id": rid}, [ex], [rid] if rid else [])
        return preflight_problem(t)

    def preflight_result(self) -> Result | None:
        return judge_trials(get(PREFLIGHT), [self.preflight]) if self.preflight else None

    # -- the pool ------------------------------------------------------------------------------------------
    def start(self, plan: Iterable[tuple[Scenario, list[Check]]]) -> None:
        """Queue every scenario of the plan (with the checks to judge it by) and start the workers."""
        runs = [ScenarioRun(sc, checks, self.target.trials if sc.model_dependent else 1) for sc, checks in plan]
        for r in runs:
            self.runs[r.scenario.id] = r
            r.transcripts = [None] * r.trials
            for t in range(r.trials):
                self._scheduled.add((r.scenario.id, t))
            for key, how in r.scenario.uses:
                self._users.setdefault(key, []).append((r, how))
            for key in r.scenario.owns:
                self._users.setdefault(key, []).append((r, Use.READ))
                self._owners.add((key, r.scenario.id))
        for r in sorted(runs, key=self._rank):
            for t in range(r.trials):
                self._queue.put((r, t))
        for i in range(min(self.concurrency, self._queue.qsize())):
            th = threading.Thread(target=self._work, name=f"conformance-{i}", daemon=True)
            th.start()
            self._threads.append(th)
        for _ in self._threads:
            self._queue.put(None)
        for key in self.shared.keys():
            if not self._users.get(key):  # made by the preflight, read by no scenario of this run
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
        while True:
            job = self._queue.get()
            if job is None or self._stopped.is_set():
                return
            r, trial = job
            with self._lock:
                if r.started is None:
                    r.started = time.monotonic()
            transcript, stored = run_scenario(r.scenario, self.target, self.client, trial, self.shared)
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
        """Delete a shared resource's stored responses once every scheduled user of it has ended."""
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
    def scheduled(self, scenario_id: str, trial: int) -> bool:
        return (scenario_id, trial) in self._scheduled

    def wait_users(self, key: str, below: Use, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for u, how in self._users.get(key, []):
            if how < below:
                while not u.done.wait(0.2):
                    if self._stopped.is_set() or time.monotonic() > deadline:
                        return

    # -- waiting and stopping ----------------------------------------------------------------------------
    def wait(self, scenario_id: str) -> ScenarioRun | None:
        """The scenario's run once judged, or None if the run stopped before it ended."""
        r = self.runs.get(scenario_id)
        while r is not None and not r.done.is_set():
            if self._stopped.is_set():
                return None
            r.done.wait(0.1)
        return r

    def wait_all(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for r in self.runs.values():
            while not r.done.wait(0.2):
                if self._stopped.is_set() or (deadline is not None and time.monotonic() > deadline):
                    return False
        return True

    def join(self, timeout: float) -> None:
        """Wait (bounded) for the workers to finish their cleanup after the last scenario ended."""
        deadline = time.monotonic() + timeout
        for th in self._threads:
            th.join(max(0.0, deadline - time.monotonic()))

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
