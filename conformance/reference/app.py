"""The reference server's ASGI app (Starlette). Routes, the request pipeline and where each hook runs."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute

from conformance.reference import errors, framing, surface
from conformance.reference.errors import ApiError
from conformance.reference.events import DELTA_TYPES, SERVER_ERROR, plan_events
from conformance.reference.hooks import Chunk, Hooks, Reply
from conformance.reference.model import Context, generate
from conformance.reference.objects import TERMINAL_STATUSES, ResponseRecord, body_object
from conformance.reference.request import MODEL_ID, parse_create
from conformance.reference.store import Store
from conformance.reference.surface import Conversations, json_body


class ConnectionDropped(Exception):
    """Raised inside a stream's body: the server drops the connection without ending the chunked body, as a
    server that crashes mid-stream does (fault stream-server-closes); kept out of uvicorn's log."""


def _not_a_dropped_connection(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


MODELS_CREATED_AT = 1735689600  # 2025-01-01, a fixed `created` for GET /v1/models
OVERLAP_HOLD_S = 0.05  # how long a server with an overlap fault holds each create


@dataclass
class Settings:
    hooks: Hooks = field(default_factory=Hooks)
    token_delay: float = 0.0  # seconds before each streamed token (and per token for JSON bodies)
    hang_limit: float = 300.0  # longest a `hang` chunk holds a connection open


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    log = logging.getLogger("uvicorn.error")
    if _not_a_dropped_connection not in log.filters:
        log.addFilter(_not_a_dropped_connection)
    server = _Server(settings)
    routes = [
        Route("/v1/models", server.list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", server.get_model, methods=["GET"]),
        Route("/v1/responses", server.create, methods=["POST"]),
        WebSocketRoute("/v1/responses", lambda ws: surface.websocket_mode(server, ws)),
        *surface.routes(server),
        Route("/v1/responses/{response_id}", server.retrieve, methods=["GET"]),
        Route("/v1/responses/{response_id}", server.delete, methods=["DELETE"]),
        Route("/v1/responses/{response_id}/input_items", server.input_items, methods=["GET"]),
        Route("/v1/responses/{response_id}/cancel", server.cancel, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: server.http_error, ApiError: server.api_error})
    app.state.store = server.store
    return app


class _Server:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hooks = settings.hooks
        self.store = Store()
        self.conversations = Conversations()
        self.in_flight: list[dict[str, Any]] = []  # create bodies being held (only with an overlap hook)
        self.shared_socket_cache: dict[str, list[ResponseRecord]] = {}  # only with the ws-unstored-cache-shared fault
        self.busy_until = 0.0  # loop time until which creates wait (ConnectionPolicy.abandoned_blocks_s)

    # Replies ---------------------------------------------------------------------------------------------

    def reply(self, reply: Reply) -> Response:
        if self.hooks.reply:
            reply = self.hooks.reply(reply)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers or None)

    def error(self, err: ApiError) -> Response:
        return self.reply(Reply("error", err.status, err.body(), dict(err.headers)))

    def response_reply(self, route: str, rec: ResponseRecord) -> Response:
        body = body_object(rec)
        if self.hooks.response:
            body = self.hooks.response(body)
        return self.reply(Reply(route, 200, body, subject=body))

    async def api_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return self.error(exc)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = f"Invalid URL ({request.method} {request.url.path})"
        return self.error(ApiError(exc.status_code, message))

    def stream(self, chunks: list[Chunk]) -> Response:
        if self.hooks.chunks:
            chunks = self.hooks.chunks(chunks)
        return StreamingResponse(self._write(_aiter(chunks)), headers={"content-type": self.content_type})

    def live_stream(self, events: AsyncIterator[dict[str, Any]]) -> Response:
        """A stream whose events are still being produced (background runs): framed one by one."""
        return StreamingResponse(self._write(self._frame_live(events)), headers={"content-type": self.content_type})

    async def _frame_live(self, events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[Chunk]:
        async for event in events:
            chunks = [Chunk(framing.encode_event(event))]
            for chunk in self.hooks.chunks(chunks) if self.hooks.chunks else chunks:
                yield chunk

    @property
    def content_type(self) -> str:
        # Set as a header, not a media type: Starlette would append a charset to any text/ type.
        return self.hooks.content_type or framing.CONTENT_TYPE

    async def _write(self, chunks: AsyncIterator[Chunk]) -> AsyncIterator[bytes]:
        # Chunks due at the same moment go out in one write: many tiny writes cost a delayed ACK each.
        pending = ""
        ended = False
        try:
            async for chunk in chunks:
                if chunk.delay or chunk.hang:
                    if pending:
                        yield pending.encode("utf-8")
                        pending = ""
                    await asyncio.sleep(chunk.delay)
                if chunk.hang:
                    await asyncio.sleep(self.settings.hang_limit)
                    return
                if chunk.abort:
                    if pending:
                        yield pending.encode("utf-8")
                    raise ConnectionDropped("the stream is cut by a fault")  # uvicorn drops the connection mid-body
                pending += chunk.text
            if pending:
                yield pending.encode("utf-8")
            ended = True
        finally:
            policy = self.hooks.connection
            if not ended and policy and policy.abandoned_blocks_s:  # the client left before the end
                self.busy_until = asyncio.get_running_loop().time() + policy.abandoned_blocks_s

    # Routes ----------------------------------------------------------------------------------------------

    async def list_models(self, request: Request) -> Response:
        return self.reply(Reply("models", 200, {"object": "list", "data": [_model_card()]}))

    async def get_model(self, request: Request) -> Response:
        model_id = request.path_params["model_id"]
        if model_id != MODEL_ID:
            raise ApiError(404, f"The model '{model_id}' does not exist", param="model", code="model_not_found")
        return self.reply(Reply("models", 200, _model_card()))

    async def create(self, request: Request) -> Response:
        body = await json_body(request)
        await self._wait_while_busy()
        if self.hooks.overlap and isinstance(body, dict):
            body = await self._overlapping(body)
        rec, events = self.prepare(body, request.headers)
        req = rec.request
        if req.background:
            return self._start_background(rec, events)
        if req.store:
            self.store.save(rec)
        if req.stream:
            return self.stream(framing.to_chunks(events, self.settings.token_delay))
        if self.settings.token_delay:
            await asyncio.sleep(self.settings.token_delay * (rec.usage or {}).get("output_tokens", 0))
        if rec.status == "failed":
            raise ApiError(500, SERVER_ERROR["message"], type="server_error", code="server_error")
        return self.response_reply("create", rec)

    def prepare(self, body: Any, headers: Mapping[str, str],
                cached: Mapping[str, list[ResponseRecord]] | None = None,
                ) -> tuple[ResponseRecord, list[dict[str, Any]]]:
        """The create pipeline shared by HTTP and WebSocket mode: hooks, validation, context, model, events.
        Adds the turn to its conversation. Raises ApiError for a refused request. `cached` is a socket's own
        responses (id -> its chain, oldest first), looked up before the store."""
        if self.hooks.rewrite_request and isinstance(body, dict):
            body = self.hooks.rewrite_request(body, headers)
        if self.hooks.check_request and isinstance(body, dict):
            refusal = self.hooks.check_request(body, headers)
            if refusal is not None:
                raise refusal
        req = parse_create(body)
        chain = self.previous_chain(req.previous_response_id, cached or {})
        earlier = self.conversations.items_for(req.conversation) if req.conversation else []
        ctx = Context(req.instructions, earlier + [i for r in chain for i in r.context] + req.input_items,
                      req.input_items)
        _check_tool_outputs(ctx, chain)
        if self.hooks.context:
            ctx = self.hooks.context(ctx, chain)
        gen = generate(req, ctx)
        rec = ResponseRecord(request=req)
        events = plan_events(rec, gen)
        rec.context = req.input_items + rec.output
        if self.hooks.events:
            events = self.hooks.events(events)
        if req.conversation:
            self.conversations.append(req.conversation, rec.context)
        return rec, events

    async def _wait_while_busy(self) -> None:
        """ConnectionPolicy.abandoned_blocks_s: wait out the busy time an abandoned stream left behind."""
        wait = self.busy_until - asyncio.get_running_loop().time()
        if wait <= 0:
            return
        try:
            await asyncio.sleep(wait)
        except asyncio.CancelledError:  # the server is shutting down: answer rather than end in a traceback
            raise ApiError(503, "The server is shutting down.", type="server_error") from None

    async def _overlapping(self, body: dict[str, Any]) -> dict[str, Any]:
        """Hold the create briefly among the others in flight, then let the overlap hook see them."""
        assert self.hooks.overlap is not None
        self.in_flight.append(body)
        try:
            await asyncio.sleep(OVERLAP_HOLD_S)
            return self.hooks.overlap(body, [b for b in self.in_flight if b is not body])
        finally:
            self.in_flight.remove(body)

    def previous_chain(self, previous_id: str | None, cached: Mapping[str, list[ResponseRecord]]
                       ) -> list[ResponseRecord]:
        """The chain a create continues, oldest first: a socket's cached one, else the stored one."""
        if previous_id is None:
            return []
        if previous_id in cached:
            return list(cached[previous_id])
        prev = self.store.get(previous_id)
        if prev is None:
            raise ApiError(400, f"Previous response with id '{previous_id}' not found.",
                           param="previous_response_id", code="previous_response_not_found")
        return self.store.chain(prev)

    def _start_background(self, rec: ResponseRecord, events: list[dict[str, Any]]) -> Response:
        final = {key: getattr(rec, key) for key in ("status", "output", "usage", "error", "incomplete_details",
                                                     "completed_at")}
        rec.status, rec.output, rec.usage, rec.error, rec.incomplete_details, rec.completed_at = (
            "queued", [], None, None, None, None)
        self.store.save(rec)
        snapshot = body_object(rec)
        self.store.start_background(rec, events, final, self.settings.token_delay, DELTA_TYPES)
        if rec.request.stream:
            return self.live_stream(self.store.follow(rec, -1))
        if self.hooks.response:
            snapshot = self.hooks.response(snapshot)
        return self.reply(Reply("create", 200, snapshot, subject=snapshot))

    def _stored(self, request: Request) -> ResponseRecord:
        response_id = request.path_params["response_id"]
        rec = self.store.get(response_id)
        if rec is None:
            raise errors.response_not_found(response_id)
        return rec

    async def retrieve(self, request: Request) -> Response:
        rec = self._stored(request)
        if request.query_params.get("stream", "false").lower() != "true":
            return self.response_reply("retrieve", rec)
        if not rec.request.background:
            raise ApiError(400, "Only responses created with background=true can be streamed.", param="stream")
        raw_after = request.query_params.get("starting_after", "-1")
        try:
            starting_after = int(raw_after)
        except ValueError:
            raise errors.invalid_type("starting_after", "an integer", raw_after) from None
        return self.live_stream(self.store.follow(rec, starting_after))

    async def delete(self, request: Request) -> Response:
        rec = self._stored(request)
        self.store.delete(rec.id)
        return self.reply(Reply("delete", 200, {"id": rec.id, "object": "response.deleted", "deleted": True}))

    async def cancel(self, request: Request) -> Response:
        rec = self._stored(request)
        if not rec.request.background:
            body = body_object(rec)
            err = ApiError(400, "Only responses created with background=true can be cancelled.")
            return self.reply(Reply("cancel", 400, err.body(), subject=body))
        if rec.status not in TERMINAL_STATUSES:
            self.store.cancel(rec)
        return self.response_reply("cancel", rec)

    async def input_items(self, request: Request) -> Response:
        rec = self._stored(request)
        return self.reply(Reply("input_items", 200, surface.page(rec.request.input_items, request)))


def _model_card() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": MODELS_CREATED_AT, "owned_by": "responses-conformance"}


def _check_tool_outputs(ctx: Context, chain: list[ResponseRecord]) -> None:
    """OpenAI refuses a function_call_output whose call it cannot see, and a turn that leaves the previous
    response's function calls unanswered."""
    calls = {i["call_id"] for i in ctx.items if i.get("type") == "function_call"}
    answered = {i["call_id"] for i in ctx.current if i.get("type") == "function_call_output"}
    for call_id in sorted(answered - calls):
        raise ApiError(400, f"No tool call found for function call output with call_id {call_id}.", param="input")
    if chain:
        pending = [i["call_id"] for i in chain[-1].output if i.get("type") == "function_call"]
        for call_id in pending:
            if call_id not in answered:
                raise ApiError(400, f"No tool output found for function call {call_id}.", param="input")


async def _aiter(chunks: list[Chunk]) -> AsyncIterator[Chunk]:
    for chunk in chunks:
        yield chunk


