"""Resources several scenarios share, so that a run sends fewer generation requests.

A scenario that only reads a stored response need not create its own: `storage.retrieve`, `storage.input-items`,
`metadata.echo` and `storage.delete` read one stored multi-message response. A Resource is made once per run
(per trial, for model-dependent scenarios) by its owner scenario, whose transcript holds the exchanges that
made it, so exchange checks judge them exactly once and under the same scenario on every run. Other scenarios
borrow those exchanges under a label of their own (Transcript.borrow).

Uses are ranked: readers, then mutators, then the destroyer (which deletes it). A use of a higher rank waits
until every use of a lower rank queued before it has ended. The engine queues jobs in rank order, and a use waits
only on jobs queued before its own (the queue is FIFO, so those are running or done), never on one still queued
behind it: a pool of one worker, or scenarios submitted a family at a time (pytest-xdist), cannot deadlock.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from conformance.exchange import Exchange, Transcript

# The longest a scenario waits for the owner or the lower-ranked users of a resource. The engine's own
# bounds (per-exchange deadlines, --max-duration) end those jobs well before this.
WAIT_LIMIT_S = 3600.0


class Use(enum.IntEnum):
    READ = 0
    MUTATE = 1
    DESTROY = 2


@dataclass(frozen=True)
class Resource:
    key: str
    owner: str  # the scenario that makes it and whose transcript judges the exchanges that made it
    # Called with the ScenarioContext that makes it (live/scenario.py), which satisfies Maker and more.
    make: Callable[[Any], dict[str, Any] | None] = field(compare=False, repr=False)


class Maker(Protocol):
    """What the shared resources need of a scenario's context (live/scenario.py's ScenarioContext)."""

    transcript: Transcript
    stored_ids: list[str]


class Board(Protocol):
    """What the shared resources need to know about the run's jobs (the engine implements it)."""

    def will_make(self, scenario_id: str, trial: int, asker: str) -> bool: ...

    def wait_users(self, key: str, below: Use, timeout: float, asker: str) -> None: ...


class _NoJobs:
    """A scenario run on its own (tests, replaying one scenario): nothing else is scheduled."""

    def will_make(self, scenario_id: str, trial: int, asker: str) -> bool:
        return False

    def wait_users(self, key: str, below: Use, timeout: float, asker: str) -> None:
        return None


@dataclass
class Instance:
    """One made resource: what `make` returned, the exchanges it sent, the response ids it stored."""

    value: dict[str, Any] | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)
    made_by: str | None = None  # scenario id, or None when the engine made it (preflight)
    adopted: bool = False  # the owner took the engine-made exchanges into its own transcript
    destroyed: bool = False
    making: bool = False
    ready: threading.Event = field(default_factory=threading.Event)


class Shared:
    """The run's resource instances, keyed by (resource key, trial)."""

    def __init__(self, board: Board | None = None) -> None:
        self.board: Board = board or _NoJobs()
        self._lock = threading.Lock()
        self._instances: dict[tuple[str, int], Instance] = {}

    def seed(self, resource: Resource, value: dict[str, Any] | None, exchanges: list[Exchange],
             stored_ids: list[str]) -> None:
        """An instance the engine made before any scenario (the preflight create)."""
        inst = Instance(value=value, exchanges=list(exchanges), stored_ids=list(stored_ids))
        inst.ready.set()
        with self._lock:
            self._instances[(resource.key, 0)] = inst

    def release(self, scenario_id: str, trial: int) -> None:
        """The owner's job ended: whoever waits for what it never made stops waiting (and gets None)."""
        with self._lock:
            for (key, t), inst in self._instances.items():
                if t == trial and not inst.ready.is_set() and inst.made_by == scenario_id:
                    inst.ready.set()

    def keys(self) -> set[str]:
        with self._lock:
            return {k for k, _ in self._instances}

    def stored_ids(self, key: str) -> list[str]:
        """Every response id the instances of `key` stored and nobody deleted yet (for cleanup)."""
        with self._lock:
            out = [rid for (k, _), inst in self._instances.items() if k == key for rid in inst.stored_ids]
            for (k, _), inst in self._instances.items():
                if k == key:
                    inst.stored_ids.clear()
        return out

    def _claim_or_wait(self, inst: Instance, trial: int, me: str) -> None:
        """Return once `me` should make the instance, or it is ready (or the wait limit passed). A maker that
        ended without making it (it finished before this instance existed) is replaced by `me`, never awaited."""
        deadline = time.monotonic() + WAIT_LIMIT_S
        while True:
            with self._lock:
                if inst.ready.is_set() or (inst.made_by == me and inst.making):
                    return
                if inst.made_by == me or (inst.made_by is not None and not inst.making
                                          and not self.board.will_make(inst.made_by, trial, me)):
                    inst.made_by, inst.making = me, True
                    return
            if inst.ready.wait(0.2) or time.monotonic() > deadline:
                return

    def use(self, ctx: Maker, resource: Resource, how: Use, label: str | None = None) -> Instance:
        """Make the resource, or wait for its maker and borrow its exchanges (under `label`, if given)."""
        me, trial = ctx.transcript.scenario, ctx.transcript.trial
        if how > Use.READ:
            self.board.wait_users(resource.key, how, WAIT_LIMIT_S, me)
        owner_runs = resource.owner != me and self.board.will_make(resource.owner, trial, me)
        with self._lock:
            inst = self._instances.get((resource.key, trial))
            if me == resource.owner and inst is not None and inst.made_by not in (None, me):
                # Another scenario made it in the owner's place (it ran first: xdist submits a family at a time).
                # Those exchanges carry that scenario's labels and are judged under it, so the owner makes its
                # own instance, which nobody else reads: the owner's scenario deletes it when it ends.
                return self._make_private(ctx, resource)
            if inst is None or inst.destroyed:
                inst = Instance(made_by=resource.owner if owner_runs else me)
                self._instances[(resource.key, trial)] = inst
        self._claim_or_wait(inst, trial, me)
        if inst.made_by == me and not inst.ready.is_set():
            first = len(ctx.transcript.exchanges)
            own_ids, ctx.stored_ids = ctx.stored_ids, []
            try:
                inst.value = resource.make(ctx)
            finally:
                inst.exchanges = ctx.transcript.exchanges[first:]
                if label and me != resource.owner:  # made in place of the owner: under the label this scenario reads
                    for ex in inst.exchanges:
                        ex.label = label
                inst.stored_ids, ctx.stored_ids = ctx.stored_ids, own_ids
                inst.ready.set()
            return inst
        with self._lock:
            adopt = inst.made_by is None and me == resource.owner and not inst.adopted
            inst.adopted = inst.adopted or adopt
        for ex in inst.exchanges:
            if adopt:  # the engine's exchanges become the owner's own: judged once, under the owner
                ex.source = me
                ctx.transcript.exchanges.append(ex)
            else:
                ctx.transcript.borrow(ex, label)
        if how is Use.DESTROY:  # the destroyer deletes it: nothing left for the engine's cleanup
            with self._lock:
                inst.destroyed = True
                inst.stored_ids.clear()
        return inst

    @staticmethod
    def _make_private(ctx: Maker, resource: Resource) -> Instance:
        first = len(ctx.transcript.exchanges)
        inst = Instance(made_by=ctx.transcript.scenario)
        inst.value = resource.make(ctx)  # its stored ids stay in ctx.stored_ids: deleted with the scenario's own
        inst.exchanges = ctx.transcript.exchanges[first:]
        inst.ready.set()
        return inst
