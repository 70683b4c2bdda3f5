"""The feature-support table that opens every report and the compare page: per feature (a family of
scenarios), whether the target supports it, refuses it cleanly, or breaks it.

Derived from report.json results alone (scenario ids), so it works for live runs and for compare alike.
A feature is **broken** when any of its results is FAIL, **unsupported** when the endpoint refused it cleanly
(an UNSUPPORTED result) and nothing FAILed, **supported** when its results PASS (WARN and FLAKY noted), and
**not judged** when nothing could be judged (only SKIP/ERROR, or not run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

# (feature, what it is, scenario id prefixes). Optional features and the API surface vendors differ on.
FEATURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("streaming", "stream: true (SSE)", ("streaming.",)),
    ("storage", "retrieve, delete, input_items", ("storage.",)),
    ("previous_response_id", "multi-turn through stored responses", ("multi_turn.previous-response-id",
                                                                       "multi_turn.instructions-not-inherited")),
    ("background", "background mode, cancel, resume", ("background.",)),
    ("tools", "function calling", ("tools.",)),
    ("structured output", "text.format json_schema / json_object", ("json_mode.",)),
    ("WebSocket mode", "responses.connect", ("websocket.",)),
    ("compact", "POST /responses/compact", ("compact.",)),
    ("input_tokens", "POST /responses/input_tokens", ("input_tokens.",)),
    ("conversations", "conversation + Conversations API", ("conversations.",)),
    ("image input", "input_image", ("inputs.image",)),
    ("file input", "input_file", ("inputs.file",)),
    ("concurrent requests", "six requests at once", ("concurrency.",)),
    ("reasoning", "reasoning items, summaries, encrypted reasoning passed back", ("reasoning.",)),
)
STATUSES = ("supported", "unsupported", "broken", "not judged")


@dataclass(frozen=True)
class FeatureRow:
    feature: str
    what: str
    status: str  # one of STATUSES
    detail: str  # verdict counts, e.g. "14 PASS, 1 WARN"


def _matches(scenario: str, prefixes: tuple[str, ...]) -> bool:
    """A prefix ending in "." names a family; any other names one scenario (or its trials)."""
    return any(scenario.startswith(p) if p.endswith(".") else scenario == p for p in prefixes)


def feature_rows(results: Iterable[Mapping[str, Any]]) -> list[FeatureRow]:
    results = list(results)
    rows = []
    for feature, what, prefixes in FEATURES:
        counts: dict[str, int] = {}
        for r in results:
            if _matches(str(r.get("scenario", "")), prefixes):
                counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        if counts.get("FAIL"):
            status = "broken"
        elif counts.get("UNSUPPORTED"):
            status = "unsupported"
        elif counts.get("PASS") or counts.get("WARN") or counts.get("FLAKY"):
            status = "supported"
        else:
            status = "not judged"
        order = ("FAIL", "UNSUPPORTED", "WARN", "FLAKY", "ERROR", "SKIP", "PASS")
        detail = ", ".join(f"{counts[v]} {v}" for v in order if counts.get(v)) or "not run"
        rows.append(FeatureRow(feature, what, status, detail))
    return rows


def features_markdown(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """The report.md block: one row per feature."""
    out = ["## Features", "", "| feature | | support | results |", "|---|---|---|---|"]
    for row in feature_rows(results):
        status = f"**{row.status}**" if row.status == "broken" else row.status
        out.append(f"| {row.feature} | {row.what} | {status} | {row.detail} |")
    return out + [""]


def compare_features_markdown(labels: list[str], per_target: list[list[FeatureRow]]) -> list[str]:
    """The compare.md block: features as rows, targets as columns."""
    out = ["## Features", "", "| feature | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for i, (feature, _, _) in enumerate(FEATURES):
        cells = [rows[i].status if rows[i].status != "broken" else "**broken**" for rows in per_target]
        out.append(f"| {feature} | " + " | ".join(cells) + " |")
    return out + [""]
