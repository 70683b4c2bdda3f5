"""In-memory response store, background runs and their replayable event logs."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from conformance.reference.objects import TERMINAL_STATUSES, ResponseRecord


class Store:
    def __init__(self) -> None:
        self._records: dict[str, ResponseRecord] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._changed: dict[str, asyncio.Condition] = {}

    def save(self, rec: ResponseRecord) -> None:
        self._records[rec.id] = rec

    def get(self, response_id: str) -> ResponseRecord | None:
        return self._records.get(response_id)

    def delete(self, response_id: str) -> bool:
        task = self._tasks.pop(response_id, None)
        if task is not None:
            task.cancel()
        return self._records.pop(response_id, None) is not None

    def chain(self, rec: ResponseRecord) -> list[ResponseRecord]:
        """`rec` and its stored ancestors through previous_response_id, oldest first."""
        chain = [rec]
        while chain[0].request.previous_response_id and len(chain) < 1000:
            parent = self.get(chain[0].request.previous_response_id)
            if parent is None:
                break
            chain.insert(0, parent)
        return chain

    # Background runs ---------------------------------------------------------------------------------------

    def start_background(self, rec: ResponseRecord, events: list[dict[str, Any]], final: dict[str, Any],
                         token_delay: float, delta_types: frozenset[str]) -> None:
        """Publish `events` to the record's log one by one (deltas `token_delay` apart), moving the record
        queued → in_progress → its final state (`final` holds the fields to set at the terminal event)."""
        self._changed[rec.id] = asyncio.Condition()
        self._tasks[rec.id] = asyncio.get_running_loop().create_task(
            self._run(rec, events, final, token_delay, delta_types))

    async def _run(self, rec: ResponseRecord, events: list[dict[str, Any]], final: dict[str, Any],
                   token_delay: float, delta_types: frozenset[str]) -> None:
        try:
            for event in events:
                kind = event.get("type", "")
                if kind in delta_types and token_delay:
                    await asyncio.sleep(token_delay)
                if kind == "response.in_progress":
                    rec.status = "in_progress"
                elif kind == "response.output_item.done" and isinstance(event.get("item"), dict):
                    rec.output = rec.output + [event["item"]]
                elif isinstance(event.get("response"), dict) and event["response"].get("status") in TERMINAL_STATUSES:
                    for key, value in final.items():
                        setattr(rec, key, value)
                await self._publish(rec, event)
                await asyncio.sleep(0)
        finally:
            rec.log_closed = True
            await self._publish(rec, None)
            self._tasks.pop(rec.id, None)

    async def _publish(self, rec: ResponseRecord, event: dict[str, Any] | None) -> None:
        cond = self._changed[rec.id]
        async with cond:
            if event is not None:
                rec.events.append(event)
            cond.notify_all()

    def cancel(self, rec: ResponseRecord) -> None:
        task = self._tasks.pop(rec.id, None)
        if task is not None:
            task.cancel()
        if rec.status not in TERMINAL_STATUSES:
            rec.status = "cancelled"
            rec.usage = None

    async def follow(self, rec: ResponseRecord, starting_after: int) -> AsyncIterator[dict[str, Any]]:
        """The record's events after sequence number `starting_after`, live until the log closes."""
        cond = self._changed.get(rec.id)
        position = 0
        while True:
            while position < len(rec.events):
                event = rec.events[position]
                position += 1
                if _sequence(event, position - 1) > starting_after:
                    yield event
            if rec.log_closed or cond is None:
                return
            async with cond:
                await cond.wait_for(lambda: position < len(rec.events) or rec.log_closed)


def _sequence(event: dict[str, Any], position: int) -> int:
    number = event.get("sequence_number")
    return number if isinstance(number, int) else position
