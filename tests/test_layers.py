"""The layout holds: the import contracts of pyproject.toml ([tool.importlinter]: the layers, pure checks, a
reference server that knows no checks, no import circles), and one name per family in every package
(docs/architecture.md)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

from conformance.live.scenario import all_scenarios
from conformance.reference import faults
from conformance.registry import all_checks

ROOT = Path(__file__).resolve().parent.parent
# The console script, installed next to this interpreter by the test extra.
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contracts_are_kept() -> None:
    assert LINT_IMPORTS.exists(), "import-linter is missing: pip install -e '.[test]'"
    # --no-cache: a cache left by an earlier run must not hide a new import
    proc = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


# The modules named after a rule rather than a scenario family; checks/common.py and faults/base.py hold helpers.
CROSS_CUTTING = {"schema", "stream", "framing", "errors", "ids", "usage", "run"}


def _modules(package: str) -> set[str]:
    return {m.name for m in pkgutil.iter_modules([str(ROOT / package)])}


def test_a_family_has_one_name_everywhere() -> None:
    families = {s.family for s in all_scenarios()}
    assert all(s.func.__module__ == f"conformance.live.scenarios.{s.family}" for s in all_scenarios())
    assert families <= _modules("conformance/checks"), "a family without checks/<family>.py"
    suite = {m for m in _modules("conformance/suite") if m.startswith("test_")}
    assert suite == {f"test_{f}" for f in families}
    for check in all_checks():
        if check.scope == "transcript":
            assert check.func.__module__ == f"conformance.checks.{check.area}", check.id
    assert _modules("conformance/checks") == families | CROSS_CUTTING | {"common"}


def test_every_fault_module_is_a_family_a_rule_or_the_vendors() -> None:
    families = {s.family for s in all_scenarios()}
    modules = _modules("conformance/reference/faults") - {"base"}
    assert modules <= families | CROSS_CUTTING | {"vendors"}
    assert {m.__name__.rsplit(".", 1)[1] for m in faults._MODULES} == modules, "a fault module missing from _MODULES"
