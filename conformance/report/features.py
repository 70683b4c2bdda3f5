"""The feature-support table that opens every report and the compare page: per feature (a family of
scenarios), whether the target supports it, refuses it cleanly, or breaks it; then one row per cross-cutting rule
(the error envelope, the response schemas, ...).

Derived from report.json results alone (scenario ids, check areas), so it works for live runs and for compare
alike. A feature's cell is decided by **its own checks** (their area), never by a cross-cutting rule that also
judged its traffic: an endpoint whose every error body has the wrong shape breaks the "error envelope" row once,
not every feature whose scenarios met an error.

A row is **broken** when one of its results is a FAIL the endpoint owns (a protocol rule, or a model-dependent
check that failed every one of at least CONFIRM_TRIALS trials), **unsupported** when the endpoint refused the
feature cleanly (an UNSUPPORTED result) and nothing broke, **supported** when its results PASS (WARN, FLAKY and a
model-dependent FAIL over too few trials are noted in the detail), and **not judged** when nothing could be
judged (only SKIP/ERROR, or not run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, NamedTuple

from conformance.report.common import CONFIRM_TRIALS, is_model_dependent, trials_of


class Feature(NamedTuple):
    name: str
    what: str
    scenarios: tuple[str, ...]  # scenario ids: a prefix ending in "." names a family, "" every scenario
    areas: tuple[str, ...]  # the check areas that decide the row (the feature's own checks)
    kind: str = "feature"  # "feature" (optional, vendors differ) or "rule" (cross-cutting, judged on all traffic)


# Optional features and the API surface vendors differ on, then the cross-cutting rules.
FEATURES: tuple[Feature, ...] = (
    Feature("streaming", "stream: true (SSE) and its event grammar", ("",), ("streaming", "stream")),
    Feature("storage", "retrieve, delete, input_items", ("storage.",), ("storage",)),
    Feature("previous_response_id", "multi-turn through stored responses",
            ("multi_turn.previous-response-id", "multi_turn.instructions-not-inherited",
             "multi_turn.unstored-previous-response"), ("multi_turn",)),
    Feature("background", "background mode, cancel, resume", ("background.",), ("background",)),
    Feature("tools", "function calling", ("tools.",), ("tools",)),
    Feature("structured output", "text.format json_schema / json_object", ("json_mode.",), ("json_mode",)),
    Feature("WebSocket mode", "responses.connect", ("websocket.",), ("websocket",)),
    Feature("compact", "POST /responses/compact", ("compact.",), ("compact",)),
    Feature("input_tokens", "POST /responses/input_tokens", ("input_tokens.",), ("input_tokens",)),
    Feature("conversations", "conversation + Conversations API", ("conversations.",), ("conversations",)),
    Feature("image input", "input_image", ("inputs.image",), ("inputs",)),
    Feature("file input", "input_file", ("inputs.file",), ("inputs",)),
    Feature("concurrent requests", "six requests at once", ("concurrency.",), ("concurrency",)),
    Feature("reasoning", "reasoning items, summaries, encrypted reasoning passed back", ("reasoning.",),
            ("reasoning",)),
    Feature("error envelope", "every 4xx/5xx: {error: {message, type, param, code}}", ("",), ("errors",), "rule"),
    Feature("response schemas", "every Response, item and event against the SDK's types", ("",), ("schema",),
            "rule"),
    Feature("HTTP framing", "content types, SSE framing, JSON bodies", ("",), ("framing",), "rule"),
    Feature("ids and usage", "ids safe in URLs; token usage reported", ("",), ("ids", "usage"), "rule"),
)
STATUSES = ("supported", "unsupported", "broken", "not judged")


@dataclass(frozen=True)
class FeatureRow:
    feature: str
    what: str
    status: str  # one of STATUSES
    detail: str  # verdict counts, e.g. "14 PASS, 1 WARN"
    kind: str = "feature"  # Feature.kind


def _matches(scenario: str, prefixes: tuple[str, ...]) -> bool:
    """A prefix ending in "." names a family, "" every scenario; any other names one scenario (or its trials)."""
    return any(scenario.startswith(p) if p.endswith(".") or not p else scenario == p for p in prefixes)


def _area(result: Mapping[str, Any]) -> str:
    return str(result.get("area") or str(result.get("check_id", "")).split(".", 1)[0])


def feature_row(feature: Feature, results: Iterable[Mapping[str, Any]]) -> FeatureRow:
    """One row: the verdicts of the feature's own checks on its scenarios."""
    counts: dict[str, int] = {}
    model_fails = 0  # model-dependent FAILs over too few trials to be the endpoint's
    for r in results:
        if _area(r) not in feature.areas or not _matches(str(r.get("scenario", "")), feature.scenarios):
            continue
        verdict = r["verdict"]
        if verdict == "FAIL" and is_model_dependent(r) and trials_of(r) < CONFIRM_TRIALS:
            model_fails += 1
            continue
        counts[verdict] = counts.get(verdict, 0) + 1
    if counts.get("FAIL"):
        status = "broken"
    elif counts.get("UNSUPPORTED"):
        status = "unsupported"
    elif counts.get("PASS") or counts.get("WARN") or counts.get("FLAKY"):
        status = "supported"
    else:
        status = "not judged"
    order = ("FAIL", "UNSUPPORTED", "WARN", "FLAKY", "ERROR", "SKIP", "PASS")
    parts = [f"{counts[v]} {v}" for v in order if counts.get(v)]
    if model_fails:
        parts.insert(0, f"{model_fails} FAIL of a model-dependent check (the model's, maybe: --trials {CONFIRM_TRIALS})")
    return FeatureRow(feature.name, feature.what, status, ", ".join(parts) or "not run", feature.kind)


def feature_rows(results: Iterable[Mapping[str, Any]]) -> list[FeatureRow]:
    """Every row of FEATURES, in order, for one report's results."""
    results = list(results)
    return [feature_row(f, results) for f in FEATURES]


def _status_cell(row: FeatureRow) -> str:
    return f"**{row.status}**" if row.status == "broken" else row.status


def features_markdown(results: Iterable[Mapping[str, Any]]) -> list[str]:
    """The report.md block: one row per feature, then one per cross-cutting rule."""
    out = ["## Features", "", "Each row is decided by its own checks; a cross-cutting rule broken everywhere shows "
           "once, in its own row.", "", "| feature | | support | results |", "|---|---|---|---|"]
    for row in feature_rows(results):
        out.append(f"| {row.feature} | {row.what} | {_status_cell(row)} | {row.detail} |")
    return out + [""]


def compare_features_markdown(labels: list[str], per_target: list[list[FeatureRow]]) -> list[str]:
    """The compare.md block: features as rows, targets as columns."""
    out = ["## Features", "", "| feature | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for i, feature in enumerate(FEATURES):
        out.append(f"| {feature.name} | " + " | ".join(_status_cell(rows[i]) for rows in per_target) + " |")
    return out + [""]
