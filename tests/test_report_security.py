"""Nothing the endpoint sends becomes markup in a report, and no registered secret reaches any output."""

from __future__ import annotations

import argparse
import html as html_lib
import io
import json
import re
from pathlib import Path

import pytest

from conformance import redact
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.report import compare, diff, gate
from conformance.report.console import ConsoleReporter
from conformance.report.writers import write_all
from conformance.verdicts import Verdict
from tests.test_report_support import catalog, make_report, result, write  # noqa: F401

# Each piece would set the page title if it ever ran.
PAYLOAD = (
    '</script><script>document.title="PWNED-script"</script>'
    "<img src=x onerror=\"document.title='PWNED-img'\">"
    "<svg onload=\"document.title='PWNED-svg'\"></svg></template></pre>]]>"
)


def hostile_exchange() -> Exchange:
    sse = (
        f'event: response.created\ndata: {json.dumps({"type": "response.created", "x": PAYLOAD})}\n\n'
        f": {PAYLOAD}\n\n"
        f"event: {PAYLOAD}\ndata: {PAYLOAD}\n\n"
    )
    return Exchange(
        request=RecordedRequest("POST", "/v1/responses", {"x-custom": PAYLOAD}, {"input": PAYLOAD}, {"q": PAYLOAD}),
        response=RecordedResponse(200, {"x-echo": PAYLOAD, "content-type": "text/event-stream"}, None, sse, PAYLOAD),
        label=PAYLOAD,
        source=PAYLOAD,
        notes=[PAYLOAD],
        event_offsets=[0.1, 0.2],
        transport_error=PAYLOAD,
    )


def hostile_results() -> list:
    ex = hostile_exchange()
    body_ex = Exchange(
        RecordedRequest("POST", "/v1/responses"),
        RecordedResponse(400, {"content-type": "application/json"}, {"error": {"message": PAYLOAD, PAYLOAD: 1}}),
    )
    return [
        result("rtest.stream-order", Verdict.FAIL, "hostile", f"got {PAYLOAD}", ex, got=PAYLOAD, step=PAYLOAD),
        result("rtest.envelope", Verdict.FAIL, PAYLOAD, PAYLOAD, body_ex, **{PAYLOAD: PAYLOAD}),
        result("rtest.charset", Verdict.WARN, "hostile", PAYLOAD, ex),
        result("rtest.store", Verdict.PASS, PAYLOAD),
    ]


def assert_inert(html: str) -> None:
    """The only elements in the file are ours: the payload survives only as escaped text."""
    assert html.count("<script") == 1  # our own script, at the end
    assert "<img" not in html and "<svg" not in html
    assert not re.search(r"<[^>]*\bon(error|load)\s*=", html)
    assert "PWNED" in html  # the payload is shown, as text
    assert "&lt;script&gt;document.title=" in html or "&lt;/script&gt;&lt;script&gt;" in html


def test_html_escapes_everything_from_the_endpoint(tmp_path: Path, catalog: None) -> None:
    html = write(hostile_results(), tmp_path, name=PAYLOAD)["html"].read_text(encoding="utf-8")
    assert_inert(html)
    # The CSP admits only our script and style, by hash: even an injected script could not run.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    policy = html_lib.unescape(csp.group(1)) if csp else ""
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy and "unsafe-inline" not in policy


def test_markdown_and_junit_keep_the_payload_inert(tmp_path: Path, catalog: None) -> None:
    paths = write(hostile_results(), tmp_path, name=PAYLOAD)
    md = paths["md"].read_text(encoding="utf-8")
    outside_fences = re.sub(r"(`{3,})json\n.*?\n\1", "", md, flags=re.S)
    assert "<script" not in outside_fences and "<img" not in outside_fences and "<svg" not in outside_fences
    junit = paths["junit"].read_text(encoding="utf-8")
    assert "<script" not in junit and "<img" not in junit


def test_compare_html_escapes(tmp_path: Path, catalog: None) -> None:
    reports = [str(write(hostile_results(), tmp_path / str(i), name=PAYLOAD)["json"]) for i in range(3)]
    assert compare.main(argparse.Namespace(reports=reports, out=str(tmp_path / "cmp"))) == 0
    html = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    assert html.count("<script") == 1 and "<img" not in html and "<svg" not in html
    md = (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8")
    assert "<script" not in md and "<img" not in md


KEY = "sk-test-9f8e7d6c5b4a39281706"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(redact, "_SECRET_VALUES", set())
    redact.register_secret(KEY)
    return KEY


def echoing_results(key: str) -> list:
    """An endpoint that echoes the key everywhere it can."""
    sse = f'event: response.failed\ndata: {{"type":"response.failed","error":{{"message":"bad key {key}"}}}}\n\n'
    ex = Exchange(
        RecordedRequest("POST", "/v1/responses", {"authorization": f"Bearer {key}", "x-api-key": key, "x-other": key}, {"user": key}),
        RecordedResponse(401, {"x-echo-authorization": f"Bearer {key}", "www-authenticate": key}, {"error": {"message": f"Incorrect API key provided: {key}"}}, sse, key),
        label="create",
        notes=[key],
        event_offsets=[0.1],
    )
    return [
        result("rtest.envelope", Verdict.FAIL, f"scenario-{key}", f"the endpoint said {key}", ex, echoed=key),
        result("rtest.charset", Verdict.WARN, "s", key, ex),
        result("rtest.stream-order", Verdict.PASS, "s", key),
    ]


def test_the_api_key_is_in_no_output_file(tmp_path: Path, catalog: None, secret: str) -> None:
    reports = []
    for i in range(3):
        report = make_report(echoing_results(secret), name=f"t{i}")
        report.target["base_url"] = f"http://127.0.0.1/v1?key={secret}"
        report.notes.append(f"endpoint said {secret}")
        write_all(report, tmp_path / f"r{i}")
        reports.append(str(tmp_path / f"r{i}" / "report.json"))
    assert compare.main(argparse.Namespace(reports=reports, out=str(tmp_path / "cmp"))) == 0
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"report.json", "report.md", "report.html", "junit.xml", "compare.html", "compare.md"}
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert secret not in text, p
        assert secret[3:] not in text, p
    assert "<redacted>" in (tmp_path / "r0" / "report.json").read_text(encoding="utf-8")


def test_the_api_key_is_not_printed(tmp_path: Path, catalog: None, secret: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = make_report(echoing_results(secret))
    err, out = io.StringIO(), io.StringIO()
    console = ConsoleReporter(err=err, out=out)
    console.start(len(report.results))
    for r in report.results:
        console.advance(r)
    console.finish(report, tmp_path)
    ConsoleReporter(quiet=True, err=err, out=out).finish(report, tmp_path)
    old = write_all(make_report([]), tmp_path / "old")["json"]
    new = write_all(report, tmp_path / "new")["json"]
    _, lines = gate.exit_status(report)
    diff.main(argparse.Namespace(old=str(old), new=str(new)))
    printed = err.getvalue() + out.getvalue() + "\n".join(lines) + capsys.readouterr().out
    assert "rtest.envelope" in printed
    assert secret not in printed
