"""WebSocket mode: `response.create` events on a socket to /v1/responses, answered with the usual stream events (judged
by the same stream checks), two turns chained on one socket, an error event and the socket after it.

One item per (scenario, check) pair of the `websocket` family, id `<scenario>::<check>`; the registry decides the pairs.
"""

from __future__ import annotations

from conformance.pytest_plugin import SuiteRun, evaluate

FAMILY = "websocket"


def test_check(rc_pair, rc_run: SuiteRun) -> None:
    evaluate(rc_run, *rc_pair)
