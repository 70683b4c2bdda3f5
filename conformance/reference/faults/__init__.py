"""Named faults: small deviations from OpenAI's behaviour the reference server can be told to reproduce.

A check that no fault can make fail proves nothing; the kill matrix runs the suite once per fault to show which
checks catch it. Each module of this package holds, as `FAULTS: list[Fault]`, the faults of one scenario family
(faults/<family>.py, next to live/scenarios/<family>.py and checks/<family>.py), of one cross-cutting rule module
(stream, framing, errors, schema, ids, usage, run: named like its checks/ module), or the deviations of real
servers (vendors.py); to add a module, list it here. Fault names never change: profiles and docs refer to them.
"""

from __future__ import annotations

from conformance.reference.faults import (
    async_sdk, background, bad_input, basic, compact, concurrency, conversations, custom_tools, errors, framing,
    ids, input_tokens, inputs, limits, metadata, multi_turn, parameters, reasoning, run, schema, storage, stream,
    structured_outputs, tool_use, tools, usage, vendors, websocket,
)
from conformance.reference.faults.base import Fault

_MODULES = (
    vendors, stream, framing, errors, schema, ids, usage, run,  # real servers' deviations, cross-cutting rules
    basic, tools, multi_turn, storage, background, limits, metadata, bad_input,  # the scenario families
    websocket, compact, input_tokens, conversations, inputs, concurrency, reasoning,
    custom_tools, tool_use, parameters, structured_outputs, async_sdk,
)

FAULTS: dict[str, Fault] = {}
for _module in _MODULES:
    for _f in _module.FAULTS:
        if _f.name in FAULTS:
            raise ValueError(f"duplicate fault name {_f.name!r}")
        FAULTS[_f.name] = _f

__all__ = ["FAULTS", "Fault"]
