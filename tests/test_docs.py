"""The documentation: generated parts current, every id it names real, every relative link resolving."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import docgen
from conformance.catalog import markdown_table
from conformance.live.scenario import all_scenarios
from conformance.registry import all_checks

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CHECK_IDS = {c.id for c in all_checks()}
SCENARIO_IDS = {s.id for s in all_scenarios()}
# A dotted id in backticks whose first part is a check area or a scenario family must name a real one. Ids use
# hyphens after the dot, so JSON paths such as `usage.total_tokens` are not taken for ids.
FAMILIES = {i.split(".", 1)[0] for i in CHECK_IDS | SCENARIO_IDS}
_TICKED = re.compile(r"`([a-z_]+\.[a-z0-9][a-z0-9-]*)(?:::([a-z_]+\.[a-z0-9][a-z0-9-]*))?`")
_FILE = re.compile(r"\.(py|md|json|toml|ya?ml|html|js|css|txt|xml|ini)$")  # `websocket.py` is a file, not an id
_TOML_ID = re.compile(r'^\[expected\."([^"]+)"\]|^\s*scenarios\s*=\s*\[([^\]]*)\]', re.M)
_LINK = re.compile(r"\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


def test_check_catalogue_is_generated_from_the_registry():
    assert docgen.CHECKS_DOC.read_text(encoding="utf-8") == docgen.render(), (
        "docs/checks.md is stale: run python -m conformance.docgen")


def test_every_check_is_documented_in_the_catalog():
    checks = all_checks()
    table = markdown_table(checks)
    assert len(checks) >= 40
    for c in checks:
        assert f"`{c.id}`" in table
        assert c.requirement and c.source, c.id
        assert c.id == c.id.lower() and "." in c.id, c.id


def test_check_sources_cite_public_urls_or_the_projects_docs():
    """A user has neither the design notes nor ../shared: sources must not point there."""
    bad = {c.id: c.source for c in all_checks() if "DESIGN" in c.source or "../shared" in c.source}
    assert not bad, bad
    # Every anchor a source gives into docs/ exists.
    for c in all_checks():
        for doc, anchor in re.findall(r"docs/([\w-]+\.md)#([\w-]+)", c.source):
            assert anchor in anchors(ROOT / "docs" / doc), f"{c.id}: docs/{doc}#{anchor} has no such heading"


def named_ids(text: str) -> set[str]:
    ids = set()
    for a, b in _TICKED.findall(text):
        ids |= {i for i in (a, b) if i and i.split(".", 1)[0] in FAMILIES and not _FILE.search(i)}
    for key, scenarios in _TOML_ID.findall(text):
        ids |= {key} if key else set(re.findall(r'"([^"]+)"', scenarios))
    return ids


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_id_the_docs_name_exists(doc: Path):
    unknown = sorted(named_ids(doc.read_text(encoding="utf-8")) - CHECK_IDS - SCENARIO_IDS)
    assert not unknown, f"{doc.name} names ids that are neither checks nor scenarios: {unknown}"


def anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to -."""
    heads = re.findall(r"^#+\s+(.*)$", doc.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path):
    for a, b in _LINK.findall(doc.read_text(encoding="utf-8")):
        link = a or b
        if re.match(r"[a-z]+:", link):
            continue  # http(s), mailto: not checked offline
        path, _, anchor = link.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        assert target.exists(), f"{doc.name}: link {link!r} points at nothing"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), f"{doc.name}: link {link!r}: no such heading"


def test_readme_is_a_first_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 15_000
    # The test command it gives is exactly the one CI runs.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert f"```bash\n{ci}\n```" in readme
    assert 'pytest -m "not slow"' in readme


def test_the_id_finder_catches_wrong_ids():
    text = ('`storage.retrieve-after-create` and `stream.sequence-number`, `stream.py`\n[expected."x.y"]\n'
            'scenarios = ["store-retrieve"]')
    assert named_ids(text) - CHECK_IDS - SCENARIO_IDS == {"storage.retrieve-after-create", "x.y", "store-retrieve"}
