"""Keep secrets out of every report, log and piece of evidence.

Redact first, then cut: anything that shortens text for display must scrub it before cutting, or a key split at
the cut escapes the match (report/common.py one_line does). The live clients scrub what they record as it
arrives, so an echoed key never reaches a check, a message or an evidence excerpt in the first place.
"""

from __future__ import annotations

import html
import json
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"
# Header names whose values are credentials. Matched case-insensitively; custom auth headers are added
# at run time through register_secret_header().
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "openai-api-key", "proxy-authorization", "cookie", "set-cookie"}
# Copy-on-write: register_secret rebinds these, so a scrub() running in another thread (one run per target, many
# workers per run) never iterates a set that is changing under it.
_SECRET_VALUES: set[str] = set()
_SECRET_PATTERNS: list[re.Pattern[str]] = []
_REGISTER = threading.Lock()


def register_secret_header(name: str) -> None:
    _SECRET_HEADERS.add(name.lower())


def register_secret(value: str | None) -> None:
    """Remember a secret (e.g. the API key) so scrub() removes it wherever it is echoed back: as sent (alone or
    after "Bearer "), JSON-escaped (inside a JSON string, with or without ensure_ascii), URL-encoded or
    HTML-escaped."""
    global _SECRET_VALUES, _SECRET_PATTERNS
    if not value or len(value) < 4:
        return
    with _REGISTER:
        if value in _SECRET_VALUES:
            return
        forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                 quote(value, safe=""), quote_plus(value, safe=""), html.escape(value)}
        _SECRET_VALUES = _SECRET_VALUES | forms
        _SECRET_PATTERNS = [*_SECRET_PATTERNS, _encoded_pattern(value)]


def _encoded_pattern(value: str) -> re.Pattern[str]:
    """The secret with any character written as %XX, \\uXXXX, \\-escape or &#N; (an endpoint that re-encodes
    what it echoes may encode more than it must, e.g. "-" as %2D)."""
    parts = []
    for c in value:
        n = ord(c)
        alts = [re.escape(c), f"%{n:02x}", f"\\\\u{n:04x}", f"&#{n};", f"&#x0*{n:x};"]
        if c in "\"\\/":
            alts.append(re.escape("\\" + c))
        parts.append("(?:" + "|".join(alts) + ")")
    return re.compile("".join(parts), re.IGNORECASE)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in _SECRET_HEADERS else scrub(v)) for k, v in headers.items()}


def scrub(value: Any) -> Any:
    """Replace every registered secret inside strings, recursively through JSON-like data."""
    values, patterns = _SECRET_VALUES, _SECRET_PATTERNS
    if not values:
        return value
    if isinstance(value, str):
        for s in sorted(values, key=len, reverse=True):  # longest first: a form containing another goes whole
            if s in value:
                value = value.replace(s, REDACTED)
        if "%" in value or "\\" in value or "&#" in value:
            for pattern in patterns:
                value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
