"""The README's and docs/'s commands run as written (issue 22).

Every command in a fenced block of README.md and docs/*.md is found (`$ ` prompts, `\\` continuations, `&&`
chains, trailing comments), then run with bash in a scratch folder, in the order its page gives, against the
embedded reference server or a stand-in for the user's endpoint: only the placeholders a reader fills in are
replaced (URL, the 8000 example port, the model, DIR). A command that cannot run here says why in SKIPPED,
and an entry of SKIPPED that matches no command fails the test, so neither list goes stale.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.reference.server import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOOLS = ("responses-conformance", "pytest", "python", "pip")
# Page blocks that are output or data, not commands.
NOT_SHELL = {"json", "toml", "yaml", "yml", "python", "text", "html", "mermaid"}

# command prefix -> why it does not run here. Each must match a command of the pages.
SKIPPED = {
    "pip install": "installs packages: this environment is the one it describes",
    "pytest\n": "the project's own test suite, of which this test is a part",
    "python benchmarks/checker.py throughput": "a benchmark: minutes of CPU on a shared machine",
    "python benchmarks/checker.py memory": "a benchmark: up to a million events, minutes of CPU",
    "python -m conformance.live.llamacpp": "starts llama.cpp's server (tests/test_llamacpp_*.py run it, -m llamacpp)",
    "responses-conformance run --base-url http://127.0.0.1:PORT/v1": "needs llama.cpp's server (docs/llamacpp.md)",
    "python -m conformance.servers.baseline": "installs vLLM and LiteLLM and runs three real servers for minutes, "
                                              "rewriting docs/compatibility/ (tests/test_realservers.py runs them)",
    "responses-conformance matrix --targets my.toml": "needs the reader's server in my.toml (tests/test_matrix.py "
                                                      "runs the command on saved reports)",
}


def commands(page: Path) -> list[str]:
    """The commands of a page's fenced blocks, in order, each a single line."""
    out: list[str] = []
    text = page.read_text(encoding="utf-8")
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if lang in NOT_SHELL or re.search("[─│└┘]", body):  # data, output, or a diagram
            continue
        prompt = lang == "console" or any(line.startswith("$ ") for line in body.splitlines())
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            line = line.strip()
            if prompt:
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
            if not line.startswith(TOOLS):
                continue
            for part in line.split(" && "):
                out.append(_without_comment(part.strip()))
    return out


def _without_comment(cmd: str) -> str:
    """The command without a trailing `  # comment`."""
    return re.sub(r"\s+#\s.*$", "", cmd)


def skipped(cmd: str) -> str | None:
    return next((why for prefix, why in SKIPPED.items() if (cmd + "\n").startswith(prefix)), None)


def all_commands() -> list[tuple[Path, str]]:
    return [(page, cmd) for page in PAGES for cmd in commands(page)]


def test_the_pages_have_commands_and_every_skip_matches_one() -> None:
    found = all_commands()
    assert len(found) >= 15, found
    unused = [prefix for prefix in SKIPPED if not any((cmd + "\n").startswith(prefix) for _, cmd in found)]
    assert not unused, f"SKIPPED entries that match no command any more: {unused}"


def _synopsis(cmd: str) -> bool:
    return "[--" in cmd


def _filled(cmd: str, server: ReferenceServer, recordings: Path) -> str:
    """The command with the reader's placeholders filled in: the stand-in endpoint, its model, a folder of
    recordings."""
    cmd = cmd.replace("http://127.0.0.1:8000/v1", server.base_url)
    cmd = re.sub(r"(--base-url )URL\b", rf"\g<1>{server.base_url}", cmd)
    cmd = re.sub(r"(--model )(M|my-model)\b", rf"\g<1>{server.model}", cmd)
    return re.sub(r"(\s)DIR\b", rf"\g<1>{recordings}", cmd)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # this venv's commands
    env["KEY"] = "sk-doc-commands-0000"
    env["PYTHONPATH"] = str(ROOT / "benchmarks")
    return env


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(token_delay=0.001) as srv:
        yield srv


def _pages_with_commands() -> list[Path]:
    return [page for page in PAGES if any(not skipped(c) for c in commands(page))]


@pytest.mark.slow
@pytest.mark.parametrize("page", _pages_with_commands(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_command_of_the_page_runs_as_written(page: Path, server: ReferenceServer, tmp_path: Path) -> None:
    """Each command in page order, in one scratch folder (a later command reads what an earlier one wrote, as
    in docs/recordings.md). A command passes when it ends in time without a traceback and with an exit status
    that means it ran: 0, or 1 (the suite found FAILs) for the commands that judge."""
    recordings = tmp_path / "recordings-made"
    made = subprocess.run([sys.executable, "-m", "conformance", "run", "--scenario", "basic.string-input",
                           "--scenario", "streaming.text", "--save-recordings", str(recordings),
                           "--report-dir", str(tmp_path / "made"), "-q"], capture_output=True, text=True,
                          timeout=300, env=_env(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    _reports_for_diff(tmp_path)
    (tmp_path / "benchmarks").symlink_to(ROOT / "benchmarks")  # the pages' commands run from a clone's root
    ran = 0
    for cmd in commands(page):
        if skipped(cmd):
            continue
        if _synopsis(cmd):
            _check_synopsis(cmd, tmp_path)
            ran += 1
            continue
        filled = _filled(cmd, server, recordings)
        proc = subprocess.run(["bash", "-c", filled], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                              env=_env(tmp_path), stdin=subprocess.DEVNULL)
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out, f"{filled}\n{out[-3000:]}"
        assert proc.returncode in (0, 1), f"{filled}: exit {proc.returncode}\n{out[-3000:]}"
        ran += 1
    assert ran


def _reports_for_diff(tmp: Path) -> None:
    """docs/ci.md's `diff reports/main/report.json reports/pr/report.json` compares two runs of a target."""
    for name in ("main", "pr"):
        subprocess.run([sys.executable, "-m", "conformance", "run", "--scenario", "basic.string-input",
                        "--report-dir", str(tmp / "reports" / name), "-q"], capture_output=True, timeout=300,
                       env=_env(tmp), cwd=tmp)


def _check_synopsis(cmd: str, tmp: Path) -> None:
    """A usage line (`serve [--host H] [--port P] ...`): each option it names is one the command takes."""
    words = shlex.split(cmd)
    sub = [w for w in words[1:] if not w.startswith(("[", "-"))][:1]
    proc = subprocess.run([sys.executable, "-m", "conformance", *sub, "--help"], capture_output=True, text=True,
                          timeout=120, env=_env(tmp))
    assert proc.returncode == 0, proc.stderr
    for option in re.findall(r"--[a-z][a-z-]*", cmd):
        assert option in proc.stdout, f"{cmd}: {option} is not an option of {' '.join(words[:1] + sub)}"
