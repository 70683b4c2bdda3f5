"""report.json against its schema, and what report.md, junit.xml and report.html contain."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.exchange import Transcript
from conformance.judge import judge_all
from conformance.recordings import load_file
from conformance.registry import all_checks
from conformance.report.model import Report
from conformance.report.writers import write_all
from conformance.verdicts import Level, Result, Verdict
from tests.test_report_support import catalog, make_report, result, sample_results, stream_exchange, write  # noqa: F401

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def validate(data: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


def test_write_all_writes_the_four_files(tmp_path: Path, catalog: None) -> None:
    paths = write(sample_results(), tmp_path)
    assert {p.name for p in paths.values()} == {"report.json", "report.md", "report.html", "junit.xml"}
    assert all(p.parent == tmp_path and p.stat().st_size > 0 for p in paths.values())


def test_report_json_matches_its_schema(tmp_path: Path, catalog: None) -> None:
    data = json.loads(write(sample_results(), tmp_path)["json"].read_text(encoding="utf-8"))
    validate(data)
    assert data["summary"] == {"PASS": 3, "FAIL": 1, "WARN": 1, "UNSUPPORTED": 1, "SKIP": 0, "ERROR": 1, "FLAKY": 0}
    assert data["checks"]["rtest.stream-order"]["requirement"].startswith("The first event")
    fail = next(r for r in data["results"] if r["verdict"] == "FAIL")
    assert fail["evidence"]["exchange"]["response"]["event_offsets_s"] == [0.1, 0.25, 0.5]
    assert fail["evidence"]["exchange"]["request"]["headers"]["authorization"] == "<redacted>"
    assert "exchange" not in next(r for r in data["results"] if r["verdict"] == "PASS")["evidence"]


def test_schema_rejects_a_broken_report(tmp_path: Path, catalog: None) -> None:
    data = json.loads(write(sample_results(), tmp_path)["json"].read_text(encoding="utf-8"))
    del data["summary"]["FLAKY"]
    with pytest.raises(jsonschema.ValidationError):
        validate(data)


def test_replayed_recordings_make_a_valid_report(recordings_dir: Path, tmp_path: Path) -> None:
    files = sorted((recordings_dir / "openai").glob("*.json"))[:40] + sorted((recordings_dir / "vendors").glob("*.json"))[:20]
    transcripts = [Transcript(str(f), [load_file(f)]) for f in files]
    report = Report({"name": "recordings", "base_url": None, "model": None}, judge_all(all_checks(), transcripts), mode="replay")
    paths = write_all(report, tmp_path)
    validate(json.loads(paths["json"].read_text(encoding="utf-8")))
    ET.parse(paths["junit"])


def test_markdown_lists_problems_by_area_and_aggregates_pass(tmp_path: Path, catalog: None) -> None:
    md = write(sample_results(), tmp_path)["md"].read_text(encoding="utf-8")
    assert "| 1 | 1 | 1 | 0 | 1 | 0 | 3 | 7 |" in md
    assert "### stream" in md and "### errors" in md and "### framing" in md
    assert "| **FAIL** | `rtest.stream-order` | stream-basic | first event is response.in_progress |" in md
    assert "<details><summary>FAIL rtest.stream-order" in md and "UNSUPPORTED is not a failure" in md
    assert "stream-tools" not in md  # PASS results are counted, not listed


def test_junit_maps_verdicts(tmp_path: Path, catalog: None) -> None:
    results = sample_results() + [Result("rtest.charset", Level.SHOULD, Verdict.FLAKY, "model-tier", "passed 2 of 3 trials", {}, "framing")]
    root = ET.parse(write(results, tmp_path)["junit"]).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "8" and suite.get("failures") == "1" and suite.get("errors") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["rtest.stream-order[stream-basic]"].get("classname") == "stream"
    assert cases["rtest.stream-order[stream-basic]"].find("failure") is not None
    assert cases["rtest.envelope[bad-request]"].find("error") is not None
    assert cases["rtest.store[store-retrieve]"].find("skipped") is not None
    warn = cases["rtest.charset[stream-basic]"]
    assert warn.find("failure") is None and "content type declares no charset" in (warn.findtext("system-out") or "")
    flaky = cases["rtest.charset[model-tier]"]
    assert flaky.find("properties/property").get("value") == "FLAKY" and flaky.find("failure") is None
    assert list(cases["rtest.stream-order[stream-tools]"]) == []


def test_junit_survives_control_characters(tmp_path: Path, catalog: None) -> None:
    r = result("rtest.envelope", Verdict.FAIL, "ctl", "bad \x00\x1b[31m byte \ud800")
    ET.parse(write([r], tmp_path)["junit"])


def test_html_shows_rule_source_and_evidence(tmp_path: Path, catalog: None) -> None:
    html = write(sample_results(), tmp_path)["html"].read_text(encoding="utf-8")
    assert "The first event of a stream is response.created." in html
    assert '<a href="https://example.org/spec#stream" rel="noreferrer">' in html
    assert "#0 +0.100s" in html and "#2 +0.500s" in html  # SSE transcript with event timings
    assert "<template id=" in html and "&#34;event_index&#34;: 0" in html
    assert "http://" not in html.replace('href="https://example.org', "").replace("http://127.0.0.1:8000/v1", "")


def test_thirty_thousand_results_stay_usable(tmp_path: Path, catalog: None) -> None:
    shared = [stream_exchange(label=f"s{i}") for i in range(20)]
    ids = list(CHECK_IDS)
    results = []
    for i in range(30_000):
        check_id = ids[i % len(ids)]
        verdict = Verdict.FAIL if i % 100 == 0 else Verdict.PASS
        results.append(result(check_id, verdict, f"recording-{i // len(ids):05d}.json", "bad" if verdict is Verdict.FAIL else "", shared[(i // 100) % 20] if verdict is Verdict.FAIL else None))
    t = time.monotonic()
    paths = write_all(make_report(results), tmp_path)
    assert time.monotonic() - t < 60
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count('<tr class="row"') == 300 + len(ids)  # one row per problem, one PASS row per check
    assert html.count("<template id=") == 20  # each exchange rendered once
    assert paths["md"].stat().st_size < 1_000_000  # GitHub's step summary limit
    assert "more | see report.html" in paths["md"].read_text(encoding="utf-8")


CHECK_IDS = ("rtest.stream-order", "rtest.envelope", "rtest.charset", "rtest.store")
