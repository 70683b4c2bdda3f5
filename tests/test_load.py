"""live/load.py: the run's adaptive limit on requests in flight (AIMD), requests retried alone after failing
under load, and concurrency.stable-under-load, which judges the difference. Verdicts must not depend on the
run's own concurrency (issue 18)."""

from __future__ import annotations

import threading
import time

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.live.engine import DEFAULT_CONCURRENCY
from conformance.live.load import Load
from conformance.live.runner import run_suite, select_scenarios
from conformance.live.target import Target
from conformance.reference.proxy import SlowProxy
from conformance.reference.server import ReferenceServer
from conformance.registry import get
from conformance.verdicts import Kind

STABLE = "concurrency.stable-under-load"


def test_the_limit_halves_once_per_round_on_congestion_under_load_and_grows_by_one_per_round() -> None:
    load = Load()
    load.adapt(8, wait_s=5)
    tickets = [load.enter() for _ in range(8)]
    for t in tickets:  # a burst of eight timeouts: one cut, not eight
        load.leave(t, congested=True)
    assert load.limit == 4 and load.cuts == 1
    for t in [load.enter() for _ in range(4)]:  # a new round after the cut may cut again
        load.leave(t, congested=True)
    assert load.limit == 2 and load.lowest == 2
    for _ in range(2):
        load.leave(load.enter(), congested=True)  # alone: a failure with nothing else in flight is not load
    assert load.limit == 2
    for _ in range(20):
        load.leave(load.enter(), congested=False)
    assert 5 <= load.limit <= 8  # about +1 per round of `limit` requests


def test_a_request_waits_for_a_slot_and_a_request_sent_alone_waits_for_the_others() -> None:
    load = Load()
    load.adapt(1, wait_s=5)
    first = load.enter()
    entered = threading.Event()
    threading.Thread(target=lambda: (load.enter(), entered.set()), daemon=True).start()
    assert not entered.wait(0.3)  # the one slot is taken
    load.leave(first, congested=False)
    assert entered.wait(2)
    load2 = Load()
    load2.adapt(4, wait_s=5)
    busy = load2.enter()
    t0 = time.monotonic()
    threading.Timer(0.3, lambda: load2.leave(busy, congested=False)).start()
    with load2.alone() as ticket:
        assert time.monotonic() - t0 >= 0.25 and ticket.others == 0


def test_every_wait_is_bounded() -> None:
    load = Load()
    load.adapt(1, wait_s=0.3)
    load.enter()
    t0 = time.monotonic()
    load.enter()  # the slot never frees: sent anyway once wait_s has passed
    with load.alone():
        pass
    assert time.monotonic() - t0 < 2


def _ex(status: int, under_load: dict | None) -> Exchange:
    return Exchange(RecordedRequest("POST", "/v1/responses", body={"model": "m"}),
                    RecordedResponse(status, {"content-type": "application/json"}, {"id": "resp_1"}),
                    label="create", under_load=under_load)


def test_stable_under_load_fails_a_request_that_failed_under_load_and_succeeded_alone() -> None:
    check = get(STABLE)
    first = {"status": 500, "transport_error": None, "others_in_flight": 7}
    failed = check.func(_ex(200, first))
    assert failed.kind is Kind.VIOLATION and "HTTP 500 while 7 other request(s)" in failed.message
    assert check.func(_ex(200, None)) is None  # not a retry
    assert check.func(_ex(500, first)) is None  # fails alone too: the other checks judge it


SUBSET = [s.id for f in ("basic", "multi_turn", "tools", "concurrency") for s in select_scenarios(family=f)]
# The async SDK tier takes its slots from the same limit and retries alone as the sync tiers do (issue 21).
WITH_ASYNC = SUBSET + [s.id for s in select_scenarios(family="async_sdk")]


def _verdicts(url: str, concurrency: int) -> dict[tuple[str, str], str]:
    run = run_suite(Target(name="t", base_url=url, model="reference-echo"), ids=WITH_ASYNC, concurrency=concurrency)
    return {(r.scenario, r.check_id): r.verdict.value for r in run.results}


def test_verdicts_do_not_depend_on_the_runs_own_concurrency() -> None:
    """A server that answers 500 to any create overlapping another (gpt-oss's, issue 18): at concurrency 8 each
    request that failed under load is retried alone, so every verdict is the one --concurrency 1 gives, and the
    difference is reported once per scenario under concurrency.stable-under-load."""
    with ReferenceServer(faults=["busy-500"]) as srv:
        alone = _verdicts(srv.base_url, 1)
        loaded = _verdicts(srv.base_url, 8)
    # The bursts sent at once on purpose are never retried: which of them slips through before the others are in
    # flight is a matter of microseconds, so the checks judging the answers that did are left out (SKIP or PASS).
    burst = {"concurrency.parallel", "async_sdk.parallel"}
    assert ({k: v for k, v in loaded.items() if k[1] != STABLE and k[0] not in burst}
            == {k: v for k, v in alone.items() if k[0] not in burst})
    assert {v for k, v in loaded.items() if k[1] == STABLE} == {"FAIL"}
    for verdicts in (alone, loaded):
        assert verdicts[("concurrency.parallel", "concurrency.all-answered")] == "FAIL"  # the burst on purpose


