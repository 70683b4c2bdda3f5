"""The explicit points where a fault or profile may change the server's behaviour.

The clean server runs every request through the same pipeline; each stage calls one hook:

    raw body ──rewrite_request──> check_request ──> validation ──> context ──> model
        ──> event list ──events──> SSE chunks ──chunks──> wire        (streams)
        ──> Response ──response──> Reply ──reply──> wire               (JSON bodies, errors included)

A hook is a plain function; `compose` chains several in order (for `check_request` the first error wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from conformance.reference.errors import ApiError
from conformance.reference.model import Context
from conformance.reference.objects import ResponseRecord

Event = dict[str, Any]


@dataclass
class Chunk:
    """One write to the SSE body."""

    text: str
    delay: float = 0.0  # seconds to wait before writing it
    hang: bool = False  # write nothing more and hold the connection open until the client leaves
    abort: bool = False  # write nothing more and drop the connection without ending the body (a server crash)


@dataclass
class Reply:
    """A JSON reply about to be sent."""

    route: str  # create | retrieve | delete | cancel | input_items | models | error
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    subject: dict[str, Any] | None = None  # the Response the request was about, when there is one


RewriteRequest = Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]
CheckRequest = Callable[[dict[str, Any], Mapping[str, str]], "ApiError | None"]
ContextHook = Callable[[Context, list[ResponseRecord]], Context]
EventsHook = Callable[[list[Event]], list[Event]]
ResponseHook = Callable[[dict[str, Any]], dict[str, Any]]
ChunksHook = Callable[[list[Chunk]], list[Chunk]]
ReplyHook = Callable[[Reply], Reply]
# (create body, bodies of the other creates in flight) -> the body to serve; may raise ApiError. A server with
# this hook holds each create briefly so that requests sent together overlap (see app.py).
OverlapHook = Callable[[dict[str, Any], list[dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True)
class SocketPolicy:
    """How WebSocket mode deviates (None/False: as the clean server)."""

    deny_status: int | None = None  # answer the upgrade with this HTTP status instead of accepting it
    close_on_accept: int | None = None  # close with this code right after accepting the upgrade
    close_on_error: int | None = None  # an invalid response.create closes the socket with this code, no error event
    close_after_error: bool = False  # send the error event, then close the socket
    drop_previous_response_id: bool = False  # over the socket, previous_response_id is ignored
    unknown_previous_ignored: bool = False  # a previous_response_id nobody knows is dropped, not refused
    close_after_not_found: bool = False  # send previous_response_not_found, then close the socket
    no_cache: bool = False  # the socket keeps none of its responses: store:false ones cannot be continued
    cache_without_context: bool = False  # the socket keeps its responses' ids but not what they said
    shared_cache: bool = False  # every socket reaches every socket's responses (store:false ones included)
    no_eviction: bool = False  # a failed turn leaves the response it referenced in the socket's cache
    implicit_chain: bool = False  # a create without previous_response_id continues the socket's last response


@dataclass(frozen=True)
class ConnectionPolicy:
    """How HTTP connections deviate (False/None: as the clean server, which keeps connections alive and serves
    each request on its own)."""

    drop_reused: bool = False  # a connection that answered a request is closed, unanswered, when the next arrives
    # Seconds that a stream its client left before the end keeps the server busy: every create arriving meanwhile
    # waits until then, as a server whose one slot goes on generating for nobody.
    abandoned_blocks_s: float | None = None


@dataclass(frozen=True)
class Hooks:
    rewrite_request: RewriteRequest | None = None  # the raw POST body, before validation
    check_request: CheckRequest | None = None  # extra refusals, before validation
    context: ContextHook | None = None  # what the model sees; gets the previous_response_id chain, oldest first
    events: EventsHook | None = None  # a whole stream's events (foreground and background)
    response: ResponseHook | None = None  # every Response sent as a JSON body
    chunks: ChunksHook | None = None  # the SSE body as written
    reply: ReplyHook | None = None  # every JSON reply, errors included
    content_type: str | None = None  # of SSE bodies
    overlap: OverlapHook | None = None  # creates that overlap in time (concurrency faults)
    socket: SocketPolicy | None = None  # WebSocket mode
    connection: ConnectionPolicy | None = None  # keep-alive connections and abandoned streams


def _chain(funcs: list[Callable[..., Any]]) -> Callable[..., Any] | None:
    if not funcs:
        return None

    def chained(value: Any, *rest: Any) -> Any:
        for func in funcs:
            value = func(value, *rest)
        return value

    return chained


def _first_error(funcs: list[CheckRequest]) -> CheckRequest | None:
    if not funcs:
        return None

    def check(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
        for func in funcs:
            error = func(body, headers)
            if error is not None:
                return error
        return None

    return check


def compose(hooks: Sequence[Hooks]) -> Hooks:
    def present(name: str) -> list[Any]:
        return [getattr(h, name) for h in hooks if getattr(h, name) is not None]

    content_types = present("content_type")
    sockets = present("socket")
    connections = present("connection")
    return Hooks(
        rewrite_request=_chain(present("rewrite_request")),
        check_request=_first_error(present("check_request")),
        context=_chain(present("context")),
        events=_chain(present("events")),
        response=_chain(present("response")),
        chunks=_chain(present("chunks")),
        reply=_chain(present("reply")),
        content_type=content_types[-1] if content_types else None,
        overlap=_chain(present("overlap")),
        socket=sockets[-1] if sockets else None,
        connection=connections[-1] if connections else None,
    )
