"""Strict JSON for whatever an endpoint sends: what Python's json accepts beyond RFC 8259 is refused.

``json.loads`` accepts NaN/Infinity, turns 1e999 into inf, and raises RecursionError (not ValueError) on deep
nesting. Any of those reaching the suite either crashes it or makes its report invalid JSON, so each is
"not valid JSON" here: a ValueError the caller already treats as a body that is not JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 128  # real Response objects nest about 10 deep; a json_schema output perhaps 30
MAX_NUMBER_CHARS = 100  # no count, index or timestamp in the API needs more digits


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def loads(text: str | bytes) -> Any:
    """Parse RFC 8259 JSON; raise ValueError for anything else, or nesting deeper than MAX_DEPTH."""
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if depth_exceeds(value, MAX_DEPTH):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (iterative: deep data must not exhaust the stack here)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > limit:
            return True
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return False
