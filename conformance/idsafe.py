"""Whether an id the endpoint returned may go into a URL: the suite never sends one that may not
(live/paths.py), and checks/ids.py judges the exchange that returned it. Both read this one rule.
"""

from __future__ import annotations

MAX_ID_CHARS = 256


def id_problem(value: object) -> str | None:
    """Why an id from the endpoint may not go into a URL, or None when it may."""
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not a string"
    if not value:
        return "it is empty"
    if len(value) > MAX_ID_CHARS:
        return f"it is {len(value)} characters long (the suite sends at most {MAX_ID_CHARS})"
    bad = next((c for c in value if not 0x21 <= ord(c) <= 0x7E), None)
    if bad is not None:
        return f"it holds {bad!r}, which is not printable ASCII"
    if value in (".", ".."):
        return "it is a dot segment"
    return None


def shorten(value: object, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"