def test_on_a_one_slot_server_the_engine_lowers_its_concurrency_and_times_out_less(monkeypatch) -> None:
    """A one-slot endpoint (llama.cpp's server with one slot) behind a loopback proxy: requests beyond the first
    queue there, so at a fixed concurrency of 8 many time out (ERRORs); adapting, the engine cuts its limit, and a
    request that timed out under load is sent again alone, so (almost) none is lost."""
    def timeouts(adapt: bool) -> tuple[int, int | None]:
        if not adapt:
            monkeypatch.setattr(Load, "adapt", lambda self, limit, wait_s: None)
        with ReferenceServer() as srv, SlowProxy(srv.port, delay_s=0.25, slots=1) as proxy:
            t = Target(name="t", base_url=proxy.base_url(), model="reference-echo", request_timeout_s=1.2)
            run = run_suite(t, ids=SUBSET, concurrency=8)
        monkeypatch.undo()
        # concurrency.parallel sends six at once on purpose: on one slot some time out whatever the engine does.
        errors = sum(1 for r in run.results if r.verdict.value == "ERROR" and r.scenario != "concurrency.parallel")
        return errors, run.engine.client.load.lowest

    fixed, _ = timeouts(adapt=False)
    adaptive, lowest = timeouts(adapt=True)
    assert lowest is not None and lowest <= 2
    # Like llama.cpp, the proxy serves a request whose client gave up to its end, so on a busy machine a retry sent
    # alone can still queue behind those and time out: "almost none" is what holds, not "none" (CI saw 13 vs 1).
    assert fixed >= 5 and adaptive <= 2, (fixed, adaptive)


def test_a_timeout_storm_says_why_and_what_to_try(tmp_path) -> None:
    """Against a one-slot endpoint a run at the default concurrency says in its notes (console and report) that
    requests timed out, why that may be, and what to try; and how the engine adapted."""
    import json
    import subprocess
    import sys

    with ReferenceServer() as srv, SlowProxy(srv.port, delay_s=0.25, slots=1) as proxy:
        proc = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--base-url", proxy.base_url(), "--model", "reference-echo",
             "--request-timeout", "1.2", "--report-dir", str(tmp_path), "-q",
             *[a for f in ("basic", "multi_turn", "tools") for s in select_scenarios(family=f) for a in ("--scenario", s.id)]],
            capture_output=True, text=True, timeout=300)
    notes = [line for line in proc.stdout.splitlines() if line.startswith("note: ")]
    storm = [n for n in notes if "requests timed out" in n]
    assert storm and "one request at a time" in storm[0] and "try --concurrency 1" in storm[0], proc.stdout
    assert any(f"lowered its requests in flight from {DEFAULT_CONCURRENCY} to" in n for n in notes)
    assert any("sent again alone" in n for n in notes)
    report = json.loads((tmp_path / "report.json").read_text())
    assert any("requests timed out" in n for n in report["notes"])
    assert "> " + storm[0].removeprefix("note: ")[:40] in (tmp_path / "report.md").read_text()


def test_a_scenario_that_compares_its_requests_times_holds_the_run_alone(monkeypatch) -> None:
    """async_sdk.abandon compares the time of a create after an abandoned stream with the same create before it.
    Another scenario's load in between would be taken for the stream's doing (in CI, vLLM with --max-num-seqs 8
    queued the create after and the rule FAILed), so from the stream on nothing else is in flight."""
    from conformance.live.scenarios import async_sdk

    seen: list[tuple[str, int]] = []
    send = async_sdk.AsyncRecordingTransport._send

    async def counting(self, request, label, ended):
        seen.append((self._ctx.transcript.scenario, len(self._ctx.client.load._active)))
        return await send(self, request, label, ended)

    monkeypatch.setattr(async_sdk.AsyncRecordingTransport, "_send", counting)
    with ReferenceServer(token_delay=0.01) as srv:
        run = run_suite(Target(name="t", base_url=srv.base_url, model="reference-echo"), ids=WITH_ASYNC)
    abandon = [n for scenario, n in seen if scenario == "async_sdk.abandon"]
    # before (under load: a slower one only widens the bound), then the stream left and the create after: alone
    assert len(abandon) == 3 and abandon[1:] == [1, 1], abandon
    assert max(n for scenario, n in seen if scenario != "async_sdk.abandon") > 1  # the run had others in flight
    assert {r.verdict.value for r in run.results if r.scenario == "async_sdk.abandon"} == {"PASS"}
    assert run.engine.client.load.retried == 0  # holding the run alone is not a retry


def test_an_async_slot_wait_cut_by_a_deadline_leaves_no_slot_taken() -> None:
    """The async tier waits for slots in a worker thread. When a deadline cancels that wait, the thread still gets
    its ticket later: it must be given back, or the run's limit (or the run held alone) is kept by no one."""
    import asyncio

    from conformance.live.scenarios.async_sdk import AsyncRecordingTransport

    load = Load()
    load.adapt(1, wait_s=5)
    busy = load.enter()
    transport = AsyncRecordingTransport.__new__(AsyncRecordingTransport)
    transport._waiting, transport._load_s = {}, 0.0

    async def cut(take, release, *args) -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(transport._waited(take, release, *args), 0.2)

    asyncio.run(cut(load.enter, lambda t: load.leave(t, congested=False)))
    load.leave(busy, congested=False)  # now the thread gets its slot, after its waiter gave up
    time.sleep(0.3)
    assert load._active == []
    busy = load.enter()
    asyncio.run(cut(load.enter_alone, load.leave_alone, False))
    load.leave(busy, congested=False)
    time.sleep(0.3)
    assert load._active == [] and not load._alone
    with load.alone():  # nothing is held: taken at once
        pass
