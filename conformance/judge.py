"""Apply checks to transcripts and turn outcomes into Results. Pure: no I/O."""

from __future__ import annotations

import traceback
from typing import Iterable

from conformance.checks.run import EXCHANGE_COMPLETE
from conformance.exchange import Exchange, Transcript
from conformance.registry import Check
from conformance.verdicts import SEVERITY, Kind, Outcome, Result, Verdict, error, skip, verdict_for


def _call(check: Check, arg: Exchange | Transcript) -> Outcome | None:
    try:
        return check.func(arg)
    except Exception as exc:  # a bug in the suite is an ERROR, never a silent PASS
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return error(
            f"the check raised {exc.__class__.__name__}: {exc} (at {tb.filename.rsplit('/', 1)[-1]}:{tb.lineno})"
        )


def _result(check: Check, scenario: str, outcome: Outcome, exchange: Exchange | None, prefix: str = "") -> Result:
    evidence = dict(outcome.evidence)
    if exchange is not None and exchange.label:
        evidence.setdefault("step", exchange.label)
    return Result(
        check_id=check.id,
        level=check.level,
        verdict=verdict_for(outcome.kind, check.level),
        scenario=scenario,
        message=(prefix + outcome.message) if outcome.message else prefix.rstrip(": "),
        evidence=evidence,
        area=check.area,
        model_dependent=check.model_dependent,
        exchange=exchange,
    )



def judge(check: Check, transcript: Transcript) -> Result | None:
    """The verdict of one check on one transcript, or None when the check does not apply to it.

    One fault, one ERROR: a scenario's own error and every exchange that never completed are reported once,
    under run.exchange-complete. Other exchange checks judge only the completed exchanges, and a transcript
    check that does not pass while the transcript lacks traffic is not judged (SKIP naming the cause)."""
    if transcript.error is not None and check.id == EXCHANGE_COMPLETE:
        return _result(check, transcript.scenario, error(transcript.error), None)
    if check.scope == "transcript":
        if transcript.scenario not in check.scenarios:
            return None
        outcome = _call(check, transcript)
        if outcome is None:
            return None
        missing = None if check.judges_incomplete else transcript.incomplete()
        if missing and outcome.kind is not Kind.OK:
            outcome = skip(f"not judged: {missing} (see {EXCHANGE_COMPLETE})")
        step = outcome.evidence.get("step")
        ex = transcript.step(step) if isinstance(step, str) else None
        if ex is None and outcome.kind is not Kind.OK:
            ex = next((e for e in reversed(transcript.exchanges)), None)
        return _result(check, transcript.scenario, outcome, ex)

    judged: list[tuple[Exchange, Outcome]] = []
    for ex in transcript.exchanges:
        if ex.transport_error and check.id != EXCHANGE_COMPLETE:
            continue
        outcome = _call(check, ex)
        if outcome is not None:
            judged.append((ex, outcome))
    if not judged:
        return None
    worst_ex, worst = max(judged, key=lambda p: SEVERITY[verdict_for(p[1].kind, check.level)])
    prefix = f"{worst_ex.label}: " if len(transcript.exchanges) > 1 and worst_ex.label else ""
    result = _result(check, transcript.scenario, worst, worst_ex, prefix)
    if len(judged) > 1:
        result.evidence.setdefault("exchanges_judged", len(judged))
    return result


def judge_trials(check: Check, trials: list[Transcript]) -> Result | None:
    """Judge a check over k trials of one scenario. Model-dependent checks that disagree are FLAKY."""
    results = [r for r in (judge(check, t) for t in trials) if r is not None]
    if not results:
        return None
    if len(results) == 1 or not check.model_dependent:
        return max(results, key=lambda r: SEVERITY[r.verdict])
    passes = sum(r.verdict is Verdict.PASS for r in results)
    bad = [r for r in results if r.verdict in (Verdict.FAIL, Verdict.WARN)]
    if passes and bad:
        first_bad = bad[0]
        return Result(
            check_id=check.id,
            level=check.level,
            verdict=Verdict.FLAKY,
            scenario=first_bad.scenario,
            message=f"passed {passes} of {len(results)} trials; a failing trial: {first_bad.message}",
            evidence={**first_bad.evidence, "trials": len(results), "passed_trials": passes},
            area=check.area,
            model_dependent=True,
            exchange=first_bad.exchange,
        )
    worst = max(results, key=lambda r: SEVERITY[r.verdict])
    worst.evidence.setdefault("trials", len(results))
    worst.evidence.setdefault("passed_trials", passes)
    return worst


def judge_all(checks: Iterable[Check], transcripts: Iterable[Transcript]) -> list[Result]:
    checks = list(checks)
    out: list[Result] = []
    for t in transcripts:
        for c in checks:
            r = judge(c, t)
            if r is not None:
                out.append(r)
    return out


def summarize(results: Iterable[Result]) -> dict[str, int]:
    counts = {v.value: 0 for v in Verdict}
    for r in results:
        counts[r.verdict.value] += 1
    return counts
