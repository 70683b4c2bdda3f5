"""The suite is one parameterized pytest module per scenario family (conformance/suite/test_<family>.py)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import conformance.suite
from conformance.live.runner import select_scenarios
from conformance.reference.server import ReferenceServer

SUITE = Path(conformance.suite.__file__).resolve().parent


def suite_modules() -> dict[str, str]:
    """family -> module name, for every test module of the suite package."""
    out: dict[str, str] = {}
    for mod in pkgutil.iter_modules([str(SUITE)]):
        if mod.name.startswith("test_"):
            family = importlib.import_module(f"conformance.suite.{mod.name}").FAMILY
            assert family not in out, f"two modules for family {family}: {out[family]}, {mod.name}"
            out[family] = mod.name
    return out


def test_every_scenario_belongs_to_exactly_one_module() -> None:
    modules = suite_modules()
    families = {s.family for s in select_scenarios()}
    assert sorted(families - set(modules)) == [], "a scenario family without a suite module"
    assert sorted(set(modules) - families) == [], "a suite module whose family has no scenario"
    for family, name in modules.items():
        assert name == f"test_{family}", (family, name)


def run_pytest(*args: str, base_url: str, model: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(SUITE / "pytest.ini"), "--rootdir", str(SUITE),
         "-p", "conformance.pytest_plugin", "-q", "-rA", "--base-url", base_url, "--model", model,
         "--report-dir", str(tmp_path), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})


@pytest.fixture(scope="module")
def reference():
    with ReferenceServer(token_delay=0.001) as srv:
        yield srv


def test_one_module_runs_only_its_family_all_pass(reference, tmp_path: Path) -> None:
    proc = run_pytest(str(SUITE / "test_storage.py"), "--junitxml", str(tmp_path / "j.xml"),
                      base_url=reference.base_url, model=reference.model, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    ids = re.findall(r"^PASSED \S+\[(\S+?)::(\S+)\]$", proc.stdout, re.M)
    assert ids and {sid.split(".")[0] for sid, _ in ids} == {"storage"}
    assert "FAILED" not in proc.stdout
    assert (tmp_path / "j.xml").is_file()


def test_pyargs_and_markers_select_items(reference, tmp_path: Path) -> None:
    proc = run_pytest("--pyargs", "conformance.suite.test_metadata", "-m", "must", base_url=reference.base_url,
                      model=reference.model, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    ids = re.findall(r"^PASSED \S+\[(\S+?)::(\S+)\]$", proc.stdout, re.M)
    assert ids and all(sid == "metadata.echo" for sid, _ in ids)
    assert "metadata.echo::metadata.echoed" in {f"{s}::{c}" for s, c in ids}
