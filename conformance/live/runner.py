"""The suite without pytest (kill matrix, benchmarks, the suite's own tests): preflight, every selected
scenario through the engine, every (scenario, check) pair that applies. No judging here; see judge.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from conformance.exchange import Transcript
from conformance.live.client import RecordingClient
from conformance.live.engine import DEFAULT_CONCURRENCY, Engine
from conformance.live.scenario import Scenario, all_scenarios
from conformance.live.target import Target
from conformance.registry import Check, all_checks
from conformance.verdicts import Result


def select_scenarios(ids: Iterable[str] | None = None, family: str | None = None) -> list[Scenario]:
    """The scenarios named (all by default), optionally only those of one family, in registration order."""
    scenarios = all_scenarios()
    if ids is not None:
        wanted = list(ids)
        known = {s.id for s in scenarios}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(known)}")
        scenarios = [s for s in scenarios if s.id in wanted]
    return [s for s in scenarios if family is None or s.family == family]


def plan(scenarios: Iterable[Scenario], checks: Iterable[Check] | None = None) -> list[tuple[Scenario, list[Check]]]:
    """Each scenario with the checks that can apply to it."""
    checks = list(all_checks() if checks is None else checks)
    return [(sc, [c for c in checks if c.pairs_with(sc)]) for sc in scenarios]


@dataclass
class Run:
    """A finished run: the preflight's verdict (if it failed), every judged result, and how it ended."""

    results: list[Result]
    transcripts: list[Transcript]
    engine: Engine

    @property
    def stop_reason(self) -> str | None:
        return self.engine.stop_reason


def run_suite(target: Target, ids: Iterable[str] | None = None, checks: Iterable[Check] | None = None,
              concurrency: int = DEFAULT_CONCURRENCY) -> Run:
    """Preflight, then the selected scenarios; results in scenario order, then check order."""
    client = RecordingClient(target)
    engine = Engine(target, client, concurrency)
    results: list[Result] = []
    try:
        problem = engine.run_preflight()
        if problem is not None:
            engine.stop(problem)
            pre = engine.preflight_result()
            return Run([pre] if pre else [], [], engine)
        engine.start(plan(select_scenarios(ids), checks))
        engine.wait_all()
        engine.join(target.request_timeout_s)
    finally:
        client.close()
    transcripts = [t for r in engine.runs.values() for t in r.transcripts if t is not None]
    for r in engine.runs.values():
        results += [res for c in r.checks if (res := r.results.get(c.id)) is not None]
    return Run(results, transcripts, engine)


def run_scenarios(target: Target, ids: Iterable[str] | None = None) -> list[Transcript]:
    """Run the selected scenarios (all by default) and return every transcript (trials flattened)."""
    return run_suite(target, ids, checks=[]).transcripts


def run_and_judge(target: Target, ids: Iterable[str] | None = None) -> tuple[list[Result], Run]:
    """The whole suite without pytest: every scenario x check pair that applies."""
    run = run_suite(target, ids)
    return run.results, run
