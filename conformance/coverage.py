"""docs/coverage.md: every method of the pinned SDK's `responses` resource and every create parameter, with
the scenarios whose traffic exercises it, or "not covered" and why.

Measured, not declared: the whole scenario set runs once against the reference server and the table is read
off the recorded requests, so a scenario that stops sending a parameter drops out of the table.
`python -m conformance.coverage --write` regenerates the file; tests/test_coverage_doc.py fails when it is
stale or when an SDK method or parameter is neither exercised nor explained in NOT_COVERED.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable

from conformance.exchange import Exchange, Transcript
from conformance.extract import is_websocket
from conformance.schemagen import SDK_VERSION

DOC = Path(__file__).resolve().parent.parent / "docs" / "coverage.md"

# Why a method or parameter has no scenario. Every uncovered one must be listed (the test checks).
NOT_COVERED = {
    "background_options": "OpenAI's completion windows (`2h`, `8h`: discounted, hours long) and a billing-priority "
                          "hint; nothing a conformance run can wait for, and `background.*` covers background mode",
    "access_programs": "OpenAI-only Cyber access tiers; no compatible server offers them, and nothing to observe "
                       "on the wire but a 403",
    "context_management": "server-side compaction triggered past a token threshold (minimum 1000 tokens): too "
                          "costly for a conformance run; `compact.*` covers compaction explicitly",
    "image": "image context-compression policy for long image histories; no observable effect on one request",
    "moderation": "OpenAI's moderation policy; not part of the compatible surface",
    "prompt": "prompt templates are stored objects created in OpenAI's dashboard; a third-party endpoint cannot "
              "hold one (the reference server refuses it)",
    "prompt_cache_options": "cache diagnostics only; no observable effect on the answer",
}

PATH_AFTER_BASE = re.compile(r"/responses(/.*)?$")


def sdk_methods() -> list[str]:
    """Public methods of the pinned SDK's `client.responses` (sub-resources as `input_items.list`)."""
    from openai.resources.responses import Responses
    from openai.resources.responses.input_items import InputItems
    from openai.resources.responses.input_tokens import InputTokens

    skip = {"with_raw_response", "with_streaming_response", "input_items", "input_tokens"}
    names = [n for n in vars(Responses) if not n.startswith("_") and n not in skip]
    names += [f"input_items.{n}" for n in vars(InputItems) if not n.startswith("_") and n not in skip]
    names += [f"input_tokens.{n}" for n in vars(InputTokens) if not n.startswith("_") and n not in skip]
    return names


def create_params() -> list[str]:
    from openai.types.responses.response_create_params import ResponseCreateParamsBase, ResponseCreateParamsStreaming

    return sorted(set(ResponseCreateParamsBase.__annotations__) | set(ResponseCreateParamsStreaming.__annotations__))


def _rest(ex: Exchange) -> list[str] | None:
    m = PATH_AFTER_BASE.search(ex.request.path.split("?", 1)[0])
    return None if m is None else [s for s in (m.group(1) or "").split("/") if s]


def _is_create(ex: Exchange) -> bool:
    return (_rest(ex) == [] and ex.method == "POST") or (is_websocket(ex) and ex.method == "WS")


# What each SDK method puts on the wire.
WIRE: dict[str, Callable[[Exchange], bool]] = {
    "create": lambda ex: _rest(ex) == [] and ex.method == "POST",
    # parse is client-side; on the wire it is a create with a json_schema text.format
    "parse": lambda ex: _rest(ex) == [] and ex.method == "POST" and isinstance(ex.request.body, dict)
    and isinstance(ex.request.body.get("text"), dict) and isinstance(ex.request.body["text"].get("format"), dict)
    and ex.request.body["text"]["format"].get("type") == "json_schema",
    "stream": lambda ex: _rest(ex) == [] and ex.method == "POST" and isinstance(ex.request.body, dict)
    and ex.request.body.get("stream") is True,
    "retrieve": lambda ex: ex.method == "GET" and len(_rest(ex) or []) == 1,
    "delete": lambda ex: ex.method == "DELETE" and len(_rest(ex) or []) == 1,
    "cancel": lambda ex: ex.method == "POST" and (_rest(ex) or [None])[-1:] == ["cancel"],
    "compact": lambda ex: ex.method == "POST" and _rest(ex) == ["compact"],
    "connect": lambda ex: is_websocket(ex) and ex.method == "WS",
    "input_items.list": lambda ex: ex.method == "GET" and len(_rest(ex) or []) == 2
    and (_rest(ex) or [None])[-1] == "input_items",
    "input_tokens.count": lambda ex: ex.method == "POST" and _rest(ex) == ["input_tokens"],
}


