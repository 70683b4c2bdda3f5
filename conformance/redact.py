"""Keep secrets out of every report, log and piece of evidence."""

from __future__ import annotations

from typing import Any

REDACTED = "<redacted>"
# Header names whose values are credentials. Matched case-insensitively; custom auth headers are added
# at run time through register_secret_header().
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "openai-api-key", "proxy-authorization", "cookie", "set-cookie"}
_SECRET_VALUES: set[str] = set()


def register_secret_header(name: str) -> None:
    _SECRET_HEADERS.add(name.lower())


def register_secret(value: str | None) -> None:
    """Remember a secret (e.g. the API key) so scrub() removes it wherever it is echoed back."""
    if value and len(value) >= 4:
        _SECRET_VALUES.add(value)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in _SECRET_HEADERS else scrub(v)) for k, v in headers.items()}


def scrub(value: Any) -> Any:
    """Replace every registered secret inside strings, recursively through JSON-like data."""
    if not _SECRET_VALUES:
        return value
    if isinstance(value, str):
        for s in _SECRET_VALUES:
            if s in value:
                value = value.replace(s, REDACTED)
        return value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
