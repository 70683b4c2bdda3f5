"""`responses-conformance serve`: run the reference server in the foreground."""

from __future__ import annotations

import argparse

import uvicorn

from conformance.cli import UsageError
from conformance.reference.app import Settings, create_app
from conformance.reference.catalogue import UnknownName, resolve_hooks
from conformance.reference.profiles import PROFILES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks one)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="inject a named fault (repeatable); see docs/faults.md")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="behave like a documented system")
    parser.add_argument("--token-delay", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long before each generated token (simulates a slow endpoint)")


def main(args: argparse.Namespace) -> int:
    try:
        hooks = resolve_hooks(args.fault, args.profile)
    except UnknownName as exc:
        raise UsageError(str(exc)) from None
    if args.token_delay < 0:
        raise UsageError("--token-delay must not be negative")
    app = create_app(Settings(hooks=hooks, token_delay=args.token_delay))
    extras = "".join(f" --fault {name}" for name in args.fault) + (f" --profile {args.profile}" if args.profile else "")
    print(f"reference server on http://{args.host}:{args.port}/v1 (model reference-echo){extras}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws="websockets-sansio")
    return 0
