"""Read and write exchanges in the recordings format: one JSON file per exchange, its request and response.

The writer adds two optional keys the loader also reads: ``elapsed_s`` and ``response.event_offsets_s``
(arrival time of each SSE event), plus ``label`` and ``transport_error`` for live runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.redact import redact_headers, scrub


class RecordingError(ValueError):
    """A file that is not a readable recording. The message names the file."""


class NotResponses(ValueError):
    """A readable recording of another API (chat completions, embeddings, ...): not judged. Names the file."""


# The paths of the API the checks judge: the Responses API, the Conversations API behind its `conversation`
# parameter, and the model list (docs/api-surface.md). live/paths.py sends nothing outside them either.
API_ROOTS = ("responses", "conversations", "models")


def not_responses(ex: Exchange) -> str | None:
    """Why the exchange is not one of the API's exchanges (its path names none of API_ROOTS), or None."""
    segments = ex.request.path.split("?", 1)[0].strip("/").split("/")
    if any(seg in API_ROOTS for seg in segments):
        return None
    return f"{ex.request.method} {ex.request.path[:200]} is not a Responses API exchange"


def exchange_from_record(rec: Any, source: str = "") -> Exchange:
    if not isinstance(rec, dict):
        raise RecordingError(f"{source}: not a recording (top level is not a JSON object)")
    req, resp = rec.get("request"), rec.get("response")
    if not isinstance(req, dict) or not isinstance(resp, dict):
        raise RecordingError(f"{source}: not a recording (needs 'request' and 'response' objects)")
    if not isinstance(req.get("method"), str) or not isinstance(req.get("path"), str):
        raise RecordingError(f"{source}: not a recording (request needs 'method' and 'path' strings)")
    status = resp.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise RecordingError(f"{source}: not a recording (response.status must be an integer or null)")
    sse = resp.get("sse")
    if sse is not None and not isinstance(sse, str):
        raise RecordingError(f"{source}: not a recording (response.sse must be a string or null)")
    headers = resp.get("headers") or {}
    req_headers = req.get("headers") or {}
    if not isinstance(headers, dict) or not isinstance(req_headers, dict):
        raise RecordingError(f"{source}: not a recording (request and response headers must be objects)")
    for key in ("features", "notes"):
        if not isinstance(rec.get(key) or [], list):
            raise RecordingError(f"{source}: not a recording ({key!r} must be a list)")
    offsets = resp.get("event_offsets_s")
    if offsets is not None and not (
        isinstance(offsets, list) and all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in offsets)
    ):
        raise RecordingError(f"{source}: not a recording (response.event_offsets_s must be a list of numbers)")
    under_load = rec.get("under_load")
    if under_load is not None and not isinstance(under_load, dict):
        raise RecordingError(f"{source}: not a recording ('under_load' must be an object)")
    return Exchange(
        request=RecordedRequest(
            method=req["method"],
            path=req["path"],
            headers={str(k).lower(): str(v) for k, v in req_headers.items()},
            body=req.get("body"),
            query=req.get("query"),
        ),
        response=RecordedResponse(
            status=status,
            headers={str(k).lower(): str(v) for k, v in headers.items()},
            body=resp.get("body"),
            sse=sse,
            text=resp.get("text"),
        ),
        label=rec.get("label") or "",
        source=source,
        recorded_from=rec.get("recorded_from"),
        recorded_at=rec.get("recorded_at"),
        features=list(rec.get("features") or []),
        notes=list(rec.get("notes") or []),
        elapsed_s=rec.get("elapsed_s"),
        event_offsets=offsets,
        transport_error=rec.get("transport_error"),
        under_load=under_load,
    )


def exchange_to_record(ex: Exchange) -> dict[str, Any]:
    """The recordings-format dict for an exchange, with secret headers redacted."""
    req: dict[str, Any] = {
        "method": ex.request.method,
        "path": ex.request.path,
        "headers": redact_headers(ex.request.headers),
        "body": ex.request.body,
    }
    if ex.request.query:
        req["query"] = ex.request.query
    resp: dict[str, Any] = {
        "status": ex.response.status,
        "headers": redact_headers(ex.response.headers),
        "body": ex.response.body,
        "sse": ex.response.sse,
    }
    if ex.response.text is not None:
        resp["text"] = ex.response.text
    if ex.event_offsets is not None:
        resp["event_offsets_s"] = [round(o, 6) for o in ex.event_offsets]
    rec: dict[str, Any] = {
        "source": ex.source,
        "recorded_from": ex.recorded_from,
        "recorded_at": ex.recorded_at,
        "request": req,
        "response": resp,
        "features": ex.features,
        "notes": ex.notes,
    }
    if ex.label:
        rec["label"] = ex.label
    if ex.elapsed_s is not None:
        rec["elapsed_s"] = round(ex.elapsed_s, 6)
    if ex.transport_error:
        rec["transport_error"] = ex.transport_error
    if ex.under_load:
        rec["under_load"] = ex.under_load
    return scrub(rec)  # an endpoint may echo the key back in a body or stream


def load_file(path: str | os.PathLike[str]) -> Exchange:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{p}: not UTF-8 text") from None
    try:
        rec = json.loads(text)
    except ValueError as exc:
        raise RecordingError(f"{p}: invalid JSON ({exc})") from None
    return exchange_from_record(rec, str(p))


def iter_paths(paths: list[str]) -> Iterator[Path]:
    """Expand files and directories (recursively, *.json, sorted). A missing path is a RecordingError."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.json") if q.is_file())
        elif p.is_file():
            yield p
        else:
            raise RecordingError(f"{p}: no such file or directory")


def save_file(ex: Exchange, path: str | os.PathLike[str]) -> None:
    Path(path).write_text(json.dumps(exchange_to_record(ex), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def save_transcript(t: Transcript, root: str | os.PathLike[str], recorded_from: str | None = None) -> list[Path]:
    """Write a transcript's own exchanges (not those it borrowed: they are in their owner's) as
    ROOT/<scenario>/<trial>-<nn>-<label>.json, in the order they were sent. Returns the files written."""
    folder = Path(root) / _UNSAFE.sub("_", t.scenario)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n, ex in enumerate(t.exchanges):
        path = folder / f"{t.trial}-{n:02d}-{_UNSAFE.sub('_', ex.label or 'exchange')[:60]}.json"
        if recorded_from and ex.recorded_from == "live":
            ex = dataclasses.replace(ex, recorded_from=recorded_from)
        save_file(ex, path)
        written.append(path)
    return written
