"""The reference server's API surface beyond create/retrieve/delete/cancel/input_items: WebSocket mode,
`POST /v1/responses/compact`, `POST /v1/responses/input_tokens` and the Conversations API.

Shapes follow the pinned openai-python (`CompactedResponse`, `InputTokenCountResponse`, `Conversation`,
`ConversationDeletedResource`, `ConversationItemList`, `ResponsesServerEvent`'s `error`). What the SDK does not
say (what a socket does after an error event) is documented as inferred in docs/reference-server.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket, WebSocketDisconnect

from conformance.reference import errors
from conformance.reference.errors import ApiError
from conformance.reference.events import DELTA_TYPES
from conformance.reference.hooks import Hooks, Reply, SocketPolicy
from conformance.reference.compaction import compaction_item
from conformance.reference.ids import new_id
from conformance.reference.model import Context, tokenize, visible_texts
from conformance.reference.objects import ResponseRecord, usage
from conformance.reference.request import MODEL_ID, input_items
from conformance.reference.store import Store

MAX_CONVERSATION_ITEMS = 20  # per create call, as OpenAI documents


class _Timing(Protocol):
    @property
    def token_delay(self) -> float: ...


class _Server(Protocol):
    """What these routes need of the reference server (app.py's server, which imports this module)."""

    @property
    def settings(self) -> _Timing: ...

    @property
    def hooks(self) -> Hooks: ...

    @property
    def store(self) -> Store: ...

    @property
    def conversations(self) -> Conversations: ...

    def reply(self, reply: Reply) -> Response: ...

    @property
    def shared_socket_cache(self) -> dict[str, list[ResponseRecord]]: ...

    def prepare(self, body: Any, headers: Mapping[str, str],
                cached: Mapping[str, list[ResponseRecord]] | None = None,
                ) -> tuple[ResponseRecord, list[dict[str, Any]]]: ...

    def previous_chain(self, previous_id: str | None, cached: Mapping[str, list[ResponseRecord]]
                       ) -> list[ResponseRecord]: ...


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "We could not parse the JSON body of your request. The OpenAI API expects a JSON "
                            "payload, but what was sent was not valid JSON.") from None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "We could not parse the JSON body of your request. The OpenAI API expects a JSON object.")
    return body


# Conversations -------------------------------------------------------------------------------------------

@dataclass
class Conversation:
    id: str = field(default_factory=lambda: new_id("conv"))
    created_at: int = field(default_factory=lambda: int(time.time()))
    metadata: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": self.metadata}


class Conversations:
    def __init__(self) -> None:
        self._by_id: dict[str, Conversation] = {}

    def get(self, conversation_id: str) -> Conversation:
        conv = self._by_id.get(conversation_id)
        if conv is None:
            raise ApiError(404, f"Conversation with id '{conversation_id}' not found.", param="conversation")
        return conv

    def items_for(self, conversation_id: str) -> list[dict[str, Any]]:
        return list(self.get(conversation_id).items)

    def append(self, conversation_id: str, items: list[dict[str, Any]]) -> None:
        self.get(conversation_id).items.extend(items)

    def add(self, conv: Conversation) -> None:
        self._by_id[conv.id] = conv

    def delete(self, conversation_id: str) -> None:
        self.get(conversation_id)
        del self._by_id[conversation_id]


def _metadata(body: dict[str, Any]) -> dict[str, str]:
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise errors.invalid_type("metadata", "an object of strings", metadata)
    return dict(metadata)


def _new_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    raw = body.get("items") or []
    if not isinstance(raw, list):
        raise errors.invalid_type("items", "an array", raw)
    if len(raw) > MAX_CONVERSATION_ITEMS:
        raise ApiError(400, f"Invalid 'items': at most {MAX_CONVERSATION_ITEMS} items may be added at a time.",
                       param="items", code="array_above_max_length")
    return input_items(raw, "items")


