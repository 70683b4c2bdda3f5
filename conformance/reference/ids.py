"""Object ids shaped like OpenAI's: a prefix and 50 hex digits (`call_` ids are 24 alphanumerics)."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """`resp_`, `msg_`, `fc_`, ... followed by 50 lower-case hex digits."""
    return f"{prefix}_{secrets.token_hex(25)}"


def new_call_id() -> str:
    return "call_" + "".join(secrets.choice(_ALNUM) for _ in range(24))


def obfuscation(delta: str) -> str:
    """Padding OpenAI adds to delta events so every event has a similar size (an undeclared key)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(max(1, 16 - len(delta))))
