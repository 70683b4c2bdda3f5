"""`responses-conformance list`: the check catalog, and the README's check table, from the registry."""

from __future__ import annotations

import argparse
import json

from conformance.registry import Check, all_checks


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format")


def markdown_table(checks: list[Check]) -> str:
    lines = ["| ID | level | area | requirement | source |", "|---|---|---|---|---|"]
    for c in checks:
        req = c.requirement.replace("|", "\\|")
        src = c.source.replace("|", "\\|")
        lines.append(f"| `{c.id}` | {c.level.value} | {c.area} | {req} | {src} |")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    checks = all_checks()
    if args.format == "json":
        print(json.dumps([c.to_json() for c in checks], indent=2))
    elif args.format == "markdown":
        print(markdown_table(checks))
    else:
        width = max((len(c.id) for c in checks), default=10)
        for c in checks:
            whose = " (model-dependent: --checks model)" if c.model_dependent else ""
            print(f"{c.id:<{width}}  {c.level.value:<6}  {c.requirement}{whose}")
            print(f"{'':<{width}}  {'':<6}  source: {c.source}")
        print(f"\n{len(checks)} checks")
    return 0
