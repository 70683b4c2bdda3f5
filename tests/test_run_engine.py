"""The run engine on slow, stalled, dead and stopped endpoints (docs/run-engine.md).

Timing asserts are generous bounds only; the figures themselves are measured by benchmarks/run_engine.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from conformance.live.runner import run_suite, select_scenarios
from conformance.live.scenario import SURFACE_FAMILIES
from conformance.live.target import Target
from conformance.reference.proxy import SlowProxy
from conformance.reference.server import ReferenceServer
from conformance.registry import all_checks
from conformance.verdicts import Verdict

# Checks the clean reference server gives no traffic to judge (framing.nothing-after-done needs a [DONE]
# marker; run.preflight reports only when the endpoint can't be tested; run.recording-readable judges replay's
# input; concurrency.stable-under-load judges only requests retried alone after failing under load).
NOT_JUDGED_ON_REFERENCE = {"framing.nothing-after-done", "run.preflight", "run.recording-readable",
                           "concurrency.stable-under-load"}


@pytest.fixture(scope="module")
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer(token_delay=0.001) as srv:
        yield srv


def target(url: str, model: str, **kw: object) -> Target:
    return Target(name="t", base_url=url, model=model, **kw)  # type: ignore[arg-type]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", "run", *args], capture_output=True, text=True,
                          timeout=timeout)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def test_default_run_sends_at_most_40_generation_requests_and_judges_every_check(reference) -> None:
    # Issue 8's families: not the API-surface families, nor the async SDK tier added later (issue 21).
    core = [s.id for s in select_scenarios() if s.family not in SURFACE_FAMILIES and s.family != "async_sdk"]
    with SlowProxy(reference.port) as proxy:
        run_suite(target(proxy.base_url(), reference.model), ids=core)
    posts = [p for p in proxy.stats.paths if p == "POST /v1/responses"]
    # 36 before the controls that keep rules from passing vacuously added four creates (issue 18.12: refusal
    # rules) and two (tools.none-choice, tools.parallel-disabled: a model that never calls tools proves nothing).
    assert len(posts) <= 42, len(posts)
    run = run_suite(target(reference.base_url, reference.model))
    assert {r.verdict for r in run.results} == {Verdict.PASS}, [r.message for r in run.results if r.verdict is not Verdict.PASS]
    judged = {r.check_id for r in run.results}
    assert {c.id for c in all_checks()} - judged == NOT_JUDGED_ON_REFERENCE
    # Each stored response is deleted once (the scenario's own, or the shared one when its last reader ended).
    deletes = [p for p in proxy.stats.paths if p.startswith("DELETE /v1/responses/")]
    assert len(deletes) == len(set(deletes))


def test_shared_exchanges_are_judged_once_under_their_owner(reference) -> None:
    run = run_suite(target(reference.base_url, reference.model), ids=["storage.retrieve", "storage.input-items",
                                                                      "metadata.echo", "storage.delete"])
    schema = [r for r in run.results if r.check_id == "schema.response"]
    by_scenario = {t.scenario: t for t in run.transcripts}
    assert by_scenario["storage.retrieve"].step("create") is by_scenario["metadata.echo"].step("create")
    assert by_scenario["storage.input-items"].borrowed["create"] in by_scenario["storage.retrieve"].exchanges
    # The create (made by the preflight, adopted by its owner) is in exactly one transcript's own exchanges.
    create = by_scenario["storage.retrieve"].step("create")
    assert sum(create in t.exchanges for t in run.transcripts) == 1
    assert all(r.verdict is Verdict.PASS for r in run.results), [r.message for r in run.results]
    assert schema


def test_scenarios_overlap_with_concurrency_and_never_with_one(reference) -> None:
    ids = [s.id for s in select_scenarios() if s.family in ("basic", "json_mode", "tools")]
    with SlowProxy(reference.port, delay_s=0.1) as proxy:
        spans = {}
        for n in (1, 6):
            run = run_suite(target(proxy.base_url(), reference.model), ids=ids, concurrency=n)
            spans[n] = sorted((r.started, r.started + r.seconds) for r in run.engine.runs.values())
    overlaps = {n: sum(b[0] < a[1] - 0.01 for a, b in zip(s, s[1:])) for n, s in spans.items()}
    assert overlaps[1] == 0
    assert overlaps[6] >= 3


def test_stalled_creates_give_one_error_each_and_the_rest_is_judged(reference) -> None:
    # 5 s, not less: in CI the vLLM install runs beside the tests, and at 2 s a request that was only slow on the
    # loaded machine was cut too (a fourth ERROR, concurrency.all-answered's "could not judge").
    with SlowProxy(reference.port, stall_posts=3) as proxy:
        run = run_suite(target(proxy.base_url(), reference.model, request_timeout_s=5.0, idle_timeout_s=5.0))
    errors = [r for r in run.results if r.verdict is Verdict.ERROR]
    assert 1 <= len(errors) <= 3, [(r.check_id, r.scenario, r.message) for r in errors]
    assert {r.check_id for r in errors} == {"run.exchange-complete"}
    # The proxy stalls only the first three POSTs, so when one of them is cut while others are in flight, its retry
    # alone succeeds: concurrency.stable-under-load may report that difference (it did once in CI). Nothing else FAILs.
    assert not [r for r in run.results if r.verdict is Verdict.FAIL and r.check_id != "concurrency.stable-under-load"]
    assert sum(r.verdict is Verdict.PASS for r in run.results) > 300


def test_transcript_check_needing_a_lost_exchange_is_skipped_naming_it() -> None:
    from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
    from conformance.judge import judge
    from conformance.registry import get

    lost = Exchange(RecordedRequest("POST", "/v1/responses"), RecordedResponse(status=None), label="create",
                    transport_error="timeout: no response headers within the limits")
    t = Transcript(scenario="storage.retrieve", exchanges=[lost])
    skipped = judge(get("storage.retrieve-matches"), t)
    assert skipped is not None and skipped.verdict is Verdict.SKIP and "create did not complete" in skipped.message
    assert judge(get("run.exchange-complete"), t).verdict is Verdict.ERROR
    assert judge(get("schema.response"), t) is None  # never judged on a lost exchange


def test_unreachable_endpoint_exits_3_at_once_with_one_result(tmp_path: Path) -> None:
    t0 = time.monotonic()
    proc = cli("--base-url", f"http://127.0.0.1:{closed_port()}/v1", "--report-dir", str(tmp_path), timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert time.monotonic() - t0 < 30
    assert "could not be reached" in proc.stderr and "--base-url" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["check_id"] for r in report["results"]] == ["run.preflight"]
    assert report["complete"] is False


@pytest.mark.parametrize("status, needle", [(401, "key was refused"), (404, "refused the model")])
def test_refused_key_or_unknown_model_exits_3(tmp_path: Path, status: int, needle: str) -> None:
    from tests.rawserver import scripted_server

    body = json.dumps({"error": {"message": "The model `m` does not exist" if status == 404 else "bad key",
                                 "type": "invalid_request_error", "param": "model" if status == 404 else None,
                                 "code": "model_not_found" if status == 404 else "invalid_api_key"}})
    reply = (f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
             f"connection: close\r\n\r\n{body}").encode()
    with scripted_server(reply) as url:
        proc = cli("--base-url", url, "--model", "m", "--report-dir", str(tmp_path), timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert needle in proc.stderr


def test_a_create_refused_with_4xx_exits_3_with_the_servers_message(tmp_path: Path) -> None:
    """LiteLLM's proxy given a wrong key answers every create with 400 "No connected db": nothing can be tested."""
    from tests.rawserver import scripted_server

    body = json.dumps({"error": {"message": "No connected db.", "type": "None", "param": "None", "code": "400"}})
    reply = (f"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
             f"connection: close\r\n\r\n{body}").encode()
    with scripted_server(reply) as url:
        proc = cli("--base-url", url, "--model", "m", "--report-dir", str(tmp_path), timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "HTTP 400" in proc.stderr and "No connected db." in proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["check_id"] for r in report["results"]] == ["run.preflight"]


