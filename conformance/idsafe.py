"""Whether an id the endpoint returned may go into a URL: the suite never sends one that may not
(live/paths.py), and checks/ids.py judges the exchange that returned it. Both read this one rule.

The rule (`id_problem`, docs/rules.md#ids) is what a source states: a client puts ids into the request path
(https://platform.openai.com/docs/api-reference/responses/get), so an id is a non-empty printable ASCII
string that carries no URL syntax (RFC 3986 §3.3: `/` delimits segments, `?` and `#` end the path, `%` starts
an escape, `.` and `..` are dot segments; `\\` is a delimiter to WHATWG URL parsers). Percent-encoding such an
id is no cure: proxies and frameworks that decode `%2F` before routing exist, and a hostile id must not steer
a request that carries the user's key. No source caps an id's length: LiteLLM's base64url ids are 453
characters. The suite has its own cap for what it sends (`SEND_CAP_CHARS`, what HTTP servers accept in a
request line), a limit of the suite and not a rule for the endpoint (`send_problem`).
"""

from __future__ import annotations

# The suite sends no id longer than this: its own bound (request lines of 8 KiB are the common server default),
# never a verdict on the endpoint.
SEND_CAP_CHARS = 4096
URL_SYNTAX = frozenset("/\\?#%")


def id_problem(value: object) -> str | None:
    """Why an id from the endpoint may not go into a URL (a rule a source states), or None when it may."""
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not a string"
    if not value:
        return "it is empty"
    bad = next((c for c in value if not 0x21 <= ord(c) <= 0x7E), None)
    if bad is not None:
        return f"it holds {bad!r}, which is not printable ASCII"
    syntax = next((c for c in value if c in URL_SYNTAX), None)
    if syntax is not None:
        return f"it holds {syntax!r}, which is URL syntax (a path delimiter, query, fragment or escape)"
    if value == "." or ".." in value:
        return "it is or holds a dot segment"
    return None


def send_problem(value: object) -> str | None:
    """Why the suite will not send an id: the rule above, or the suite's own length cap."""
    problem = id_problem(value)
    if problem is None and isinstance(value, str) and len(value) > SEND_CAP_CHARS:
        return f"it is {len(value)} characters long (the suite sends at most {SEND_CAP_CHARS}: a limit of the suite)"
    return problem


def shorten(value: object, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"
