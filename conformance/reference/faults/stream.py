"""Faults in the stream grammar and its invariants (checks/stream.py, docs/rules.md#stream-grammar)."""

from __future__ import annotations

import copy
from typing import Callable

from conformance.reference.faults.base import (
    Fault, LIFECYCLE_TYPES, drop_types, fault, per_event, renumber, responses, whole,
)
from conformance.reference.hooks import Chunk, Event


def _swap_first(events: list[Event]) -> list[Event]:
    events[0], events[1] = events[1], events[0]
    return renumber(events)


def _after_terminal(events: list[Event]) -> list[Event]:
    extra = copy.deepcopy(events[1])
    extra["sequence_number"] = len(events)
    return events + [extra]


def _drop_connection_midway(chunks: list[Chunk]) -> list[Chunk]:
    """Half the stream, then the connection drops: no terminal event and no end of the chunked body."""
    return chunks[:max(1, len(chunks) // 2)] + [Chunk("", abort=True)]


def _drop_terminal(events: list[Event]) -> list[Event]:
    return events[:-1] if events and events[-1].get("type") in LIFECYCLE_TYPES else events


def _alter_first_delta(kind: str) -> Callable[[list[Event]], list[Event]]:
    def alter(events: list[Event]) -> list[Event]:
        for event in events:
            if event.get("type") == kind:
                event["delta"] = event["delta"] + "#"
                break
        return events

    return whole(alter)


def _sequence_gap(events: list[Event]) -> list[Event]:
    half = len(events) // 2
    for event in events[half:]:
        event["sequence_number"] += 1
    return events


def _sequence_decrease(events: list[Event]) -> list[Event]:
    half = len(events) // 2
    events[half]["sequence_number"], events[half + 1]["sequence_number"] = (
        events[half + 1]["sequence_number"], events[half]["sequence_number"])
    return events


def _no_message_item_done(event: Event) -> Event | None:
    item = event.get("item") or {}
    return None if event.get("type") == "response.output_item.done" and item.get("type") == "message" else event


def _terminal_status_mismatch(event: Event) -> Event:
    if event.get("type") in ("response.completed", "response.incomplete"):
        event["response"]["status"] = "in_progress"
    return event


def _item_id_changed(event: Event) -> Event:
    if event.get("type") == "response.output_item.done":
        event["item"]["id"] = event["item"]["id"] + "x"
    return event


def _pings(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for index, event in enumerate(events):
        if index and index % 5 == 0:
            out.append({"type": "response.ping"})
        out.append(event)
    return out


def _added_twice(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        out.append(event)
        if event.get("type") == "response.output_item.added":
            out.append(copy.deepcopy(event))
    return renumber(out)


def _item_id_suffixed(event: Event) -> Event:
    if isinstance(event.get("item_id"), str):
        event["item_id"] += "x"
    return event


def _added_as_completed(event: Event) -> Event:
    if event.get("type") == "response.output_item.added" and isinstance(event.get("item"), dict):
        if "status" in event["item"]:
            event["item"]["status"] = "completed"
    return event


def _lifecycle_says_completed(event: Event) -> Event:
    if event.get("type") in ("response.created", "response.in_progress") and isinstance(event.get("response"), dict):
        event["response"]["status"] = "completed"
    return event


def _added_name_differs(event: Event) -> Event:
    item = event.get("item")
    if event.get("type") == "response.output_item.added" and isinstance(item, dict) and isinstance(item.get("name"), str):
        item["name"] += "_draft"
    return event


def _interleaved(events: list[Event]) -> list[Event]:
    """A second item is added right after the first one's output_item.added and done after the first is done
    (llama.cpp streams reasoning and message so). A stream with a single item gets an empty reasoning item."""
    added = [i for i, e in enumerate(events) if e.get("type") == "response.output_item.added"]
    if not added:
        return events
    if len(added) >= 2:
        events.insert(added[0] + 1, events.pop(added[1]))
        return renumber(events)
    first = added[0]
    index = events[first].get("output_index", 0) + 1
    extra = {"id": "rs_interleaved", "type": "reasoning", "summary": []}
    done = next((i for i, e in enumerate(events) if e.get("type") == "response.output_item.done"), None)
    if done is None:
        return events
    events.insert(done + 1, {"type": "response.output_item.done", "output_index": index, "item": dict(extra)})
    events.insert(first + 1, {"type": "response.output_item.added", "output_index": index, "item": dict(extra)})
    for event in events:
        for response in responses(event):
            if response.get("status") not in ("queued", "in_progress"):
                response["output"] = [*response.get("output", []), dict(extra)]
    return renumber(events)


def _terminal_model_differs(event: Event) -> Event:
    response = event.get("response")
    terminal = event.get("type") in ("response.completed", "response.incomplete", "response.failed")
    if terminal and isinstance(response, dict) and isinstance(response.get("model"), str):
        response["model"] += "-2026-01-01"
    return event


FAULTS: list[Fault] = [
    fault("ping-keepalives", "`response.ping` events (no sequence number) every five events; tolerated, no "
          "check should fail.", "seed 003", events=whole(_pings)),
    fault("wrong-first-event", "The stream starts with `response.in_progress`, then `response.created`.",
          "synthetic", events=whole(_swap_first)),
    fault("events-after-terminal", "An event follows the terminal event.", "synthetic",
          events=whole(_after_terminal)),
    fault("stream-truncated", "The stream closes without a terminal event.", "synthetic",
          events=whole(_drop_terminal)),
    fault("stream-server-closes", "Half-way through a stream the server drops the connection (no terminal event, "
          "no end of the chunked body), as gpt-oss's server sometimes does.", "gpt-oss reference server",
          chunks=_drop_connection_midway),
    fault("no-in-progress", "Streams skip `response.in_progress`: `response.created` is followed by the output.",
          "synthetic", events=drop_types("response.in_progress")),
    fault("text-delta-mismatch", "The first text delta differs from the text in the done events.", "synthetic",
          events=_alter_first_delta("response.output_text.delta")),
    fault("argument-delta-mismatch", "The first argument delta differs from the arguments in the done events.",
          "synthetic", events=_alter_first_delta("response.function_call_arguments.delta")),
    fault("sequence-gap", "`sequence_number` skips one half-way through.", "synthetic",
          events=whole(_sequence_gap)),
    fault("sequence-decrease", "Two adjacent `sequence_number`s are swapped half-way through.", "synthetic",
          events=whole(_sequence_decrease)),
    fault("sequence-from-one", "`sequence_number` starts at 1.", "synthetic",
          events=whole(lambda events: renumber(events, start=1))),
    fault("message-item-not-done", "Message items get no `response.output_item.done`.", "synthetic",
          events=per_event(_no_message_item_done)),
    fault("part-not-added", "No `response.content_part.added` before the text deltas.", "synthetic",
          events=drop_types("response.content_part.added")),
    fault("item-identity-changed", "`response.output_item.done` carries a different item id than `added`.",
          "synthetic", events=per_event(_item_id_changed)),
    fault("status-terminal-mismatch", "The terminal event's response has `status: in_progress`.", "synthetic",
          events=per_event(_terminal_status_mismatch)),
    fault("item-added-twice", "Every `response.output_item.added` is sent twice.", "synthetic",
          events=whole(_added_twice)),
    fault("item-id-suffixed", "Events that name an item by `item_id` give a different id than `added` did.",
          "synthetic", events=per_event(_item_id_suffixed)),
    fault("part-not-done", "No `response.content_part.done` events.", "synthetic",
          events=drop_types("response.content_part.done")),
    fault("item-added-completed", "Items are announced in `response.output_item.added` with status `completed`.",
          "synthetic", events=per_event(_added_as_completed)),
    fault("lifecycle-says-completed", "`response.created` and `response.in_progress` carry status `completed`.",
          "synthetic", events=per_event(_lifecycle_says_completed)),
    fault("function-name-changes", "A function call is announced in `output_item.added` with another `name` "
          "than the one it is done with.", "synthetic", events=per_event(_added_name_differs)),
    fault("items-interleaved", "A second output item (an empty reasoning item when there is only one) is added "
          "before the first is done.",
          "llama.cpp (rules.md#known-deviations)", events=whole(_interleaved)),
    fault("terminal-model-differs", "The terminal event's Response names another `model` than "
          "`response.created` announced.", "synthetic", events=per_event(_terminal_model_differs)),
]
