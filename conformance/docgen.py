"""Regenerate the generated sections of README.md (`python -m conformance.docgen`); tests call check()."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conformance.catalog import markdown_table
from conformance.registry import all_checks

README = Path(__file__).resolve().parent.parent / "README.md"


def _replace(text: str, marker: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {marker} -->\n).*?(<!-- /{marker} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"README.md has no <!-- {marker} --> section")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def render(text: str) -> str:
    return _replace(text, "checks", markdown_table(all_checks()))


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        if new != text:
            print("README.md check table is stale: run python -m conformance.docgen", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