def page(items: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    """A cursor page (order, limit, after) as input_items and conversation items share it."""
    query = request.query_params
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise errors.invalid_value("order", order, ["asc", "desc"])
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        raise errors.invalid_type("limit", "an integer", query.get("limit")) from None
    if not 1 <= limit <= 100:
        raise ApiError(400, f"Invalid 'limit': expected a value between 1 and 100, but got {limit} instead.",
                       param="limit", code="invalid_value")
    items = list(items) if order == "asc" else list(reversed(items))
    after = query.get("after")
    if after is not None:
        ids = [i.get("id") for i in items]
        if after not in ids:
            raise ApiError(400, f"Item with id '{after}' not found.", param="after")
        items = items[ids.index(after) + 1:]
    shown = items[:limit]
    return {"object": "list", "data": shown, "first_id": shown[0]["id"] if shown else None,
            "has_more": len(items) > limit, "last_id": shown[-1]["id"] if shown else None}


# Compaction ----------------------------------------------------------------------------------------------

def _count(instructions: Any, items: list[dict[str, Any]]) -> int:
    return max(1, sum(len(tokenize(t)) for t in visible_texts(Context(instructions, items, items))))


class _Routes:
    def __init__(self, server: _Server) -> None:
        self.server = server

    def reply(self, route: str, body: dict[str, Any], status: int = 200) -> Response:
        return self.server.reply(Reply(route, status, body))

    def _context(self, body: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        """(instructions, every item the model would see) for compact and input_tokens."""
        model = body.get("model", MODEL_ID)
        if model != MODEL_ID:
            raise ApiError(400, f"The requested model '{model}' does not exist.", param="model",
                           code="model_not_found")
        instructions = body.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise errors.invalid_type("instructions", "a string", instructions)
        raw = body.get("input")
        current = [] if raw is None else input_items(raw)
        earlier: list[dict[str, Any]] = []
        prev = body.get("previous_response_id")
        if prev is not None and body.get("conversation") is not None:
            raise ApiError(400, "Mutually exclusive parameters: 'previous_response_id' and 'conversation' cannot "
                                "be used together.", param="conversation", code="mutually_exclusive_parameters")
        if prev is not None:
            rec = self.server.store.get(prev) if isinstance(prev, str) else None
            if rec is None:
                raise ApiError(400, f"Previous response with id '{prev}' not found.", param="previous_response_id",
                               code="previous_response_not_found")
            earlier = [i for r in self.server.store.chain(rec) for i in r.context]
        conv = body.get("conversation")
        if conv is not None:
            conv_id = conv.get("id") if isinstance(conv, dict) else conv
            if not isinstance(conv_id, str):
                raise errors.invalid_type("conversation", "one of a string or object with an 'id'", conv)
            earlier = self.server.conversations.items_for(conv_id)
        if not earlier and not current:
            raise errors.missing("input")
        return instructions, earlier + current

    async def compact(self, request: Request) -> Response:
        body = _object(await json_body(request))
        if body.get("model") is None:
            raise errors.missing("model")
        instructions, items = self._context(body)
        users = [i for i in items if i.get("type") == "message" and i.get("role") == "user"]
        rest = [i for i in items if not (i.get("type") == "message" and i.get("role") == "user")]
        output = users + [compaction_item(rest)]
        n_in = _count(instructions, items)
        n_out = _count(None, [output[-1]])
        return self.reply("compact", {"id": new_id("resp"), "object": "response.compaction",
                                      "created_at": int(time.time()), "output": output, "usage": usage(n_in, n_out)})

    async def input_tokens(self, request: Request) -> Response:
        body = _object(await json_body(request))
        instructions, items = self._context(body)
        return self.reply("input_tokens", {"object": "response.input_tokens",
                                           "input_tokens": _count(instructions, items)})

    async def create_conversation(self, request: Request) -> Response:
        body = _object(await json_body(request))
        conv = Conversation(metadata=_metadata(body), items=_new_items(body))
        self.server.conversations.add(conv)
        return self.reply("conversations", conv.to_json())

    async def get_conversation(self, request: Request) -> Response:
        return self.reply("conversations", self.server.conversations.get(request.path_params["cid"]).to_json())

    async def update_conversation(self, request: Request) -> Response:
        conv = self.server.conversations.get(request.path_params["cid"])
        conv.metadata = _metadata(_object(await json_body(request)))
        return self.reply("conversations", conv.to_json())

    async def delete_conversation(self, request: Request) -> Response:
        cid = request.path_params["cid"]
        self.server.conversations.delete(cid)
        return self.reply("conversations", {"id": cid, "object": "conversation.deleted", "deleted": True})

    async def list_items(self, request: Request) -> Response:
        conv = self.server.conversations.get(request.path_params["cid"])
        return self.reply("conversation_items", page(conv.items, request))

    async def add_items(self, request: Request) -> Response:
        conv = self.server.conversations.get(request.path_params["cid"])
        added = _new_items(_object(await json_body(request)))
        conv.items.extend(added)
        return self.reply("conversation_items", {"object": "list", "data": added,
                                                 "first_id": added[0]["id"] if added else None,
                                                 "last_id": added[-1]["id"] if added else None, "has_more": False})

    def _item(self, request: Request) -> tuple[Conversation, dict[str, Any]]:
        conv = self.server.conversations.get(request.path_params["cid"])
        for item in conv.items:
            if item.get("id") == request.path_params["iid"]:
                return conv, item
        raise ApiError(404, f"Item with id '{request.path_params['iid']}' not found.", param="item_id")

    async def get_item(self, request: Request) -> Response:
        return self.reply("conversation_items", self._item(request)[1])

    async def delete_item(self, request: Request) -> Response:
        conv, item = self._item(request)
        conv.items.remove(item)
        return self.reply("conversations", conv.to_json())


def routes(server: _Server) -> list[Route]:
    r = _Routes(server)
    base = "/v1/conversations/{cid}"
    return [
        Route("/v1/responses/compact", r.compact, methods=["POST"]),
        Route("/v1/responses/input_tokens", r.input_tokens, methods=["POST"]),
        Route("/v1/conversations", r.create_conversation, methods=["POST"]),
        Route(base, r.get_conversation, methods=["GET"]),
        Route(base, r.update_conversation, methods=["POST"]),
        Route(base, r.delete_conversation, methods=["DELETE"]),
        Route(base + "/items", r.list_items, methods=["GET"]),
        Route(base + "/items", r.add_items, methods=["POST"]),
        Route(base + "/items/{iid}", r.get_item, methods=["GET"]),
        Route(base + "/items/{iid}", r.delete_item, methods=["DELETE"]),
    ]


# WebSocket mode ------------------------------------------------------------------------------------------

def error_event(err: ApiError) -> dict[str, Any]:
    """The socket's `error` event (openai-python ResponsesServerEvent `error`): the HTTP error, nested."""
    return {"type": "error", "status": err.status,
            "error": {"type": err.type, "code": err.code, "message": err.message, "param": err.param}}


def _create_body(message: str) -> tuple[dict[str, Any], str | None]:
    """(the create body, stream_id) of a `response.create` client event; ApiError for anything else."""
    try:
        event = json.loads(message)
    except ValueError:
        raise ApiError(400, "The message is not valid JSON.", code="invalid_json") from None
    if not isinstance(event, dict) or event.get("type") != "response.create":
        kind = event.get("type") if isinstance(event, dict) else None
        raise ApiError(400, f"Invalid client event type {kind!r}: expected 'response.create'.", param="type",
                       code="invalid_event_type")
    if event.get("background"):
        raise ApiError(400, "background is not supported over WebSocket.", param="background")
    stream_id = event.get("stream_id") if isinstance(event.get("stream_id"), str) else None
    body = {k: v for k, v in event.items() if k not in ("type", "stream_id", "stream")}
    return body, stream_id


async def websocket_mode(server: _Server, ws: WebSocket) -> None:
    """`response.create` client events in, the stream's events out as JSON text messages, one turn at a time;
    an invalid create is answered with an `error` event and the socket stays open.

    The socket keeps its most recent response in memory (with the chain it continues), so a `store: false`
    response can be continued on the socket that made it and on no other; a failed turn (an error event, or
    a failed response) evicts the response it referenced. https://developers.openai.com/api/docs/guides/
    websocket-mode ("How continuation works")."""
    policy = server.hooks.socket or SocketPolicy()
    if policy.deny_status:
        err = (ApiError(policy.deny_status, "The server had an error while processing your request.",
                        type="server_error") if policy.deny_status >= 500
               else ApiError(policy.deny_status, "File Not Found", type="not_found_error"))
        await ws.send_denial_response(JSONResponse(err.body(), status_code=policy.deny_status))
        return
    await ws.accept()
    if policy.close_on_accept:
        await ws.close(policy.close_on_accept)
        return
    cache: dict[str, list[ResponseRecord]] = server.shared_socket_cache if policy.shared_cache else {}
    last: str | None = None  # the socket's most recent response
    while True:
        try:
            message = await ws.receive_text()
        except (WebSocketDisconnect, KeyError, RuntimeError):
            return  # the client left (KeyError/RuntimeError: it sent a binary frame or closed mid-read)
        referenced: Any = None
        try:
            body, stream_id = _create_body(message)
            referenced = body.get("previous_response_id")
            body = _deviate(server, policy, body, cache, last)
            rec, events = server.prepare(body, ws.headers, cache)
        except ApiError as err:
            if policy.close_on_error:
                await ws.close(policy.close_on_error)
                return
            if not policy.no_eviction and isinstance(referenced, str):
                cache.pop(referenced, None)
            await ws.send_text(json.dumps(error_event(err)))
            if policy.close_after_error or (policy.close_after_not_found
                                            and err.code == "previous_response_not_found"):
                await ws.close(1000)
                return
            continue
        if rec.request.store:
            server.store.save(rec)
        if rec.status == "failed":
            if not policy.no_eviction and isinstance(referenced, str):
                cache.pop(referenced, None)
        elif not policy.no_cache:
            chain = server.previous_chain(rec.request.previous_response_id, cache) + [rec]
            if not policy.shared_cache:
                cache.clear()  # one response per socket: the most recent
            cache[rec.id] = [] if policy.cache_without_context else chain
            last = rec.id
        for event in events:
            if event.get("type") in DELTA_TYPES and server.settings.token_delay:
                await asyncio.sleep(server.settings.token_delay)
            await ws.send_text(json.dumps({**event, "stream_id": stream_id} if stream_id else event))


def _deviate(server: _Server, policy: SocketPolicy, body: dict[str, Any], cache: Mapping[str, Any],
             last: str | None) -> dict[str, Any]:
    """The create body as a faulty socket would serve it (the clean server changes nothing)."""
    prev = body.get("previous_response_id")
    if policy.drop_previous_response_id:
        body.pop("previous_response_id", None)
    if (policy.unknown_previous_ignored and isinstance(prev, str) and prev not in cache
            and server.store.get(prev) is None):
        body.pop("previous_response_id", None)
    if policy.implicit_chain and prev is None and last is not None and body.get("conversation") is None:
        body["previous_response_id"] = last
    return body
