"""The Fault type and the hook builders every family's faults share.

A fault is nothing but `Hooks` (hooks.py) with a name, a one-sentence description and the real-world deviation
it reproduces (docs/rules.md#known-deviations: project and issue/PR, or "synthetic").
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.hooks import Event, Hooks, Reply

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


# Helpers that build request and reply hooks ----------------------------------------------------------------

def error_body(func: Callable[[Reply], Reply]) -> Callable[[Reply], Reply]:
    return lambda reply: func(reply) if reply.route == "error" else reply


def error_fields(reply: Reply) -> dict[str, Any]:
    return reply.body.get("error", {}) if isinstance(reply.body, dict) else {}


def renumber(events: list[Event], start: int = 0, step: int = 1) -> list[Event]:
    for number, event in zip(itertools.count(start, step), events):
        event["sequence_number"] = number
    return events


def rewrite(**changes: Callable[[Any], Any]) -> Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]:
    """A rewrite_request hook setting each named body field to `func(old value)`; None removes it."""

    def apply(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        body = dict(body)
        for name, func in changes.items():
            if name in body:
                value = func(body[name])
                if value is None:
                    body.pop(name)
                else:
                    body[name] = value
        return body

    return apply


def set_field(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(response: dict[str, Any]) -> None:
        if key in response:
            response[key] = copy.deepcopy(value)

    return apply


def labelled(content_type: str, errors: bool) -> Callable[[Reply], Reply]:
    def label(reply: Reply) -> Reply:
        if (reply.status >= 400) != errors:
            return reply
        return Reply(reply.route, reply.status, reply.body, {**reply.headers, "content-type": content_type},
                     reply.subject)

    return label


def refuse_input(kind: str, test: Callable[[dict[str, Any]], bool]) -> Callable[..., ApiError | None]:
    def check(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        items = body.get("input")
        if isinstance(items, list) and any(isinstance(i, dict) and test(i) for i in items):
            return ApiError(400, f"Invalid 'input': {kind} items are not supported.", param="input")
        return None

    return check


def on_route(route: str, func: Callable[[dict[str, Any]], None], errors: bool = False) -> Callable[[Reply], Reply]:
    """A reply hook applying `func` to a copy of each 2xx JSON body of `route`."""

    def hook(reply: Reply) -> Reply:
        if reply.route != route or reply.status >= 400 or not isinstance(reply.body, dict):
            return reply
        body = copy.deepcopy(reply.body)
        func(body)
        return Reply(reply.route, reply.status, body, reply.headers, reply.subject)

    return hook


def set_key(key: str, value: Any, when: Callable[[dict[str, Any]], bool] = lambda b: True) -> Callable[..., None]:
    def apply(body: dict[str, Any]) -> None:
        if when(body):
            body[key] = value
    return apply


def drop_key(key: str, when: Callable[[dict[str, Any]], bool] = lambda b: True) -> Callable[..., None]:
    def apply(body: dict[str, Any]) -> None:
        if when(body):
            body.pop(key, None)
    return apply


def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    return [p for i in items if isinstance(i, dict) and isinstance(i.get("content"), list)
            for p in i["content"] if isinstance(p, dict)] if isinstance(items, list) else []


def routes_missing(*routes: str) -> Callable[[Reply], Reply]:
    """A reply hook answering every reply of `routes` with 404, as a server without those routes does."""

    def hook(reply: Reply) -> Reply:
        if reply.route not in routes:
            return reply
        return Reply(reply.route, 404, ApiError(404, "File Not Found", type="not_found_error").body())

    return hook


def refuse_part(part_type: str, status: int, message: str) -> Callable[[dict[str, Any], Mapping[str, str]],
                                                                          ApiError | None]:
    """check_request refusing any input holding a `part_type` content part with `status`."""

    def check(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        if any(p.get("type") == part_type for p in _parts(body)):
            return ApiError(status, message, type="server_error" if status >= 500 else "invalid_request_error")
        return None

    return check