@pytest.mark.slow
def test_sigterm_mid_run_leaves_a_valid_incomplete_report(reference, tmp_path: Path) -> None:
    with SlowProxy(reference.port, delay_s=0.3) as proxy:
        proc = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--base-url", proxy.base_url(),
                                 "--model", reference.model, "--report-dir", str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while proxy.stats.requests < 12 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in out + err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and "SIGTERM" in report["stop_reason"]
    assert "incomplete" in (tmp_path / "report.md").read_text().lower()


@pytest.mark.slow
def test_max_duration_ends_the_run_and_reports_what_finished(reference, tmp_path: Path) -> None:
    with SlowProxy(reference.port, delay_s=0.5) as proxy:
        t0 = time.monotonic()
        proc = cli("--base-url", proxy.base_url(), "--model", reference.model, "--max-duration", "4",
                   "--request-timeout", "10", "--report-dir", str(tmp_path), timeout=120)
        wall = time.monotonic() - t0
    assert proc.returncode == 1, proc.stderr
    assert wall < 60
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and "--max-duration 4s" in report["stop_reason"]
    assert report["results"], "what finished before the budget ran out is reported"


def test_progress_without_a_tty_is_one_line_per_scenario(reference, tmp_path: Path) -> None:
    proc = cli("--base-url", reference.base_url, "--model", reference.model, "--scenario", "basic.string-input",
               "--scenario", "json_mode.json-object", "--report-dir", str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("[")]
    assert len(lines) == 2, proc.stderr
    assert all(" PASS in " in ln and ln.endswith(" s") for ln in lines)


