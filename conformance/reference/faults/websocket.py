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
]
