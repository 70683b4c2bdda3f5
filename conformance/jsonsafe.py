"""Strict JSON for whatever an endpoint sends: what Python's json accepts beyond RFC 8259 is refused.

``json.loads`` accepts NaN/Infinity, turns 1e999 into inf, and raises RecursionError (not ValueError) on deep
nesting. Any of those reaching the suite either crashes it or makes its report invalid JSON, so each is
"not valid JSON" here: a ValueError the caller already treats as a body that is not JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 128  # real Response objects nest about 10 deep; a json_schema output perhaps 30
# Only a literal like these can overflow a float to inf; the parsed value is searched for one only if the text
# has one (a hook on every number would make a large body several times slower to parse).
_BIG_FLOAT = re.compile(r"[eE][+-]?\d{3}|\d{300}")


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# One decoder for every call: json.loads with a keyword argument builds a new JSONDecoder each time, which on a
# stream of short events is a tenth of the parse.
_DECODER = json.JSONDecoder(parse_constant=_constant)


def loads(text: str | bytes) -> Any:
    """Parse RFC 8259 JSON; raise ValueError for anything else, or nesting deeper than MAX_DEPTH. Integers of
    more than 4,300 digits are refused by Python itself (sys.int_info.default_max_str_digits)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError: not JSON
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and depth_exceeds(value, MAX_DEPTH):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if _BIG_FLOAT.search(text) and _has_non_finite(value):
        raise ValueError("a number is out of range (it overflows to infinity)")
    return value


def _has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float):
            if not math.isfinite(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


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
        stack.extend([(c, d + 1) for c in children if type(c) is dict or type(c) is list])
    return False
