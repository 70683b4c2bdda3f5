"""The check registry: the single source of truth for the catalog, the README table and report text.

Two kinds of check, both pure functions:

* exchange checks judge one Exchange (schema, stream grammar, framing, error envelope...). They run on
  every exchange they apply to, in replay and in live runs alike.
* transcript checks judge a whole scenario run (nonce recall, retrieve equals create...). They name the
  scenarios they judge.

A check returns an Outcome (see verdicts.py) or None when it does not apply.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Literal, Protocol

from conformance.exchange import Exchange, Transcript
from conformance.streamstate import S, StreamState, state_of
from conformance.verdicts import Level, Outcome

Scope = Literal["exchange", "transcript"]


class ScenarioLike(Protocol):
    """What pairing reads of a scenario (live/scenario.py's Scenario), so the registry needs nothing above it."""

    @property
    def id(self) -> str: ...

    @property
    def streams(self) -> bool: ...


@dataclass(frozen=True)
class Check:
    id: str
    level: Level
    requirement: str  # the rule in plain words, one line
    source: str  # spec section / docs URL / the real-world deviation it guards against
    area: str  # groups checks in reports and pytest modules: schema, stream, framing, errors, ...
    scope: Scope
    func: Callable[..., Outcome | None] = field(compare=False, repr=False)
    scenarios: tuple[str, ...] = ()  # transcript checks: the scenarios they judge
    model_dependent: bool = False  # judged over k trials; disagreement is FLAKY
    stream_only: bool = False  # exchange checks that judge only event streams
    # Transcript checks whose rule is about exchanges that did not complete (judge.py otherwise SKIPs a verdict
    # other than PASS on a transcript that lacks traffic).
    judges_incomplete: bool = False
    # Stream checks: the StreamState class they judge (conformance/streamstate.py); None for the others.
    state: type[StreamState] | None = field(default=None, compare=False, repr=False)

    def pairs_with(self, scenario: ScenarioLike) -> bool:
        """Whether (scenario, check) is a suite item: a transcript check names its scenarios; an exchange check
        judges every scenario's traffic, a stream-only one every scenario that streams."""
        if self.scope == "transcript":
            return scenario.id in self.scenarios
        return scenario.streams or not self.stream_only

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "level": self.level.value,
            "area": self.area,
            "requirement": self.requirement,
            "source": self.source,
        }


_REGISTRY: dict[str, Check] = {}


def _register(check: Check) -> None:
    if check.id in _REGISTRY and _REGISTRY[check.id].func is not check.func:
        raise ValueError(f"duplicate check id {check.id!r}")
    if not check.requirement or "\n" in check.requirement:
        raise ValueError(f"check {check.id!r} needs a one-line requirement")
    _REGISTRY[check.id] = check


def exchange_check(
    id: str, level: Level, requirement: str, source: str, area: str, stream_only: bool | None = None,
    state: type[StreamState] | None = None,
) -> Callable[[Callable[[Exchange], Outcome | None]], Callable[[Exchange], Outcome | None]]:
    """``stream_only`` defaults to True for the `stream` area: such a check is collected only with scenarios
    that stream (Scenario.streams). ``state``: the StreamState a check reads a stream through (``state_of``),
    for a check that judges streams and JSON bodies alike. A check that reads ``ex.stream`` directly cannot be
    judged incrementally."""
    only = area == "stream" if stream_only is None else stream_only

    def deco(func: Callable[[Exchange], Outcome | None]) -> Callable[[Exchange], Outcome | None]:
        _register(Check(id, Level(level), requirement, source, area, "exchange", func, stream_only=only,
                        state=state))
        return func

    return deco


def stream_check(
    id: str, level: Level, requirement: str, source: str, area: str, state: type[S]
) -> Callable[[Callable[[S], Outcome | None]], Callable[[Exchange], Outcome | None]]:
    """An exchange check judged from a StreamState fed once per event (memory flat in stream length).
    The registered function takes the Exchange like every exchange check; ``Check.state`` lets the
    incremental judge feed the state itself."""

    def deco(func: Callable[[S], Outcome | None]) -> Callable[[Exchange], Outcome | None]:
        def check(ex: Exchange) -> Outcome | None:
            st = state_of(ex, state)
            return None if st is None else func(st)

        check.__name__ = check.__qualname__ = func.__name__
        check.__doc__ = func.__doc__
        # A StreamState exists only for an event stream: collected only with scenarios that stream.
        _register(Check(id, Level(level), requirement, source, area, "exchange", check, stream_only=True,
                        state=state))
        return check

    return deco


def transcript_check(
    id: str,
    level: Level,
    requirement: str,
    source: str,
    area: str,
    scenarios: tuple[str, ...],
    model_dependent: bool = False,
    judges_incomplete: bool = False,
) -> Callable[[Callable[[Transcript], Outcome | None]], Callable[[Transcript], Outcome | None]]:
    def deco(func: Callable[[Transcript], Outcome | None]) -> Callable[[Transcript], Outcome | None]:
        _register(
            Check(id, Level(level), requirement, source, area, "transcript", func, tuple(scenarios), model_dependent,
                  judges_incomplete=judges_incomplete)
        )
        return func

    return deco


def _load_all() -> None:
    import conformance.checks as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")


def all_checks() -> list[Check]:
    """Every registered check, sorted by area then id."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda c: (c.area, c.id))


def get(check_id: str) -> Check:
    _load_all()
    return _REGISTRY[check_id]
