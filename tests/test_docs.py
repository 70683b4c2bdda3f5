"""Generated documentation stays in sync with the registry."""

from __future__ import annotations

from conformance import docgen
from conformance.catalog import markdown_table
from conformance.registry import all_checks


def test_readme_check_table_is_generated_from_the_registry():
    text = docgen.README.read_text(encoding="utf-8")
    assert docgen.render(text) == text, "README.md check table is stale: run python -m conformance.docgen"


def test_every_check_is_documented_in_the_catalog():
    checks = all_checks()
    table = markdown_table(checks)
    assert len(checks) >= 40
    for c in checks:
        assert f"`{c.id}`" in table
        assert c.requirement and c.source, c.id
        assert c.id == c.id.lower() and "." in c.id, c.id
