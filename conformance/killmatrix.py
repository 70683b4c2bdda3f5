"""The kill matrix: the suite against the reference server with each fault and profile.

A fault no check catches means a rule nobody enforces. `python -m conformance.killmatrix --write` measures
the matrix and regenerates docs/faults.md (its "caught by" column); tests/test_kill_matrix.py measures it again
and fails when a fault goes undetected or the doc is stale.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conformance.checks.run import EXCHANGE_COMPLETE
from conformance.live.runner import run_and_judge
from conformance.live.target import Target
from conformance.verdicts import Result, Verdict

DOC = Path(__file__).resolve().parent.parent / "docs" / "faults.md"
CAUGHT = (Verdict.FAIL, Verdict.WARN)
# Faults that stall the endpoint: the suite's bounds cut the exchange, so they are caught as one ERROR under
# run.exchange-complete (the endpoint is never blamed for the cut). Elsewhere such an ERROR is a timeout of a
# loaded machine, not a finding, and is left out of the matrix.
STALLS = {"stream-idle-hang"}


def run_reference(faults: tuple[str, ...] = (), profile: str | None = None) -> list[Result]:
    """The whole suite against one reference server configuration (short timeouts: hang faults end fast)."""
    from conformance.reference.server import ReferenceServer

    # A token delay keeps background runs going long enough for background.cancel to land (an instant
    # server finishes first, and the check SKIPs).
    with ReferenceServer(faults=faults, profile=profile, token_delay=0.001) as srv:
        target = Target(name="reference", base_url=srv.base_url, idle_timeout_s=5.0, request_timeout_s=15.0,
                        headers=dict(srv.required_headers))
        results, _ = run_and_judge(target)
    return results


# Faults that reproduce legitimate behaviour a client must cope with: no check may catch them.
TOLERATED = {
    "sse-comments": "docs/rules.md#stream-grammar: SSE comments between events are allowed",
    "ping-keepalives": "docs/rules.md#stream-grammar: response.ping-style keep-alives are tolerated",
    "rate-limit-429": "a 429 with Retry-After is legitimate; the client waits it out",
}
# Faults that only show when the server fails internally, which no request can make a real endpoint do.
# The reference model fails on a documented trigger word; the matrix sends it and judges that exchange.
PROVOKED = {"vllm-stream-no-failed"}


def caught_by(results: list[Result], stall: bool = False) -> list[str]:
    return sorted({r.check_id for r in results if r.verdict in CAUGHT
                   or (stall and r.verdict is Verdict.ERROR and r.check_id == EXCHANGE_COMPLETE)})


def provoke_failure(fault: str) -> list[Result]:
    """Judge, with every exchange check, a stream the reference server fails on purpose."""
    from conformance.exchange import Transcript
    from conformance.judge import judge_all
    from conformance.live.client import RecordingClient
    from conformance.reference.model import FAIL_TRIGGER
    from conformance.reference.server import ReferenceServer
    from conformance.registry import all_checks

    with ReferenceServer(faults=(fault,)) as srv:
        target = Target(name="reference", base_url=srv.base_url, idle_timeout_s=1.0, request_timeout_s=15.0)
        with RecordingClient(target) as client:
            body = {"model": srv.model, "input": FAIL_TRIGGER, "stream": True, "max_output_tokens": 16}
            ex = client.request("POST", "responses", body=body, stream=True, label="provoked-failure")
    checks = [c for c in all_checks() if c.scope == "exchange"]
    return judge_all(checks, [Transcript(f"provoked:{fault}", [ex])])


def _fault_caught(name: str) -> list[str]:
    results = run_reference((name,))
    if name in PROVOKED:
        results += provoke_failure(name)
    return caught_by(results, stall=name in STALLS)


def measure(workers: int = 4) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(fault -> checks that caught it, profile -> checks that caught it)."""
    from conformance.reference.faults import FAULTS
    from conformance.reference.profiles import PROFILES

    with ThreadPoolExecutor(workers) as pool:
        faults = dict(zip(FAULTS, pool.map(_fault_caught, FAULTS)))
        profiles = dict(zip(PROFILES, pool.map(lambda p: caught_by(run_reference(profile=p)), PROFILES)))
    return faults, profiles


# Checks no reference fault can trip, and why. Each still has unit tests that FAIL it on hand-made traffic.
UNTRIPPED = {
    "errors.stream-rejection-status": "judges a 2xx stream that opens with an `error` event; the reference "
    "rejects bad stream requests with a JSON 4xx before streaming, and no hook turns that reply into a stream",
}


def untripped(fault_map: dict[str, list[str]]) -> list[str]:
    """MUST/SHOULD checks that no fault made FAIL or WARN."""
    from conformance.registry import all_checks

    caught = {c for checks in fault_map.values() for c in checks}
    return [c.id for c in all_checks() if c.level.value in ("MUST", "SHOULD") and c.id not in caught]


def render(fault_map: dict[str, list[str]]) -> str:
    from conformance.reference.catalogue import faults_markdown

    lines = ["", "## Checks no fault trips", ""]
    for check_id in untripped(fault_map):
        lines.append(f"- `{check_id}`: {UNTRIPPED.get(check_id, 'NOT EXPLAINED: add a fault')}")
    return faults_markdown(fault_map) + "\n".join(lines) + "\n"


def main() -> int:
    fault_map, profile_map = measure()
    if "--write" in sys.argv:
        DOC.write_text(render(fault_map), encoding="utf-8")
    for name, checks in {**fault_map, **{f"profile:{k}": v for k, v in profile_map.items()}}.items():
        print(f"{name}: {', '.join(checks) or 'NOT DETECTED'}")
    missed = [f for f, checks in fault_map.items() if bool(checks) == (f in TOLERATED)]
    return 0 if not missed and all(profile_map.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
