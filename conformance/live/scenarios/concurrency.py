"""Many requests at once: the same small create, first alone (streamed and not), then six at once (three
streamed, three not), each with its own code word in `input` and `metadata`. Answers must all be valid and
each must be its own (concurrency.* checks); every stream is judged by the stream checks as usual."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conformance.live.scenario import ScenarioAborted, ScenarioContext, batch_instructions, nonce, scenario

PARALLEL = 6
RELEASE_TIMEOUT_S = 10.0  # the barrier that lines the requests up never waits longer than this


def request_body(word: str, instructions: str) -> dict[str, Any]:
    return {"instructions": instructions, "input": f"The code word is {word}.", "metadata": {"nonce": word},
            "store": False, "max_output_tokens": 32}


@scenario("concurrency.parallel", f"One create alone and one streamed alone (the baseline), then {PARALLEL} at "
          "once (half streamed), each with its own code word in input and metadata", streams=True, chain=7)
def parallel(ctx: ScenarioContext) -> None:
    words = [nonce("PAR") for _ in range(PARALLEL + 2)]
    ctx.params["nonces"] = {"alone": words[0], "alone-stream": words[1],
                            **{f"parallel-{i}": words[i + 2] for i in range(PARALLEL)}}
    instructions = batch_instructions()
    ctx.create("alone", request_body(words[0], instructions))
    ctx.create("alone-stream", request_body(words[1], instructions), stream=True)
    gate = threading.Barrier(PARALLEL, timeout=RELEASE_TIMEOUT_S)

    def send(i: int) -> None:
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass  # a thread did not start in time: send anyway, overlap is then only likely
        try:
            ctx.create(f"parallel-{i}", request_body(words[i + 2], instructions), stream=i % 2 == 1, together=True)
        except ScenarioAborted:
            pass  # refused connections under load, after the baseline got through: recorded, judged as such

    with ThreadPoolExecutor(PARALLEL, thread_name_prefix="concurrency") as pool:
        for future in [pool.submit(send, i) for i in range(PARALLEL)]:
            future.result()
