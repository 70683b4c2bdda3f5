"""report.html in headless Chromium: what it shows, its filters, its evidence, and that no endpoint
script runs. CI installs Chromium with `apt-get install -y chromium`."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.cli import main as cli_main
from conformance.report.common import DISPLAY_ORDER as ALL
from tests.test_report_security import PAYLOAD, hostile_results
from tests.test_report_support import catalog, sample_results, write  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SHOT = Path(__file__).resolve().parent.parent / "docs" / "report-screenshot.png"
# Without these Chromium contacts Google's services at start-up; the sandbox needs privileges CI lacks.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=3000",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)"),
]
_profiles = itertools.count()


def chromium(args: list[str], profile_root: Path) -> str:
    profile = profile_root / f"profile-{next(_profiles)}"
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class Dom(HTMLParser):
    """The bits of the rendered DOM the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str | None]] = {}  # tr.row by id (or "pass:<check>")
        self.checks: dict[str, bool] = {}  # article id -> hidden
        self.ids: dict[str, str] = {}  # text of elements with an id
        self.title = ""
        self._stack: list[tuple[str, str | None]] = []
        self._article = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "article":
            self._article = a.get("id") or ""
            self.checks[self._article] = "hidden" in a
        if tag == "tr" and "row" in (a.get("class") or "").split():
            self.rows[a.get("id") or f"pass:{self._article}"] = a
        if tag not in ("meta", "br", "input", "img", "link"):
            self._stack.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1][0] == "title":
            self.title += data
        for _, el_id in self._stack:
            if el_id:
                self.ids[el_id] = self.ids.get(el_id, "") + data


def visible(row: dict[str, str | None]) -> bool:
    return "hidden" not in row


@pytest.fixture
def report_html(tmp_path: Path, catalog: None) -> Path:
    return write(sample_results(), tmp_path / "report")["html"]


def test_opens_on_problems_and_all_rows_on_request(report_html: Path, tmp_path: Path) -> None:
    dom = Dom(chromium(["--dump-dom", report_html.as_uri()], tmp_path))
    assert dom.title == "Conformance report: demo"
    assert {v: dom.ids[f"n-{v}"] for v in ("FAIL", "ERROR", "WARN", "UNSUPPORTED", "SKIP", "PASS")} == {
        "FAIL": "1", "ERROR": "1", "WARN": "1", "UNSUPPORTED": "1", "SKIP": "0", "PASS": "3"
    }
    assert dom.ids["shown"] == "showing 3 of 7 results"
    assert sorted(r["data-verdict"] for r in dom.rows.values() if visible(r)) == ["ERROR", "FAIL", "WARN"]
    everything = Dom(chromium(["--dump-dom", report_html.as_uri() + "#verdict=" + ",".join(ALL)], tmp_path))
    assert everything.ids["shown"] == "showing 7 of 7 results"
    assert all(visible(r) for r in everything.rows.values())


def test_filter_by_fail_hides_pass_rows(report_html: Path, tmp_path: Path) -> None:
    dom = Dom(chromium(["--dump-dom", report_html.as_uri() + "#verdict=FAIL"], tmp_path))
    shown = {k: r["data-verdict"] for k, r in dom.rows.items() if visible(r)}
    assert list(shown.values()) == ["FAIL"]
    assert any(r["data-verdict"] == "PASS" and not visible(r) for r in dom.rows.values())
    assert dom.checks == {"c-rtest.stream-order": False, "c-rtest.envelope": True, "c-rtest.charset": True, "c-rtest.store": True}
    assert dom.ids["shown"] == "showing 1 of 7 results"


def test_filter_by_area(report_html: Path, tmp_path: Path) -> None:
    dom = Dom(chromium(["--dump-dom", report_html.as_uri() + "#area=errors&verdict=" + ",".join(ALL)], tmp_path))
    assert [c for c, hidden in dom.checks.items() if not hidden] == ["c-rtest.envelope"]
    assert dom.ids["shown"] == "showing 2 of 7 results"


def test_opened_evidence_shows_request_stream_timings_and_rule(report_html: Path, tmp_path: Path) -> None:
    dom_text = chromium(["--dump-dom", report_html.as_uri() + "#open=r0"], tmp_path)
    dom = Dom(dom_text)
    row = dom.ids["r0"]
    assert "rule broken (MUST): The first event of a stream is response.created." in row
    assert "source: docs/rules.md#stream-grammar; https://example.org/spec#stream" in row
    assert "POST /v1/responses" in row and "<redacted>" in row  # the request, secrets redacted
    assert "#0 +0.100s" in row and "#2 +0.500s" in row and "event: response.in_progress" in row  # raw SSE with timings
    assert '"event_index": 0' in row
    # The event the check points at is highlighted in the raw stream, and only that event.
    hit = re.findall(r'<span class="l hit" data-e="(\d+)">', dom_text)
    assert hit and set(hit) == {"0"}


def test_endpoint_script_never_runs(tmp_path: Path, catalog: None) -> None:
    html = write(hostile_results(), tmp_path / "report", name="hostile")["html"]
    for fragment in ("", "#open=r0", "#open=r1", "#open=r2"):
        dom_text = chromium(["--dump-dom", html.as_uri() + fragment], tmp_path)
        dom = Dom(dom_text)
        assert dom.title == "Conformance report: hostile", fragment
        assert "PWNED" not in dom.title
        assert "<img" not in dom_text and "<svg" not in dom_text
    # The payload was rendered, as text, inside the opened evidence (response header, SSE, body).
    assert dom.ids["r2"].count(PAYLOAD) >= 3


def test_screenshot_refreshes_the_docs(tmp_path: Path) -> None:
    """docs/report-screenshot.png: a real run (the reference server imitating llama.cpp), as report.html opens."""
    report_dir = tmp_path / "report"
    assert cli_main(["run", "--profile", "llamacpp", "--name", "llama.cpp-like", "--report-dir", str(report_dir),
                     "-q"]) == 1
    png = tmp_path / "shot.png"
    chromium(["--window-size=1280,1100", "--hide-scrollbars", f"--screenshot={png}", (report_dir / "report.html").as_uri()],
             tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    shutil.copyfile(png, DOCS_SHOT)
