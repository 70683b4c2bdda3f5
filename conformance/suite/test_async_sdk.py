"""Async SDK tier: AsyncOpenAI's create, streams, parse and retrieve, streams at once through one client, pooled
keep-alive connections and an abandoned stream, against the endpoint.

One item per (scenario, check) pair of the `async_sdk` family, id `<scenario>::<check>`; the registry decides the
pairs. The items are coroutines run by pytest-asyncio, marked explicitly so they run the same in strict mode (the
suite's own, conformance/suite/pytest.ini) and in a user's auto mode.
"""

from __future__ import annotations

import pytest

from conformance.pytest_plugin import SuiteRun, evaluate_async

FAMILY = "async_sdk"


@pytest.mark.asyncio
async def test_check(rc_pair, rc_run: SuiteRun) -> None:
    await evaluate_async(rc_run, *rc_pair)
