r"""Request paths the endpoint cannot steer: ids are percent-encoded as one path segment, an id that is not
printable ASCII, carries URL syntax (`/ \ ? # %`, dot segments) or is longer than the suite's send cap is never
sent, and nothing leaves the API's /responses, /conversations and /models paths.

Callers pass a path as segments, ``("responses", rid, "cancel")``; a plain string is accepted only when every
segment is a plain word, so an id pasted into an f-string is refused rather than sent as it came.
"""

from __future__ import annotations

import re
from typing import Sequence, Union
from urllib.parse import quote

from conformance.idsafe import send_problem, shorten
from conformance.recordings import API_ROOTS

_PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._~-]*")

Path = Union[str, Sequence[str]]


class Unsendable(ValueError):
    """The path cannot be sent; the message says why (recorded as the exchange's transport_error)."""


def encode(path: Path) -> str:
    """The path relative to the base URL, each segment percent-encoded; raises Unsendable."""
    if isinstance(path, str):
        segments = path.strip("/").split("/")
        for s in segments:
            if not _PLAIN.fullmatch(s):
                raise Unsendable(f"the path segment {shorten(s)} is not a plain word; ids go in as segments")
    else:
        segments = list(path)
        for s in segments:
            problem = send_problem(s)
            if problem:
                raise Unsendable(f"the id {shorten(s)} is not sent: {problem}")
    if not segments or segments[0] not in API_ROOTS:
        raise Unsendable(f"{shorten('/'.join(map(str, segments)))} is outside the API's paths {API_ROOTS}")
    return "/".join(quote(s, safe="") for s in segments)


def shown(path: Path) -> str:
    """A bounded, printable rendering of a path that was not sent (for the record)."""
    return "/".join(shorten(s, 60) for s in ([path] if isinstance(path, str) else path))


def inside(base_path: str, url_path: str) -> bool:
    """Whether a (raw, encoded) URL path is one of the API's paths under the base URL's path."""
    prefix = base_path.rstrip("/")
    for root in API_ROOTS:
        p = f"{prefix}/{root}"
        if url_path == p or url_path.startswith(p + "/"):
            rest = url_path[len(p):]
            return "/../" not in rest + "/" and "/./" not in rest + "/"
    return False
