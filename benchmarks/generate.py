"""A long, valid OpenAI-style stream written as one recording: the input of the throughput and memory benchmarks.

    python benchmarks/generate.py EVENTS OUT.json

The stream is what OpenAI sends for a long answer (DESIGN §4, §5): created, in_progress, then message items
of DELTAS_PER_ITEM output_text deltas each (with `logprobs`, `obfuscation` and `sequence_number`, as
OpenAI sends them), each closed by output_text.done, content_part.done and output_item.done, and a
response.completed whose output repeats every item. Every check PASSes it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

DELTAS_PER_ITEM = 1000
WORDS = ("The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".")
RESP_ID = "resp_bench"


def _response(status: str, output: list[Any]) -> dict[str, Any]:
    done = status == "completed"
    return {
        "id": RESP_ID, "object": "response", "created_at": 1760000000, "status": status, "background": False,
        "completed_at": 1760000100 if done else None, "error": None, "incomplete_details": None,
        "instructions": None, "max_output_tokens": None, "max_tool_calls": None, "model": "gpt-4o-2024-08-06",
        "output": output, "parallel_tool_calls": True, "previous_response_id": None, "prompt_cache_key": None,
        "reasoning": {"effort": None, "summary": None}, "safety_identifier": None, "service_tier": "default",
        "store": True, "temperature": 1.0, "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto", "tools": [], "top_logprobs": 0, "top_p": 1.0, "truncation": "disabled",
        "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 5,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15} if done else None,
        "user": None, "metadata": {},
    }


def _events(n: int) -> Iterator[dict[str, Any]]:
    """About n events: whole items of DELTAS_PER_ITEM deltas (fewer deltas in the last one)."""
    yield {"type": "response.created", "response": _response("in_progress", [])}
    yield {"type": "response.in_progress", "response": _response("in_progress", [])}
    budget = max(n - 3, 6)
    output: list[dict[str, Any]] = []
    while budget > 0:
        deltas = max(1, min(DELTAS_PER_ITEM, budget - 5))
        budget -= deltas + 5
        index = len(output)
        item_id = f"msg_{index:06d}"
        ref = {"item_id": item_id, "output_index": index, "content_index": 0}
        yield {"type": "response.output_item.added", "output_index": index,
               "item": {"id": item_id, "type": "message", "status": "in_progress", "content": [], "role": "assistant"}}
        yield {"type": "response.content_part.added", **ref,
               "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}}
        chunks = [WORDS[i % len(WORDS)] for i in range(deltas)]
        for c in chunks:
            yield {"type": "response.output_text.delta", **ref, "delta": c, "logprobs": [], "obfuscation": "Xk2Lq"}
        text = "".join(chunks)
        yield {"type": "response.output_text.done", **ref, "text": text, "logprobs": []}
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
        yield {"type": "response.content_part.done", **ref, "part": part}
        item = {"id": item_id, "type": "message", "status": "completed", "content": [part], "role": "assistant"}
        output.append(item)
        yield {"type": "response.output_item.done", "output_index": index, "item": item}
    yield {"type": "response.completed", "response": _response("completed", output)}


def sse_text(n: int) -> Iterator[str]:
    for seq, ev in enumerate(_events(n)):
        ev = {"type": ev["type"], "sequence_number": seq, **{k: v for k, v in ev.items() if k != "type"}}
        yield f"event: {ev['type']}\ndata: {json.dumps(ev, separators=(',', ':'))}\n\n"


def write(n: int, out: Path) -> int:
    """Write the recording; return how many events it holds. The stream is written as a JSON string piece by
    piece, so generating a million events needs no more memory than judging them."""
    head = {"source": "benchmarks/generate.py", "recorded_from": "generated", "recorded_at": "2026-11-01T00:00:00Z",
            "request": {"method": "POST", "path": "/v1/responses", "headers": {"content-type": "application/json"},
                        "body": {"model": "gpt-4o-2024-08-06", "input": "Write at length.", "stream": True}}}
    count = 0
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps(head)[:-1])
        f.write(', "response": {"status": 200, "headers": {"content-type": "text/event-stream; charset=utf-8"}, '
                '"body": null, "sse": "')
        for block in sse_text(n):
            f.write(json.dumps(block)[1:-1])
            count += 1
        f.write('"}, "features": ["streaming"], "notes": []}\n')
    return count


if __name__ == "__main__":
    events = write(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{events} events -> {sys.argv[2]}")
