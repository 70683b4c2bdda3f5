"""The import contracts of pyproject.toml ([tool.importlinter]) hold: the layers, pure checks, a reference server
that knows no checks, and no import circles (docs/architecture.md draws them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The console script, installed next to this interpreter by the test extra.
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contracts_are_kept() -> None:
    assert LINT_IMPORTS.exists(), "import-linter is missing: pip install -e '.[test]'"
    # --no-cache: a cache left by an earlier run must not hide a new import
    proc = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout
