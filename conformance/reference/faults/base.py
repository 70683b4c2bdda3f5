"""The Fault type and the hook builders every family's faults share.

A fault is nothing but `Hooks` (hooks.py) with a name, a one-sentence description and the real-world deviation
it reproduces (docs/rules.md#known-deviations: project and issue/PR, or "synthetic").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from conformance.reference.hooks import Event, Hooks

LIFECYCLE_TYPES = frozenset({"response.created", "response.queued", "response.in_progress", "response.completed",
                             "response.incomplete", "response.failed"})


@dataclass(frozen=True)
class Fault:
    name: str
    description: str  # what the server does differently, in one sentence
    deviation: str  # "<project> <ref>" from rules.md#known-deviations, or "synthetic"
    hooks: Hooks = Hooks()
    factory: Callable[[], Hooks] | None = None  # for a fault that keeps state: fresh hooks per server

    def new_hooks(self) -> Hooks:
        return self.factory() if self.factory else self.hooks


# Helpers that build hooks --------------------------------------------------------------------------------

def per_event(func: Callable[[Event], Event | None]) -> Callable[[list[Event]], list[Event]]:
    """An events hook applying `func` to a copy of each event; None drops the event."""

    def hook(events: list[Event]) -> list[Event]:
        out = []
        for event in copy.deepcopy(events):
            result = func(event)
            if result is not None:
                out.append(result)
        return out

    return hook


def whole(func: Callable[[list[Event]], list[Event]]) -> Callable[[list[Event]], list[Event]]:
    return lambda events: func(copy.deepcopy(events))


def drop_types(*types: str) -> Callable[[list[Event]], list[Event]]:
    return per_event(lambda e: None if e.get("type") in types else e)


def responses(event: Event) -> Iterator[dict[str, Any]]:
    if event.get("type") in LIFECYCLE_TYPES and isinstance(event.get("response"), dict):
        yield event["response"]


def on_responses(func: Callable[[dict[str, Any]], None]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(events hook, response hook) applying `func` to every Response, streamed or as a JSON body."""

    def on_event(event: Event) -> Event:
        for response in responses(event):
            func(response)
        return event

    def on_body(body: dict[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        func(body)
        return body

    return per_event(on_event), on_body


def on_items(func: Callable[[dict[str, Any], str | None], None]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(events hook, response hook) applying `func(item, response_status)` to every output item: in
    output_item events (status None) and in every Response's `output`."""

    def on_event(event: Event) -> Event:
        if isinstance(event.get("item"), dict):
            func(event["item"], None)
        for response in responses(event):
            for item in response.get("output", []):
                func(item, response.get("status"))
        return event

    def on_body(body: dict[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        for item in body.get("output", []):
            func(item, body.get("status"))
        return body

    return per_event(on_event), on_body


def on_parts(func: Callable[[dict[str, Any]], None]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(events hook, response hook) applying `func` to every output_text part, wherever it appears."""

    def parts_of(obj: Any) -> Iterator[dict[str, Any]]:
        if isinstance(obj, dict):
            if obj.get("type") == "output_text":
                yield obj
            for value in obj.values():
                yield from parts_of(value)
        elif isinstance(obj, list):
            for value in obj:
                yield from parts_of(value)

    def apply(obj: Any) -> Any:
        for part in parts_of(obj):
            func(part)
        return obj

    return per_event(apply), lambda body: apply(copy.deepcopy(body))


def fault(name: str, description: str, deviation: str, **hooks: Any) -> Fault:
    return Fault(name, description, deviation, Hooks(**hooks))


def pair(name: str, description: str, deviation: str,
         hooks: tuple[Callable[..., Any], Callable[..., Any]]) -> Fault:
    """A fault applied alike to streamed Responses and to JSON bodies (hooks from on_responses / on_items)."""
    return fault(name, description, deviation, events=hooks[0], response=hooks[1])
