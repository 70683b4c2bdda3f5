"""Levels, verdicts, what a check returns (Outcome) and what the suite reports (Result)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


class Level(str, enum.Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    INFO = "INFO"


class Verdict(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    UNSUPPORTED = "UNSUPPORTED"
    SKIP = "SKIP"
    ERROR = "ERROR"
    FLAKY = "FLAKY"


# Order used to pick the worst of several outcomes (e.g. one check over many exchanges).
SEVERITY: dict[Verdict, int] = {
    Verdict.PASS: 0,
    Verdict.SKIP: 1,
    Verdict.UNSUPPORTED: 2,
    Verdict.FLAKY: 3,
    Verdict.WARN: 4,
    Verdict.FAIL: 5,
    Verdict.ERROR: 6,
}


class Kind(str, enum.Enum):
    """What a check function found. The registry turns a Kind into a Verdict using the check's level."""

    OK = "ok"
    VIOLATION = "violation"  # MUST -> FAIL, SHOULD -> WARN, INFO -> WARN
    WARN = "warn"  # an explicit WARN from a MUST check, for a documented leniency (e.g. old recordings)
    SKIP = "skip"
    UNSUPPORTED = "unsupported"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)


def ok(message: str = "", **evidence: Any) -> Outcome:
    return Outcome(Kind.OK, message, evidence)


def violation(message: str, **evidence: Any) -> Outcome:
    return Outcome(Kind.VIOLATION, message, evidence)


def warn(message: str, **evidence: Any) -> Outcome:
    return Outcome(Kind.WARN, message, evidence)


def skip(message: str, **evidence: Any) -> Outcome:
    return Outcome(Kind.SKIP, message, evidence)


def unsupported(message: str, **evidence: Any) -> Outcome:
    return Outcome(Kind.UNSUPPORTED, message, evidence)


def error(message: str, **evidence: Any) -> Outcome:
    return Outcome(Kind.ERROR, message, evidence)


def verdict_for(kind: Kind, level: Level) -> Verdict:
    if kind is Kind.VIOLATION:
        return Verdict.FAIL if level is Level.MUST else Verdict.WARN
    return {
        Kind.OK: Verdict.PASS,
        Kind.WARN: Verdict.WARN,
        Kind.SKIP: Verdict.SKIP,
        Kind.UNSUPPORTED: Verdict.UNSUPPORTED,
        Kind.ERROR: Verdict.ERROR,
    }[kind]


@dataclass
class Result:
    """One verdict of one check on one scenario (or one replayed file)."""

    check_id: str
    level: Level
    verdict: Verdict
    scenario: str
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    area: str = ""
    # The exchange the verdict is about (in memory only; the report writer serialises it, redacted).
    exchange: Any = None
    # The check is model-dependent (registry.Check.model_dependent): its verdict may be the model's, not the
    # endpoint's. Reports rank such results after the protocol's and the CI gate doesn't trust one trial of them.
    model_dependent: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {
            "check_id": self.check_id,
            "level": self.level.value,
            "verdict": self.verdict.value,
            "scenario": self.scenario,
            "message": self.message,
            "evidence": self.evidence,
            "area": self.area,
        }
        if self.model_dependent:
            out["model_dependent"] = True
        return out
