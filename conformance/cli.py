"""The `responses-conformance` command. Each subcommand lives in its own module, which defines
``add_arguments(parser)`` and ``main(args) -> int``; this file only wires them together.

Exit status (docs/rules.md#contracts): 0 when no FAIL and no ERROR, 1 otherwise, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from conformance import __version__

# name -> (module, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("conformance.run_command", "run the suite against an endpoint (default: the embedded reference server)"),
    "replay": ("conformance.replay", "judge recorded exchanges offline"),
    "serve": ("conformance.reference.serve_command", "run the reference server, optionally with injected faults"),
    "compare": ("conformance.report.compare", "compare reports side by side: checks as rows, targets as columns"),
    "matrix": ("conformance.matrix", "the compatibility matrix of several targets (docs/compatibility.md and .html)"),
    "diff": ("conformance.report.diff", "show regressions and fixes between two reports"),
    "list": ("conformance.catalog", "print the check catalog"),
}


class _HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default, unless it has none worth saying or its help already names it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if action.default in (None, False, [], argparse.SUPPRESS) or "default" in help_text or not action.option_strings:
            return help_text
        return f"{help_text} (default: %(default)s)"


class UsageError(Exception):
    """Bad usage that argparse cannot see (e.g. an unknown fault name). Exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="responses-conformance",
        description="Conformance suite for OpenAI-compatible Responses API endpoints.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_HelpFormatter)
        mod = importlib.import_module(module)
        mod.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its usage error (status 2) or --help (0)
        return int(exc.code or 0)
    args._argv = list(sys.argv[1:] if argv is None else argv)  # `run --targets` passes it on to each target's run
    mod = importlib.import_module(args._module)
    try:
        return int(mod.main(args))
    except UsageError as exc:
        print(f"responses-conformance {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`list | head -1`): stop quietly, and keep the interpreter's final flush
        # from raising again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
