"""Generate docs/checks.md, the check catalogue, from the registry (`python -m conformance.docgen`).

tests/test_docs.py fails while the file differs from what this renders.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from conformance.catalog import markdown_table
from conformance.registry import all_checks

CHECKS_DOC = Path(__file__).resolve().parent.parent / "docs" / "checks.md"


def render() -> str:
    checks = all_checks()
    levels = Counter(c.level.value for c in checks)
    areas = sorted({c.area for c in checks})
    out = [
        "# Checks",
        "",
        "Generated from the registry by `python -m conformance.docgen`; do not edit by hand. "
        "`responses-conformance list` prints the same catalogue.",
        "",
        f"{len(checks)} checks: " + ", ".join(f"{levels[lv]} {lv}" for lv in ("MUST", "SHOULD", "INFO") if levels[lv])
        + ". A MUST check that is broken gives FAIL, a SHOULD check WARN; [rules.md](rules.md) explains the verdicts "
        "and the rules behind each source, [scenarios.md](scenarios.md) the traffic that feeds them.",
        "",
        "Areas: " + ", ".join(f"[{a}](#{a})" for a in areas) + ".",
        "",
    ]
    for area in areas:
        out += [f"## {area}", "", markdown_table([c for c in checks if c.area == area]), ""]
    return "\n".join(out)


def main() -> int:
    new = render()
    if "--check" in sys.argv:
        if not CHECKS_DOC.is_file() or CHECKS_DOC.read_text(encoding="utf-8") != new:
            print("docs/checks.md is stale: run python -m conformance.docgen", file=sys.stderr)
            return 1
        return 0
    CHECKS_DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
