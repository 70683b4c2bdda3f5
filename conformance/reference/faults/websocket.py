"""Faults of the websocket family: WebSocket mode on /v1/responses (checks/websocket.py)."""

from __future__ import annotations

from conformance.reference.faults.base import Fault, fault
from conformance.reference.hooks import SocketPolicy


FAULTS: list[Fault] = [
    fault("ws-upgrade-500", "The WebSocket upgrade on /v1/responses is answered with HTTP 500.", "synthetic",
          socket=SocketPolicy(deny_status=500)),
    fault("ws-close-1011", "WebSocket mode accepts the upgrade, then closes the socket with code 1011.",
          "a gateway seen by the Open Responses compliance test (issue 11)", socket=SocketPolicy(close_on_accept=1011)),
    fault("ws-previous-response-dropped", "Over a socket, `previous_response_id` is ignored.", "synthetic",
          socket=SocketPolicy(drop_previous_response_id=True)),
    fault("ws-error-closes", "An invalid response.create closes the socket (code 1008) without an `error` event.",
          "synthetic", socket=SocketPolicy(close_on_error=1008)),
    fault("ws-closed-after-error", "After the `error` event for an invalid response.create, the socket is "
          "closed.", "synthetic", socket=SocketPolicy(close_after_error=True)),
    fault("ws-unknown-previous-ignored", "Over a socket, a previous_response_id naming no response is ignored: the "
          "create is answered as a new response.", "synthetic (Ollama ignores previous_response_id over HTTP, "
          "docs/rules.md#known-deviations)", socket=SocketPolicy(unknown_previous_ignored=True)),
    fault("ws-closed-after-not-found", "After a previous_response_not_found error event, the socket is closed.",
          "synthetic", socket=SocketPolicy(close_after_not_found=True)),
    fault("ws-unstored-not-cached", "A socket keeps none of its responses: a store: false response cannot be "
          "continued on its own socket (previous_response_not_found).", "this reference server before issue 19",
          socket=SocketPolicy(no_cache=True)),
    fault("ws-unstored-context-lost", "A socket keeps its responses' ids but not their content: a store: false "
          "continuation is answered without the earlier turns.", "synthetic",
          socket=SocketPolicy(cache_without_context=True)),
    fault("ws-unstored-cache-shared", "Every socket reaches every socket's responses: a store: false response is "
          "continued from another socket.", "synthetic", socket=SocketPolicy(shared_cache=True)),
    fault("ws-failed-not-evicted", "A failed turn leaves the response it referenced in the socket's cache: it can "
          "still be continued from the stale state.", "synthetic", socket=SocketPolicy(no_eviction=True)),
    fault("ws-implicit-chain", "A create without previous_response_id on a socket continues the socket's last "
          "response.", "synthetic", socket=SocketPolicy(implicit_chain=True)),
]
