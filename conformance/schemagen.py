"""Generate ``schemas/`` from the pinned openai-python release: ``python -m conformance.schemagen``.

``python -m conformance.schemagen --newest`` is the upgrade in one command: it asks pip for the newest
openai-python that the package's dependency range allows (into a scratch folder, the venv untouched),
generates from it, and rewrites ``SDK_VERSION`` below and the test extra's pin in pyproject.toml.

Every generated schema is exactly ``pydantic.TypeAdapter(<SDK class>).json_schema()``. Two bodies have no SDK
model and are hand-written here (ERROR_ENVELOPE, DELETE_BODY). The relaxation overlay (RELAXATIONS) is kept
apart from the generated files and applied when the validators are compiled (conformance/schemas.py), so
the vendored schemas stay byte-for-byte what the SDK says and every departure from it is listed in one place.
``tests/test_schemas.py::test_no_drift`` regenerates everything in memory and compares it with ``schemas/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

SDK_VERSION = "3.57.0"
REPO = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO / "schemas"
PYPROJECT = REPO / "pyproject.toml"

# The error envelope OpenAI sends with every 4xx (also for stream: true). `param` and `code` are nullable
# but always present in recorded OpenAI traffic. Hand-written: the SDK has no model for the envelope.
ERROR_ENVELOPE: dict[str, Any] = {
    "$comment": "Hand-written (no SDK model). Source: docs/rules.md#real-traffic ('Errors') and recorded OpenAI 4xx bodies.",
    "title": "ErrorEnvelope",
    "type": "object",
    "additionalProperties": True,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": True,
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}

# DELETE /v1/responses/{id}. The docs show object "response"; OpenAI really sends "response.deleted".
DELETE_BODY: dict[str, Any] = {
    "$comment": "Hand-written (no SDK model). Source: docs/rules.md#real-traffic ('DELETE body') and recorded OpenAI DELETEs.",
    "title": "ResponseDeleted",
    "type": "object",
    "additionalProperties": True,
    "required": ["id", "deleted"],
    "properties": {
        "id": {"type": "string"},
        "deleted": {"const": True},
        "object": {"enum": ["response", "response.deleted"]},
    },
}

# The relaxation overlay: where real OpenAI traffic departs from the SDK types. Each entry targets a model
# (a `$defs` key, or the root title) in every file that holds it, and either drops a property from
# `required` ("optional"), adds `null` to a property's types ("nullable"), or accepts another shape for the
# whole model ("alternative": a `$defs` model or the root). Only entries that OpenAI traffic needs belong
# here; tests/test_schemas.py proves each one is needed: by the shared recordings, or, for traffic seen
# elsewhere, by the `example` the entry carries (it fails without the entry and passes with it).
RELAXATIONS: list[dict[str, Any]] = [
    {
        "model": "InputTokensDetails",
        "property": "cache_write_tokens",
        "op": "optional",
        "why": "OpenAI sent no `usage.input_tokens_details.cache_write_tokens` before 2026-07: every recording "
        "from 2025-06 to 2026-06 lacks it (e.g. fantasy__generate__0.json), those from 2026-08 have it.",
    },
    {
        "model": "ActionSearchSource",
        "op": "alternative",
        "value": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"const": "api"}, "name": {"type": "string"}},
        },
        "why": "web_search_call `action.sources` also holds `{\"type\": \"api\", \"name\": \"oai-weather\"}`; the SDK "
        "declares only url sources (openai-dotnet__WebSearchCall*__0.json, 2026-03).",
    },
    {
        "model": "ResponseErrorEvent",
        "op": "alternative",
        "value": {
            "type": "object",
            "required": ["type", "error"],
            "properties": {
                "type": {"const": "error"},
                "error": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": ["string", "null"]},
                        "code": {"type": ["string", "null"]},
                        "param": {"type": ["string", "null"]},
                    },
                },
                "sequence_number": {"type": "integer"},
            },
        },
        "why": "OpenAI's in-stream `error` event nests its fields under `error` "
        "(`{\"type\":\"error\",\"error\":{\"type\",\"code\",\"message\",\"param\"},\"sequence_number\":n}`), "
        "the shape of the error envelope, where the SDK model has them at the top level: genuine OpenAI streams "
        "of 2026 (issue 18, held-out traffic); the example below is that shape.",
        "example": {
            "type": "error",
            "error": {"type": "invalid_request_error", "code": "context_length_exceeded",
                      "message": "Your input exceeds the context window of this model.", "param": "input"},
            "sequence_number": 2,
        },
    },
]


def _schema_of(tp: Any) -> dict[str, Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(tp).json_schema()


def event_classes() -> dict[str, type]:
    """Every member of openai.types.responses.ResponseStreamEvent, keyed by its literal `type`."""
    from openai.types.responses import ResponseStreamEvent

    union = typing.get_args(ResponseStreamEvent)[0]  # Annotated[Union[...], PropertyInfo(...)]
    out: dict[str, type] = {}
    for cls in typing.get_args(union):
        (literal,) = typing.get_args(cls.model_fields["type"].annotation)
        out[literal] = cls
    return out


def _provenance() -> str:
    lines = [
        "# Provenance of these schemas",
        "",
        "Generated by `python -m conformance.schemagen` (from the repository root) from **openai-python "
        f"{SDK_VERSION}** (https://github.com/openai/openai-python, Apache License 2.0, Copyright OpenAI). "
        "Each `*.json` below except `error.json`, `delete.json` and `overlay.json` is exactly "
        "`pydantic.TypeAdapter(<class>).json_schema()` for one SDK class:",
        "",
        "| file | SDK class |",
        "|---|---|",
        "| `response.json` | `openai.types.responses.Response` |",
        "| `response_item_list.json` | `openai.types.responses.ResponseItemList` "
        "(GET `/v1/responses/{id}/input_items`) |",
        "| `events/<type>.json` | each member of `openai.types.responses.ResponseStreamEvent`, named by its `type` |",
        "",
        "Other files in this folder (such as the report format's schema) are not produced by this generator.",
        "",
        "Hand-written (the SDK has no model for them), kept in `conformance/schemagen.py`:",
        "",
        "- `error.json`: the error envelope `{\"error\": {\"message\", \"type\", \"param\", \"code\"}}`; "
        "`param` and `code` may be null.",
        "- `delete.json`: the DELETE body: `id` and `deleted: true` required, `object` either `response` "
        "(the docs) or `response.deleted` (what OpenAI sends).",
        "",
        "To upgrade: `python -m conformance.schemagen --newest` installs the newest openai-python that the "
        "dependency range in `pyproject.toml` allows into a scratch folder, generates from it, and rewrites "
        "`SDK_VERSION` in `conformance/schemagen.py` and the test extra's `openai` pin (a range of that minor "
        "release); then reinstall (`pip install -e '.[test]'`), review the diff and re-run the calibration tests "
        "(`pytest tests/test_schemas.py tests/test_checks_schema.py tests/test_replay.py`). "
        "`tests/test_schemas.py::test_no_drift` fails while `schemas/` differs from what the installed SDK "
        "generates.",
        "",
        "## Relaxations (`overlay.json`)",
        "",
        "Applied when the validators are compiled (`conformance/schemas.py`), never written into the generated "
        "files. Each entry is needed by real OpenAI traffic (the recorded exchanges the tests replay; docs/rules.md#real-traffic) "
        "(`tests/test_schemas.py::test_each_relaxation_is_needed`).",
        "",
        "| model | property | relaxation | why |",
        "|---|---|---|---|",
    ]
    for r in RELAXATIONS:
        op = f"alternative: `{json.dumps(r['value'])}`" if r["op"] == "alternative" else r["op"]
        if "example" in r:
            op += f"; example: `{json.dumps(r['example'])}`"
        lines.append(f"| `{r['model']}` | `{r.get('property', '')}` | {op} | {r['why']} |")
    lines += [
        "",
        "## Open world (not an overlay entry)",
        "",
        "`conformance/schemas.py` (`open_world`) applies two rules to every schema when it is compiled "
        "(docs/rules.md#newer-than-the-sdk): a union dispatched on `type` (output items, tools, content parts, "
        "annotations, ...) validates the types it knows by their own model and accepts any other `type` as an "
        "object; an error `code` enum (`ResponseError.code`) accepts any string, such as `insufficient_quota`. "
        "OpenAI sends new types and codes before the pinned SDK learns them; what the SDK does not know is not "
        "a deviation by itself.",
        "",
        "Facts of docs/rules.md#real-traffic that need no overlay entry, because the SDK types already accept them: "
        "`user: null`, `usage: null` in `response.created` / `in_progress` / `queued`, "
        "`text.format.description: null`, `response.function_call_arguments.done` without `name` (the SDK "
        "model has no `name`), and undeclared keys such as `store`, `billing`, `obfuscation`, "
        "`content_filters` (every SDK model has `additionalProperties: true`; nothing here may forbid them).",
        "",
        "Not an overlay entry either: streams from before mid-2025 lack `sequence_number` (and `logprobs` "
        "on text events). No recording here needs that (the earliest recorded stream, 2025-08-15, has both), "
        "so the schemas keep them required and `schema.stream-events` turns exactly those missing fields "
        "into a WARN for recordings dated before 2025-08-15.",
        "",
        "Tighter than the SDK: `created_at` is a float in the SDK types but an integer in every OpenAI "
        "recording; `schema.created-at-integer` (SHOULD) reports floats.",
    ]
    return "\n".join(lines) + "\n"


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """Every file of schemas/, by relative path, as text."""
    from openai.types.responses import Response, ResponseItemList

    files = {
        "response.json": _dump(_schema_of(Response)),
        "response_item_list.json": _dump(_schema_of(ResponseItemList)),
        "error.json": _dump(ERROR_ENVELOPE),
        "delete.json": _dump(DELETE_BODY),
        "overlay.json": _dump(RELAXATIONS),
        "PROVENANCE.md": _provenance(),
    }
    for type_, cls in sorted(event_classes().items()):
        files[f"events/{type_}.json"] = _dump(_schema_of(cls))
    return files


def openai_version() -> str:
    import openai

    return openai.__version__


def write(target: Path = SCHEMAS_DIR) -> list[str]:
    """Write generate() into target, removing stale event schemas. Returns the paths written."""
    if openai_version() != SDK_VERSION:
        raise SystemExit(f"openai {openai_version()} is installed; schemas are pinned to {SDK_VERSION}")
    files = generate()
    (target / "events").mkdir(parents=True, exist_ok=True)
    for stale in (target / "events").glob("*.json"):
        if f"events/{stale.name}" not in files:
            stale.unlink()
    for rel, text in files.items():
        (target / rel).write_text(text, encoding="utf-8")
    return sorted(files)


def dependency_range(pyproject: str) -> str:
    """The `openai` requirement of the package's own dependencies (not the test extra's pin)."""
    deps = pyproject.split("[project.optional-dependencies]")[0]
    (req,) = re.findall(r'"(openai[<>=!~][^"]*)"', deps)
    return req


def pin_test_extra(pyproject: str, version: str) -> str:
    """pyproject.toml with the test extra's openai requirement set to the minor release of `version`."""
    major, minor = (int(x) for x in version.split(".")[:2])
    head, sep, extras = pyproject.partition("[project.optional-dependencies]")
    extras, n = re.subn(r'"openai[<>=!~][^"]*"', f'"openai>={version},<{major}.{minor + 1}"', extras, count=1)
    if not sep or n != 1:
        raise SystemExit("pyproject.toml: no openai requirement in [project.optional-dependencies]")
    return head + sep + extras


