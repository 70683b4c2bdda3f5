"""Scenarios: short scripts of requests that make the traffic checks judge.

A scenario is a function ``(ctx: ScenarioContext) -> None`` registered with ``@scenario``. It sends requests
through ``ctx`` (each recorded as a labelled Exchange in the Transcript) and stores in ``ctx.params`` what its
transcript checks need (nonces, the requested schema, ...). It never judges anything itself.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

from conformance.exchange import Exchange, Transcript
from conformance.extract import response_id
from conformance.live.client import RecordingClient
from conformance.live.shared import Resource, Shared, Use
from conformance.live.paths import Path
from conformance.live.target import Target


class ScenarioAborted(Exception):
    """The endpoint could not be reached: the scenario stops and its checks become ERROR."""


@dataclass(frozen=True)
class Scenario:
    id: str
    description: str
    func: Callable[[ScenarioContext], None]
    model_dependent: bool = False  # run `target.trials` times; its model-dependent checks may be FLAKY
    # Whether it sends stream requests: only such scenarios are paired with stream-only checks (a test runs
    # every scenario against the reference server and holds this to what each really sends).
    streams: bool = False
    uses: tuple[tuple[str, Use], ...] = ()  # shared resources (live/shared.py) it borrows, by key, and how
    owns: tuple[str, ...] = ()  # shared resources it makes
    # Dependent round trips on its longest path, where that is long (a scheduling hint, measured with
    # benchmarks/run_engine.py): the engine starts long chains first, so none is left to end the run alone.
    chain: int = 1

    @property
    def family(self) -> str:
        """The id's prefix: the pytest module (conformance/suite/test_<family>.py) that runs it."""
        return self.id.split(".", 1)[0]

    @property
    def rank(self) -> int:
        """Queue order: owners of shared resources first, then readers, mutators, destroyers."""
        return max((int(how) for _, how in self.uses), default=-1)


_SCENARIOS: dict[str, Scenario] = {}

# The families that cover the API surface beyond create, stream, retrieve, delete, cancel and input_items. They
# came after the run engine's request budget was set, so its benchmark counts them apart, and llama.cpp's
# verdicts on them are pinned in their own test file.
SURFACE_FAMILIES = ("websocket", "compact", "input_tokens", "conversations", "inputs", "concurrency", "reasoning",
                    "custom_tools", "tool_use", "parameters", "structured_outputs")


def scenario(id: str, description: str, model_dependent: bool = False, streams: bool = False,
             uses: dict[Resource, Use] | None = None, chain: int = 1,
             ) -> Callable[[Callable[[ScenarioContext], None]], Callable[[ScenarioContext], None]]:
    def deco(func: Callable[[ScenarioContext], None]) -> Callable[[ScenarioContext], None]:
        if id in _SCENARIOS and _SCENARIOS[id].func is not func:
            raise ValueError(f"duplicate scenario id {id!r}")
        borrowed = tuple((r.key, how) for r, how in (uses or {}).items() if r.owner != id)
        owned = tuple(r.key for r in (uses or {}) if r.owner == id)
        _SCENARIOS[id] = Scenario(id, description, func, model_dependent, streams, borrowed, owned, chain)
        return func

    return deco


def all_scenarios() -> list[Scenario]:
    import conformance.live.scenarios  # noqa: F401  (registers every scenario)

    return list(_SCENARIOS.values())


def nonce(prefix: str = "CODE") -> str:
    """A code word no model could guess: uppercase prefix, dash, 6 digits (e.g. CODE-483920)."""
    return f"{prefix}-{secrets.randbelow(900000) + 100000}"


def batch_instructions() -> str:
    """`instructions` for one scenario's code-word requests, shared by them and no other scenario's. A server that
    mixes up creates sharing a prompt prefix does so within the batch the scenario sends at once; without the tag,
    another scenario's batch in flight at the same moment would also reach this one's baseline sent alone."""
    tag = secrets.randbelow(900000) + 100000
    return f"Batch {tag}. Repeat the code word the user gives you, exactly, and nothing else."


class ScenarioContext:
    def __init__(self, target: Target, client: RecordingClient, transcript: Transcript,
                 shared: Shared | None = None) -> None:
        self.target = target
        self.client = client
        self.transcript = transcript
        self.params = transcript.params
        self.shared = shared or Shared()
        self.stored_ids: list[str] = []  # responses this scenario stored; deleted as soon as it ends

    def use(self, resource: Resource, how: Use = Use.READ, label: str | None = None) -> dict[str, Any] | None:
        """The shared resource's value (None if it could not be made); its exchanges join this transcript."""
        return self.shared.use(self, resource, how, label).value

    @property
    def model(self) -> str:
        return self.target.model or "unknown-model"

    def request(self, label: str, method: str, path: Path, *, body: Any = None, query: dict[str, Any] | None = None,
                stream: bool = False, together: bool = False) -> Exchange:
        """`together`: one of requests sent at once on purpose (live/load.py neither queues nor retries it)."""
        ex = self.client.request(method, path, body=body, query=query, stream=stream, label=label,
                                 source=self.transcript.scenario, together=together)
        self.transcript.exchanges.append(ex)
        if ex.transport_error and ex.response.status is None and ex.transport_error.startswith("connect"):
            raise ScenarioAborted(ex.transport_error)
        return ex

    def create(self, label: str, body: dict[str, Any], *, stream: bool = False, together: bool = False) -> Exchange:
        """POST /responses with the target's model and a bounded max_output_tokens unless the body sets them."""
        full = {"model": self.model, "max_output_tokens": self.target.max_output_tokens, **body}
        if stream:
            full["stream"] = True
        ex = self.request(label, "POST", "responses", body=full, stream=stream, together=together)
        rid = response_id(ex)
        if rid and full.get("store", True) is not False:
            self.stored_ids.append(rid)
        return ex

    def retrieve(self, label: str, response_id: str, **query: Any) -> Exchange:
        return self.request(label, "GET", ("responses", response_id), query=query or None,
                            stream=bool(query.get("stream")))

    def delete(self, label: str, response_id: str) -> Exchange:
        return self.request(label, "DELETE", ("responses", response_id))

    def poll(self, label: str, response_id: str, until: Callable[[Exchange], bool], timeout_s: float = 30.0,
             interval_s: float = 0.2) -> Exchange:
        """GET the response until ``until`` holds or timeout_s passes (bounded); returns the last exchange."""
        deadline = time.monotonic() + timeout_s
        while True:
            ex = self.retrieve(label, response_id)
            if until(ex) or time.monotonic() >= deadline or not ex.ok:
                return ex
            time.sleep(interval_s)


def run_scenario(sc: Scenario, target: Target, client: RecordingClient, trial: int = 0,
                 shared: Shared | None = None) -> tuple[Transcript, list[str]]:
    """Run one scenario; returns its transcript and the response ids it stored. Never raises."""
    t = Transcript(scenario=sc.id, trial=trial)
    ctx = ScenarioContext(target, client, t, shared)
    try:
        sc.func(ctx)
    except ScenarioAborted as exc:
        t.error = f"the endpoint could not be reached: {exc}"
    except Exception as exc:  # a bug in a scenario must surface as ERROR, not vanish
        t.error = f"the scenario raised {exc.__class__.__name__}: {exc}"
    return t, ctx.stored_ids