def test_streams_flag_matches_what_each_scenario_sends(reference) -> None:
    """Scenario.streams decides which scenarios stream-only checks are collected with: hold it to the traffic."""
    run = run_suite(target(reference.base_url, reference.model), checks=[])
    for t in run.transcripts:
        sc = next(s for s in select_scenarios() if s.id == t.scenario)
        seen = [*t.exchanges, *t.borrowed.values()]
        streamed = any(ex.is_stream or (isinstance(ex.request.body, dict) and ex.request.body.get("stream"))
                       or (ex.request.query or {}).get("stream") == "true" for ex in seen)
        assert streamed == sc.streams, (t.scenario, streamed)


@pytest.mark.slow
def test_targets_run_concurrently_each_into_its_own_report(reference, tmp_path: Path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text("".join(f'[targets.{n}]\nbase_url = "{reference.base_url}"\nmodel = "{reference.model}"\n'
                               for n in ("one", "two")))
    proc = cli("--targets", str(targets), "--scenario", "basic.string-input", "--report-dir", str(tmp_path / "r"),
               timeout=180)
    assert proc.returncode == 0, proc.stderr
    for n in ("one", "two"):
        assert json.loads((tmp_path / "r" / n / "report.json").read_text())["target"]["name"] == n
        assert f"[{n}]" in proc.stderr


def test_a_multi_target_run_ends_with_one_summary_line_per_target(reference, tmp_path: Path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text(f'[targets.up]\nbase_url = "{reference.base_url}"\nmodel = "{reference.model}"\n'
                       f'[targets.down]\nbase_url = "http://127.0.0.1:{closed_port()}/v1"\nmodel = "m"\n')
    proc = cli("--targets", str(targets), "--scenario", "basic.string-input", "--report-dir", str(tmp_path / "r"),
               timeout=180)
    assert proc.returncode == 3, proc.stderr
    tail = proc.stdout.strip().splitlines()[-3:]
    assert tail[0] == "targets:"
    assert tail[1].startswith("  up: exit 0: ") and " PASS" in tail[1] and "report: " in tail[1]
    assert tail[2].startswith("  down: exit 3: ") and "could not be reached" in tail[2]


def _plan(ids: list[str]):
    checks = all_checks()
    return [(sc, [c for c in checks if c.pairs_with(sc)]) for sc in select_scenarios(ids)]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_scenarios_submitted_a_family_at_a_time_all_end(reference, concurrency: int) -> None:
    """How an xdist worker feeds the engine: one family per call, readers of a shared resource submitted after
    its destroyer. The old pool hung here (stale stop markers in the queue, waits on jobs queued later)."""
    from conformance.live.client import RecordingClient
    from conformance.live.engine import Engine

    t = target(reference.base_url, reference.model)
    client = RecordingClient(t)
    engine = Engine(t, client, concurrency)
    try:
        assert engine.run_preflight() is None
        families = ["storage", "metadata", "tools", "basic", "multi_turn"]  # storage.delete before metadata.echo
        for family in families:
            engine.start(_plan([s.id for s in select_scenarios(family=family)]), final=False)
        ids = [sid for sid in engine.runs]
        for sid in ids:
            r = engine.wait(sid)
            assert r is not None and r.done.is_set(), sid
        verdicts = {res.verdict for r in engine.runs.values() for res in r.results.values() if res is not None}
        assert verdicts == {Verdict.PASS}
        engine.finish_submitting()
    finally:
        engine.join(5)
        client.close()
    assert not any(th.is_alive() for th in engine._threads)


def test_a_scenario_past_every_bound_becomes_one_error_instead_of_a_hang(reference, monkeypatch) -> None:
    """Engine.wait is bounded: a scenario stuck beyond its requests' deadlines (here: a suite bug that blocks)
    is judged ERROR once its limit passes, and the wait returns."""
    import threading

    from conformance.live import engine as engine_mod
    from conformance.live.client import RecordingClient

    block = threading.Event()
    real = engine_mod.run_scenario

    def stuck(sc, *a, **kw):
        if sc.id == "basic.string-input":
            block.wait(30)
        return real(sc, *a, **kw)

    monkeypatch.setattr(engine_mod, "run_scenario", stuck)
    monkeypatch.setattr(engine_mod, "MAX_EXCHANGES_PER_SCENARIO", 1)
    t = target(reference.base_url, reference.model, request_timeout_s=0.5)
    client = RecordingClient(t)
    engine = engine_mod.Engine(t, client, 2)
    engine.scenario_slack_s = 0.5
    try:
        engine.start(_plan(["basic.string-input", "basic.instructions"]))
        t0 = time.monotonic()
        r = engine.wait("basic.string-input")
        assert time.monotonic() - t0 < 10
        assert r is not None and r.done.is_set()
        errors = [res for res in r.results.values() if res is not None and res.verdict is Verdict.ERROR]
        assert errors and "stopped waiting" in errors[0].message
        assert engine.wait("basic.instructions") is not None
    finally:
        block.set()
        engine.join(5)
        client.close()


@pytest.mark.slow
def test_plain_pytest_with_xdist_runs_the_whole_suite_into_one_report(tmp_path: Path) -> None:
    """The documented xdist path, whole suite, embedded server, under a deadline: every worker's results land
    in one merged report (and each worker's own in gwN/)."""
    # Autoload is off, so the plugins the suite needs are named: xdist, pytest-asyncio (the async SDK tier's
    # items are coroutines), the suite's own.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-p", "pytest_asyncio.plugin",
                           "-p", "conformance.pytest_plugin", "--pyargs", "conformance.suite", "-n", "2", "--dist", "loadfile", "-q",
                           "-p", "no:cacheprovider", "--rc-report-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    merged = json.loads((tmp_path / "report.json").read_text())
    assert merged["complete"] is True
    assert merged["summary"]["PASS"] == len(merged["results"]) > 600
    workers = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("gw*/report.json"))]
    assert len(workers) == 2
    assert sum(len(w["results"]) for w in workers) == len(merged["results"])
    families = {r["scenario"].split(".")[0] for r in merged["results"]}
    assert {"basic", "storage", "tools", "websocket", "sdk"} <= families


@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_owner_submitted_after_a_borrower_made_its_resource_records_its_own_steps(reference, concurrency) -> None:
    """An xdist worker may get background.* (which borrows basic.string-input's foreground response) before
    basic.*: the borrower then makes the resource itself, under its own label. The owner, submitted later,
    must still record its own create step (it once borrowed the other's exchanges: "recorded no create step")."""
    from conformance.live.client import RecordingClient
    from conformance.live.engine import Engine

    t = target(reference.base_url, reference.model)
    client = RecordingClient(t)
    engine = Engine(t, client, concurrency)
    try:
        assert engine.run_preflight() is None
        engine.start(_plan([s.id for s in select_scenarios(family="background")]), final=False)
        for sid in list(engine.runs):
            assert engine.wait(sid) is not None
        engine.start(_plan([s.id for s in select_scenarios(family="basic")]), final=False)
        r = engine.wait("basic.string-input")
        assert r is not None
        bad = {cid: res.message for cid, res in r.results.items() if res is not None and res.verdict != Verdict.PASS}
        assert not bad
        engine.finish_submitting()
    finally:
        engine.join(5)
        client.close()