def upgrade_to_newest() -> str:
    """Generate schemas/ from the newest openai-python the dependency range allows; returns its version."""
    text = PYPROJECT.read_text(encoding="utf-8")
    req = dependency_range(text)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", scratch, req],
                       check=True, timeout=600)
        # PYTHONPATH comes before site-packages: the scratch openai shadows the installed one.
        version = subprocess.run(
            [sys.executable, "-c", "import openai; print(openai.__version__)"], check=True, timeout=120,
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": scratch}).stdout.strip()
        src = Path(__file__).read_text(encoding="utf-8")
        Path(__file__).write_text(re.sub(r'^SDK_VERSION = "[^"]*"', f'SDK_VERSION = "{version}"', src, count=1,
                                         flags=re.M), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "conformance.schemagen"], check=True, timeout=600, cwd=REPO,
                       env={**os.environ, "PYTHONPATH": f"{scratch}{os.pathsep}{REPO}"})
    PYPROJECT.write_text(pin_test_extra(text, version), encoding="utf-8")
    return version


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m conformance.schemagen", description=__doc__.splitlines()[0])
    parser.add_argument("--newest", action="store_true",
                        help="upgrade to the newest openai-python the dependency range allows, then generate")
    args = parser.parse_args(argv)
    if args.newest:
        version = upgrade_to_newest()
        print(f"schemas/ generated from openai-python {version}; reinstall: pip install -e '.[test]'",
              file=sys.stderr)
        return
    written = write()
    print(f"wrote {len(written)} files into {SCHEMAS_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()
