"""The SDK tier with the lowest and the newest openai-python that pyproject.toml allows.

Each release is installed with pip into a throwaway directory placed first on PYTHONPATH (the pip cache makes
this a few seconds), and the SDK scenarios of both tiers (sync OpenAI, async AsyncOpenAI) run against the embedded
reference server: all must PASS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from conformance.live.runner import select_scenarios

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def openai_requirement() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (req,) = [d for d in deps if re.match(r"openai\b", d)]
    return req


def lowest(req: str) -> str:
    m = re.search(r">=\s*([\w.]+)", req)
    assert m, f"{req!r} has no lower bound"
    return m.group(1)


@pytest.mark.parametrize("which", ["lowest", "newest"])
def test_sdk_tier_passes_with_each_end_of_the_openai_range(tmp_path, which):
    req = openai_requirement()
    spec = f"openai=={lowest(req)}" if which == "lowest" else req  # pip picks the newest release the range allows
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          "--target", str(site), spec], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}, "PYTHONPATH": str(site)}
    version = subprocess.run([sys.executable, "-c", "import openai; print(openai.__version__)"], env=env,
                             capture_output=True, text=True, timeout=60).stdout.strip()
    if which == "lowest":
        assert Version(version) == Version(lowest(req))
    scenarios = [s.id for s in select_scenarios() if s.family in ("sdk", "async_sdk")]
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", *(a for s in scenarios for a in ("--scenario", s)),
                           "--report-dir", str(tmp_path / "r"), "-q"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"openai {version}: {proc.stdout}{proc.stderr}"
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    sdk = [r for r in report["results"] if r["check_id"].startswith(("sdk.", "async_sdk."))]
    assert {r["scenario"] for r in sdk} == set(scenarios), (version, sdk)
    assert all(r["verdict"] == "PASS" for r in sdk), (version, sdk)
