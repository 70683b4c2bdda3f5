"""Run scenarios against a target: model discovery, each scenario once per session (k trials for
model-dependent ones), and cleanup of what the run stored. No judging here; see judge.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from conformance.exchange import Exchange, Transcript
from conformance.live.client import RecordingClient
from conformance.live.scenario import Scenario, all_scenarios, run_scenario
from conformance.live.target import Target
from conformance.verdicts import Result


class DiscoveryError(Exception):
    """GET /models did not give a model id; the message says why."""


def discover_model(client: RecordingClient) -> tuple[str | None, Exchange]:
    """The first model id from GET /models, and the exchange that told us."""
    ex = client.request("GET", "models", label="models")
    body = ex.response.body
    if ex.ok and isinstance(body, dict) and isinstance(body.get("data"), list):
        for m in body["data"]:
            if isinstance(m, dict) and isinstance(m.get("id"), str):
                return m["id"], ex
    return None, ex


def describe_failure(ex: Exchange) -> str:
    if ex.transport_error:
        return ex.transport_error
    return f"GET {ex.request.path} answered HTTP {ex.response.status} without a model id"


@dataclass
class Session:
    """One run against one target: transcripts by scenario id (a list of trials each)."""

    target: Target
    client: RecordingClient
    transcripts: dict[str, list[Transcript]] = field(default_factory=dict)
    stored_ids: list[str] = field(default_factory=list)
    unreachable: str | None = None  # set once the endpoint proved unreachable: later scenarios don't retry

    @classmethod
    def open(cls, target: Target) -> Session:
        client = RecordingClient(target)
        session = cls(target, client)
        if target.model is None:
            model, ex = discover_model(client)
            if model is None:
                reason = describe_failure(ex)
                if ex.transport_error and ex.response.status is None:
                    session.unreachable = f"the endpoint could not be reached: {reason}"
                else:
                    session.unreachable = (
                        f"no model given and model discovery failed ({reason}); pass --model"
                    )
            else:
                target.model = model
        return session

    def transcripts_for(self, sc: Scenario) -> list[Transcript]:
        """Run the scenario on first use (k trials if model-dependent), then serve it from the cache."""
        if sc.id not in self.transcripts:
            trials = self.target.trials if sc.model_dependent else 1
            runs: list[Transcript] = []
            for k in range(trials):
                if self.unreachable:
                    runs.append(Transcript(scenario=sc.id, error=self.unreachable, trial=k))
                    continue
                t, stored = run_scenario(sc, self.target, self.client, trial=k)
                self.stored_ids.extend(stored)
                if t.error and t.error.startswith("the endpoint could not be reached"):
                    self.unreachable = t.error
                runs.append(t)
            self.transcripts[sc.id] = runs
        return self.transcripts[sc.id]

    def cleanup(self) -> int:
        """Delete the responses this run stored (best effort, bounded by the client's timeouts)."""
        deleted = 0
        if self.unreachable:
            return 0
        for rid in dict.fromkeys(self.stored_ids):
            ex = self.client.request("DELETE", ("responses", rid), label="cleanup")
            deleted += ex.ok
            if ex.transport_error or ex.response.status in (404, 405, 501):
                break  # no DELETE here (or endpoint gone): stop trying
        self.stored_ids.clear()
        return deleted

    def close(self) -> None:
        self.client.close()


def select_scenarios(ids: Iterable[str] | None = None) -> list[Scenario]:
    scenarios = all_scenarios()
    if ids is None:
        return scenarios
    wanted = list(ids)
    known = {s.id for s in scenarios}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(known)}")
    return [s for s in scenarios if s.id in wanted]


def run_scenarios(target: Target, ids: Iterable[str] | None = None,
                  on_transcript: Callable[[Transcript], None] | None = None) -> list[Transcript]:
    """Run the selected scenarios (all by default) and return every transcript (trials flattened)."""
    session = Session.open(target)
    out: list[Transcript] = []
    try:
        for sc in select_scenarios(ids):
            for t in session.transcripts_for(sc):
                out.append(t)
                if on_transcript:
                    on_transcript(t)
        session.cleanup()
    finally:
        session.close()
    return out


def run_and_judge(target: Target, ids: Iterable[str] | None = None) -> tuple[list[Result], Session]:
    """The whole suite without pytest (for benchmarks and the kill matrix): every scenario x check pair."""
    from conformance.judge import judge_trials
    from conformance.registry import all_checks

    checks = all_checks()
    session = Session.open(target)
    results: list[Result] = []
    try:
        for sc in select_scenarios(ids):
            trials = session.transcripts_for(sc)
            for c in checks:
                if c.pairs_with(sc.id):
                    r = judge_trials(c, trials)
                    if r is not None:
                        results.append(r)
        session.cleanup()
    finally:
        session.close()
    return results, session
