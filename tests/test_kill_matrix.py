"""Every check can fail: the suite against the clean reference server is all PASS, and every fault and
vendor profile of the reference server is caught by at least one check (FAIL or WARN; for a fault that stalls, the one ERROR the bound cut makes)."""

from __future__ import annotations

import collections
import re

import pytest

from conformance import killmatrix
from conformance.verdicts import Verdict


@pytest.fixture(scope="module")
def matrix():
    return killmatrix.measure()


def test_clean_reference_server_is_all_pass():
    results = killmatrix.run_reference()
    counts = collections.Counter(r.verdict for r in results)
    bad = [(r.check_id, r.scenario, r.verdict.value, r.message) for r in results if r.verdict is not Verdict.PASS]
    assert not bad, bad
    assert len(results) >= 100, counts


def test_every_fault_is_caught(matrix):
    faults, _ = matrix
    undetected = sorted(name for name, checks in faults.items() if not checks and name not in killmatrix.TOLERATED)
    assert not undetected, f"faults no check catches: {undetected}"


def test_tolerated_behaviour_is_caught_by_nothing(matrix):
    faults, _ = matrix
    assert set(killmatrix.TOLERATED) <= set(faults)
    assert {name: faults[name] for name in killmatrix.TOLERATED if faults[name]} == {}


def test_a_provoked_failure_without_response_failed_is_caught():
    caught = killmatrix.caught_by(killmatrix.provoke_failure("vllm-stream-no-failed"))
    assert "stream.terminal-event" in caught, caught
    assert killmatrix.caught_by(killmatrix.provoke_failure("sse-comments")) == []  # the clean failure is fine


def test_every_profile_is_caught(matrix):
    _, profiles = matrix
    assert all(profiles.values()), {name: checks for name, checks in profiles.items() if not checks}


def _caught_by(doc: str) -> dict[str, set[str]]:
    """Each table row's fault (first cell) and the check ids of its last cell."""
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            rows[cells[0].strip("`")] = set(re.findall(r"`([a-z_]+\.[a-z0-9-]+)`", cells[-1]))
    return rows


def test_faults_doc_lists_what_catches_each_fault(matrix):
    """Every fault is documented, and what the doc says catches it still does. Which further checks also catch a
    fault can vary from run to run (faults met under concurrency), so the doc's set must meet the measured one
    rather than equal it."""
    faults, _ = matrix
    documented, measured = _caught_by(killmatrix.DOC.read_text(encoding="utf-8")), _caught_by(killmatrix.render(faults))
    stale = "docs/faults.md is stale: run python -m conformance.killmatrix --write"
    assert documented.keys() == measured.keys(), stale
    assert [f for f in measured if bool(documented[f]) != bool(measured[f])
            or (measured[f] and not documented[f] & measured[f])] == [], stale


def test_every_must_and_should_check_is_tripped_by_some_fault(matrix):
    faults, _ = matrix
    assert set(killmatrix.untripped(faults)) == set(killmatrix.UNTRIPPED), (
        "each MUST/SHOULD check needs a reference fault that makes it FAIL or WARN (or a reason in UNTRIPPED)"
    )
