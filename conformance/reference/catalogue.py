"""Look-up of faults and profiles by name, and the Markdown catalogue in docs/faults.md."""

from __future__ import annotations

from typing import Sequence

from conformance.reference.faults import FAULTS, Fault
from conformance.reference.hooks import Hooks, compose
from conformance.reference.profiles import PROFILES


class UnknownName(ValueError):
    """A --fault or --profile name that does not exist; the message lists the valid ones."""


def resolve_hooks(faults: Sequence[str] = (), profile: str | None = None) -> Hooks:
    unknown = [name for name in faults if name not in FAULTS]
    if unknown:
        raise UnknownName(f"unknown fault {', '.join(map(repr, unknown))}; valid faults: {', '.join(sorted(FAULTS))}")
    if profile is not None and profile not in PROFILES:
        raise UnknownName(f"unknown profile {profile!r}; valid profiles: {', '.join(sorted(PROFILES))}")
    parts = PROFILES[profile].new_hooks() if profile else []
    parts += [FAULTS[name].new_hooks() for name in faults]
    return compose(parts)


def faults_markdown(caught_by: dict[str, list[str]] | None = None) -> str:
    """docs/faults.md. `caught_by` maps a fault name to the check ids that detect it (the kill matrix)."""
    caught_by = caught_by or {}
    lines = [
        "# Faults and profiles of the reference server",
        "",
        "Generated from `conformance/reference/faults/` and `profiles.py` by",
        "`conformance.reference.catalogue.faults_markdown()`; `tests/test_reference_faults.py` fails when this",
        "file is stale. Run one with `responses-conformance serve --fault NAME` (repeatable) or",
        "`--profile NAME`. The last column is filled by the kill-matrix test.",
        "",
        "## Faults",
        "",
        "| fault | what the server does | reproduces | caught by |",
        "|---|---|---|---|",
    ]
    for fault in sorted(FAULTS.values(), key=_order):
        caught = ", ".join(f"`{c}`" for c in caught_by.get(fault.name, []))
        lines.append(f"| `{fault.name}` | {fault.description} | {fault.deviation} | {caught} |")
    lines += ["", "## Profiles", "", "| profile | behaviour | bundles |", "|---|---|---|"]
    for profile in PROFILES.values():
        bundled = ", ".join(f"`{name}`" for name in profile.faults) or "—"
        lines.append(f"| `{profile.name}` | {profile.description} | {bundled} |")
    return "\n".join(lines) + "\n"


def _order(fault: Fault) -> tuple[bool, str]:
    return (fault.deviation == "synthetic", fault.name)
