"""The wheel must carry every subpackage and the schemas (the package list in pyproject.toml is explicit)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "conformance").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert "conformance.schemas_data" in listed


def test_schema_files_match_the_package_data_globs():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "conformance.schemas_data"
    ]
    covered = {p for g in globs for p in (ROOT / "schemas").glob(g)}
    every = {p for p in (ROOT / "schemas").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert every <= covered, sorted(str(p) for p in every - covered)
