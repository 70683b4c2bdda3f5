"""action.yml, executed step by step on this machine as a GitHub runner would, with fake GITHUB_* files.

The install step really installs the repository, into a throwaway "runner" environment whose only other
packages are this venv's (seen through a .pth file, so pip neither reinstalls nor uninstalls them); the run step
runs that installed copy against a reference server with a fault; `uses:` steps are checked for what they
would upload.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.reference.server import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
KEY = "sk-action-test-0000000000000000"
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """The few expression forms action.yml uses: inputs.X, steps.ID.outputs.X, and `a || 'literal'`."""

    def one(expr: str) -> str:
        for alt in (a.strip() for a in expr.split("||")):
            if alt.startswith("'"):
                value = alt.strip("'")
            elif alt.startswith("inputs."):
                value = inputs[alt.removeprefix("inputs.")]
            else:
                m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", alt)
                assert m, f"action.yml uses an expression this test does not know: {alt}"
                value = outputs.get(m.group(1), {}).get(m.group(2), "")
            if value:
                return value
        return ""

    return _EXPR.sub(lambda m: one(m.group(1)), text)


ARTIFACT_URL = "https://github.com/o/r/actions/runs/1/artifacts/2"


def run_action(given: dict[str, str], tmp: Path, artifact_url: str = ARTIFACT_URL) -> dict[str, Any]:
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    tmp.mkdir(parents=True, exist_ok=True)
    summary = tmp / "summary.md"
    summary.write_text("")
    runner = tmp / "runner-python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(runner)], check=True, timeout=120)
    (site,) = (runner / "lib").glob("python*/site-packages")
    (site / "test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_", "PIP_", "VIRTUAL_ENV"))},
        "PATH": f"{runner / 'bin'}{os.pathsep}{os.environ['PATH']}",  # python3 is the runner's
        "PIP_NO_DEPS": "1",  # they are there already
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    outputs: dict[str, dict[str, str]] = {}
    statuses: list[tuple[str, int]] = []
    uploads: list[dict[str, str]] = []
    failed = False
    for n, step in enumerate(ACTION["runs"]["steps"]):
        if failed and "always()" not in str(step.get("if", "")):
            continue
        if "uses" in step:
            assert step["uses"].startswith("actions/upload-artifact@")
            uploads.append({k: evaluate(str(v), inputs, outputs) for k, v in step["with"].items()})
            if "id" in step and artifact_url:  # upload-artifact@v4's output
                outputs[step["id"]] = {"artifact-url": artifact_url}
            continue
        out_file = tmp / f"output-{n}"
        out_file.write_text("")
        step_env = {**env, "GITHUB_OUTPUT": str(out_file),
                    **{k: evaluate(str(v), inputs, outputs) for k, v in (step.get("env") or {}).items()}}
        script = evaluate(step["run"], inputs, outputs)
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp, env=step_env, capture_output=True, text=True,
                              timeout=300)
        statuses.append((step["name"], proc.returncode))
        assert KEY not in proc.stdout + proc.stderr
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if line)
        failed = failed or proc.returncode != 0
        if step["name"].startswith("Install"):
            assert proc.returncode == 0, proc.stderr[-2000:]
    return {"statuses": statuses, "outputs": outputs, "uploads": uploads, "summary": summary.read_text(),
            "report_dir": tmp / inputs["report-dir"], "site": site, "cwd": tmp}


def test_action_declares_its_inputs():
    assert set(ACTION["inputs"]) >= {"base-url", "model", "api-key", "headers", "expected-failures", "name"}
    assert "secret" in ACTION["inputs"]["api-key"]["description"]
    assert ACTION["runs"]["using"] == "composite"


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(faults=["wrong-first-event"]) as srv:
        yield srv


@pytest.fixture(scope="module")
def broken_run(server, tmp_path_factory):
    return run_action({"base-url": server.base_url, "model": "reference-echo", "api-key": KEY, "name": "ref-broken",
                       "headers": "X-Route: blue\n\nX-Team: conformance\n"}, tmp_path_factory.mktemp("action"))


def test_action_runs_summarises_uploads_and_fails_the_job(broken_run):
    got = broken_run
    # The install step installed the package with its data (templates, schemas), which the run step used.
    installed = got["site"] / "conformance"
    assert (installed / "report" / "templates" / "report.html.j2").is_file()
    assert (installed / "schemas_data" / "report.schema.json").is_file()
    # ...and left this venv's own install of the suite alone.
    assert list(Path(sysconfig.get_paths()["purelib"]).glob("responses_conformance-*.dist-info"))
    # The run step itself succeeds; the last step fails the job with the suite's status (1: a FAIL).
    assert got["outputs"]["run"] == {"exit-code": "1"}
    assert got["statuses"][-1] == ("Fail the job by the suite's exit status", 1)
    assert all(code == 0 for _, code in got["statuses"][:-1]), got["statuses"]
    # report.md went to the job summary, fix-this-first on top, named by the name input.
    assert got["summary"].startswith("# Responses API conformance: ref-broken")
    assert "## Fix this first" in got["summary"] and "stream.first-event-created" in got["summary"]
    # Its links resolve: report.html is not beside the job summary, so they go to the uploaded artifact.
    assert "](report.html" not in got["summary"]
    assert f"]({ARTIFACT_URL})" in got["summary"] and got["summary"].count(ARTIFACT_URL) > 1
    # The reports are uploaded under the target's name.
    (upload,) = got["uploads"]
    assert upload["name"] == "conformance-ref-broken"
    assert {p.name for p in (got["cwd"] / upload["path"]).iterdir()} >= {"report.json", "report.md", "report.html",
                                                                        "junit.xml"}
    report = json.loads((got["report_dir"] / "report.json").read_text())
    # The headers input reached the endpoint, one header a line (blank lines ignored).
    sent = next(r["evidence"]["exchange"]["request"]["headers"] for r in report["results"]
                if "exchange" in (r.get("evidence") or {}))
    assert {k.lower(): v for k, v in sent.items()}.items() >= {"x-route": "blue", "x-team": "conformance"}.items()
    for f in got["report_dir"].iterdir():
        assert KEY not in f.read_text(errors="replace"), f.name


def test_expected_failures_let_the_job_pass(server, broken_run, tmp_path):
    failing = {r["check_id"] for r in json.loads((broken_run["report_dir"] / "report.json").read_text())["results"]
               if r["verdict"] in ("FAIL", "ERROR")}
    expected = tmp_path / "expected.toml"
    expected.write_text("".join(f'[expected."{c}"]\nreason = "known"\n' for c in sorted(failing)))
    got = run_action({"base-url": server.base_url, "model": "reference-echo", "expected-failures": str(expected)},
                     tmp_path / "run")
    assert failing and got["outputs"]["run"] == {"exit-code": "0"}
    assert got["statuses"][-1] == ("Fail the job by the suite's exit status", 0)
    assert got["uploads"][0]["name"] == "conformance-report"


def test_without_an_artifact_url_the_summary_has_no_dead_links(server, tmp_path):
    got = run_action({"base-url": server.base_url, "model": "reference-echo"}, tmp_path, artifact_url="")
    assert "stream.first-event-created" in got["summary"] and "](report.html" not in got["summary"]