def exercised(transcripts: Iterable[Transcript]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(method -> scenarios, create parameter -> scenarios) from recorded traffic. A WebSocket
    `response.create` event counts for the parameters it carries."""
    methods: dict[str, set[str]] = defaultdict(set)
    params: dict[str, set[str]] = defaultdict(set)
    for t in transcripts:
        for ex in [*t.exchanges, *t.borrowed.values()]:  # a shared step exercises every scenario that reads it
            if ex.label == "cleanup":
                continue
            for name, test in WIRE.items():
                if test(ex):
                    methods[name].add(t.scenario)
            if _is_create(ex) and isinstance(ex.request.body, dict):
                for key in ex.request.body:
                    params[key].add(t.scenario)
    return methods, params


def _row(name: str, scenarios: set[str]) -> str:
    if scenarios:
        return f"| `{name}` | " + ", ".join(f"`{s}`" for s in sorted(scenarios)) + " |"
    return f"| `{name}` | not covered: {NOT_COVERED.get(name, 'NOT EXPLAINED: add a scenario or a reason')} |"


def render(methods: dict[str, set[str]], params: dict[str, set[str]]) -> str:
    lines = [
        "# API coverage",
        "",
        f"Every method of openai-python {SDK_VERSION}'s `client.responses` and every `responses.create` "
        "parameter, with the scenarios whose requests exercise it. Generated by `python -m conformance.coverage "
        "--write` from the traffic of one run against the reference server (not declared by hand); "
        "`tests/test_coverage_doc.py` fails when this file is stale or when something is neither exercised nor "
        "explained.",
        "",
        "## Methods of `client.responses`",
        "",
        "| method | scenarios |",
        "|---|---|",
    ]
    lines += [_row(m, methods.get(m, set())) for m in sdk_methods()]
    lines += ["", "## Parameters of `responses.create`", "", "| parameter | scenarios |", "|---|---|"]
    lines += [_row(p, params.get(p, set())) for p in create_params()]
    extra = sorted(set(params) - set(create_params()) - {"type"})
    if extra:
        lines += ["", "Sent but not `responses.create` parameters of the SDK: " + ", ".join(f"`{p}`" for p in extra)
                  + " (deliberately invalid requests, WebSocket-only fields)."]
    return "\n".join(lines) + "\n"


def unexplained(methods: dict[str, set[str]], params: dict[str, set[str]]) -> list[str]:
    return [n for n in sdk_methods() if not methods.get(n) and n not in NOT_COVERED] + [
        p for p in create_params() if not params.get(p) and p not in NOT_COVERED]


def stale_reasons(methods: dict[str, set[str]], params: dict[str, set[str]]) -> list[str]:
    """NOT_COVERED entries for things a scenario now exercises (or that the SDK no longer has)."""
    known = set(sdk_methods()) | set(create_params())
    return [n for n in NOT_COVERED if n not in known or methods.get(n) or params.get(n)]


def measure() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Run every scenario once against the reference server (scenarios only, nothing judged)."""
    from conformance.live.runner import run_scenarios
    from conformance.live.target import Target
    from conformance.reference.server import ReferenceServer

    with ReferenceServer(token_delay=0.001) as srv:
        target = Target(name="reference", base_url=srv.base_url, idle_timeout_s=1.0, request_timeout_s=15.0)
        return exercised(run_scenarios(target))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    methods, params = measure()
    text = render(methods, params)
    if "--write" in argv:
        DOC.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    missing = unexplained(methods, params)
    if missing:
        print(f"neither exercised nor explained: {missing}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
