"""Compiled JSON Schema validators for the files in ``schemas/`` (see schemas/PROVENANCE.md).

* Every schema is compiled once, on first use (Draft 2020-12; each file is self-contained), with the
  relaxation overlay ``schemas/overlay.json`` applied: by jsonschema-rs to answer "valid?" fast, and by
  ``jsonschema`` to explain an invalid instance.
* Variants: items of a response still in progress are partial snapshots (``relax_items``), and fields OpenAI
  had not sent yet on a recording's date are optional (conformance/fielddates.py, docs/rules.md).
* Stream events are dispatched on their ``type`` to their own schema, never to the union: a union gives
  one useless "not valid under any of the given schemas" error.
* The SDK's unions are plain ``anyOf``; when one fails, the error is narrowed to the branch whose ``type``
  (or JSON type) matches, so messages name the real place, e.g. ``$.response.output[0].content[0].annotations``.
* The world is open (``open_world``, docs/rules.md#newer-than-the-sdk): a union dispatched on ``type`` accepts
  a type the SDK does not know yet as any object with that ``type`` (an item, a tool, a content part), and an
  error ``code`` is any string. What the pinned SDK has not learned is not a deviation by itself.

Other areas call ``validate_error_body`` / ``validate_delete_body`` for the bodies they own.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import jsonschema_rs

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from conformance import fielddates

# The repository's schemas/ in a source checkout; the copy a wheel carries (conformance/schemas_data) otherwise.
_REPO_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
SCHEMAS_DIR = _REPO_SCHEMAS if _REPO_SCHEMAS.is_dir() else Path(__file__).resolve().parent / "schemas_data"
# The body schemas in schemas/ (other files there, such as report.schema.json, are not API schemas).
BODY_SCHEMAS = ("response", "response_item_list", "error", "delete")
MAX_ERRORS = 20  # per instance: enough to diagnose, small enough for a report


@dataclass(frozen=True)
class SchemaError:
    """One violation: where in the instance (a JSONPath from its root) and what is wrong."""

    path: str
    message: str
    schema_path: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "schema_path": self.schema_path}


def apply_overlay(schema: dict[str, Any], relaxations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A relaxed copy of one generated schema. The entries and their reasons are in schemas/overlay.json."""
    out = copy.deepcopy(schema)
    defs: dict[str, Any] = out.get("$defs", {})
    for r in relaxations:
        model, op = r["model"], r["op"]
        if op == "alternative":  # another accepted shape for the whole model
            if model in defs:
                defs[model] = {"anyOf": [defs[model], r["value"]]}
            elif out.get("title") == model:  # the root: its $defs stay at the root for `#/$defs/...` references
                root_defs = out.pop("$defs", None)
                out = {"anyOf": [out, r["value"]], **({"$defs": root_defs} if root_defs is not None else {})}
                defs = out.get("$defs", {})
            continue
        targets = [defs[model]] if model in defs else []
        if out.get("title") == model:
            targets.append(out)
        for t in targets:
            prop = r["property"]
            if op == "optional":
                t["required"] = [p for p in t.get("required", []) if p != prop]
            elif op == "nullable":
                if prop in t.get("properties", {}):
                    t["properties"][prop] = {"anyOf": [t["properties"][prop], {"type": "null"}]}
            else:
                raise ValueError(f"unknown overlay op {op!r}")
    return out


# ---------------------------------------------------------------------------------------------------------
# Error narrowing


def _is_wrong_branch(err: ValidationError, depth: int) -> bool:
    """An error that rules the whole anyOf branch out: wrong JSON type, or wrong `type` discriminator."""
    rel = list(err.absolute_path)[depth:]
    if not rel and err.validator == "type":
        return True
    return rel == ["type"] and err.validator in ("const", "enum")


def _narrow(err: ValidationError) -> list[ValidationError]:
    """Replace a failed anyOf/oneOf by the errors of the one branch the instance was meant to match."""
    if err.validator not in ("anyOf", "oneOf") or not err.context:
        return [err]
    depth = len(err.absolute_path)
    branches: dict[int, list[ValidationError]] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    plausible = [errs for errs in branches.values() if not any(_is_wrong_branch(e, depth) for e in errs)]
    if len(plausible) != 1:
        return [err]
    return [n for sub in plausible[0] for n in _narrow(sub)]


def _expected(err: ValidationError) -> str:
    """A short description of what a failed anyOf accepted (its branches' `type` consts or JSON types)."""
    kinds: list[str] = []
    for sub in err.context or []:
        if _is_wrong_branch(sub, len(err.absolute_path)):
            if sub.validator in ("const", "enum"):
                kinds.append(repr(sub.validator_value) if sub.validator == "const" else str(sub.validator_value))
            else:
                kinds.append(str(sub.validator_value))
    seen = list(dict.fromkeys(kinds))
    return ", ".join(seen[:12]) + (", ..." if len(seen) > 12 else "")


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "an integer", float: "a number"}


def _got(instance: Any) -> str:
    if isinstance(instance, dict) and "type" in instance:
        return f"type {instance['type']!r}"
    return "null" if instance is None else _JSON_TYPES.get(type(instance), type(instance).__name__)


def _message(err: ValidationError) -> str:
    if err.validator in ("anyOf", "oneOf"):
        exp = _expected(err)
        if exp:
            return f"matches none of the allowed shapes (got {_got(err.instance)}; expected one of: {exp})"
    msg = err.message
    return msg if len(msg) <= 300 else msg[:297] + "..."


def _schema_path(err: ValidationError) -> str:
    return "/".join(str(p) for p in err.absolute_schema_path)


def _to_errors(errors: Iterable[ValidationError]) -> list[SchemaError]:
    out: list[SchemaError] = []
    for top in errors:
        for e in _narrow(top):
            out.append(SchemaError(e.json_path, _message(e), _schema_path(e)))
            if len(out) >= MAX_ERRORS:
                return out
    return out


# ---------------------------------------------------------------------------------------------------------
# The compiled set


# Statuses of a Response still being produced, or stopped by a cancel while it was: its output items are
# snapshots of what existed so far (docs/rules.md#partial-items).
PARTIAL_STATUSES = frozenset({"queued", "in_progress", "cancelled"})
# What a partial item must still carry: the keys that identify it.
PARTIAL_REQUIRED = ("id", "type")


def _union_types(schema: dict[str, Any], branches: list[Any], depth: int = 0) -> list[str] | None:
    """The `type` constants of a union whose every branch is a model with a constant `type` (nested unions
    included); None when some branch is not dispatched on `type`."""
    defs, out = schema.get("$defs", {}), []
    for b in branches:
        ref = b.get("$ref", "") if isinstance(b, dict) else ""
        model = defs.get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/$defs/") else None
        if not isinstance(model, dict) or depth > 4:
            return None
        tp = model.get("properties", {}).get("type", {})
        consts = [tp["const"]] if "const" in tp else tp.get("enum")
        nested = model.get("anyOf") or model.get("oneOf")
        found = consts if consts and all(isinstance(c, str) for c in consts) else (
            _union_types(schema, nested, depth + 1) if nested else None)
        if found is None:
            return None
        out += found
    return out


# Any object with a string `type`: what an open union accepts for a type it does not know.
_OTHER_TYPE: dict[str, Any] = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}


def open_world(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy where every union dispatched on `type` validates the types it knows by their own model and
    accepts any other `type` (a newer item, tool or part), and every error `code` enum accepts any string:
    OpenAI adds types and codes before the pinned SDK learns them (docs/rules.md#newer-than-the-sdk)."""
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                visit(x)
            return
        if not isinstance(node, dict):
            return
        for key in ("anyOf", "oneOf"):
            branches = node.get(key)
            if isinstance(branches, list) and len(branches) > 1:
                types = _union_types(out, branches)
                if types:
                    del node[key]
                    node["if"] = {"type": "object", "required": ["type"], "properties": {"type": {"enum": types}}}
                    node["then"] = {key: branches}
                    node["else"] = _OTHER_TYPE
                    return  # its branches are references: nothing below to open
        code = node.get("properties", {}).get("code") if isinstance(node.get("properties"), dict) else None
        if isinstance(code, dict) and "enum" in code and "Error" in str(node.get("title", "")):
            code.pop("enum")
            code["type"] = "string"
        for value in list(node.values()):
            visit(value)

    visit(out)
    return out


def _item_models(schema: dict[str, Any]) -> set[str]:
    """The `$defs` names of the output item union(s) in one schema: a Response's `output` items and an
    event's `item` (e.g. response.output_item.added)."""
    refs: list[Any] = []
    models = [schema, *schema.get("$defs", {}).values()]
    for m in models:
        props = m.get("properties", {}) if isinstance(m, dict) else {}
        if m is schema and isinstance(props.get("item"), dict):
            refs += props["item"].get("anyOf", []) + props["item"].get("oneOf", [])
        if m.get("title") == "Response" and isinstance(props.get("output"), dict):
            items = props["output"].get("items", {})
            refs += items.get("anyOf", []) + items.get("oneOf", [])
    return {r["$ref"].rsplit("/", 1)[-1] for r in refs if isinstance(r, dict) and "$ref" in r}


def relax_items(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy where every output item model requires only its identity: the shape of a partial snapshot.
    Generic over item types, so a new built-in tool's announcement needs no special case."""
    out = copy.deepcopy(schema)
    defs = out.get("$defs", {})
    for name in _item_models(out):
        if name in defs and "required" in defs[name]:
            defs[name]["required"] = [p for p in defs[name]["required"] if p in PARTIAL_REQUIRED]
    return out


def date_relaxations(unsent: frozenset[str], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Overlay entries making optional the fields OpenAI did not send yet (conformance/fielddates.py)."""
    out: list[dict[str, Any]] = []
    for name in sorted(unsent):
        for model in fielddates.FIRST_SENT[name].models:
            if model != "*":
                out.append({"model": model, "property": name, "op": "optional"})
                continue
            # apply_overlay names a `$defs` entry by its key and the root by its title.
            holders = [(schema.get("title"), schema), *schema.get("$defs", {}).items()]
            for key, m in holders:
                if isinstance(key, str) and isinstance(m, dict) and name in m.get("required", []):
                    out.append({"model": key, "property": name, "op": "optional"})
    return out


def is_partial_event(event: Mapping[str, Any]) -> bool:
    """An event whose items are snapshots: output_item.added, or any event of a response still in progress."""
    if event.get("type") == "response.output_item.added":
        return True
    resp = event.get("response")
    return isinstance(resp, dict) and resp.get("status") in PARTIAL_STATUSES


class SchemaSet:
    """All validators of one schemas directory, compiled on first use with a given overlay.

    Variants: partial (item snapshots, see `relax_items`) and by the set of fields
    OpenAI had not sent yet on a recording's date (see conformance/fielddates.py)."""

    def __init__(self, directory: Path = SCHEMAS_DIR, relaxations: list[Mapping[str, Any]] | None = None) -> None:
        if relaxations is None:
            relaxations = json.loads((directory / "overlay.json").read_text(encoding="utf-8"))
        self.relaxations = list(relaxations)
        raw: dict[str, dict[str, Any]] = {}
        for name in BODY_SCHEMAS:
            raw[name] = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        for p in sorted((directory / "events").glob("*.json")):
            raw[f"events/{p.stem}"] = json.loads(p.read_text(encoding="utf-8"))
        self._raw = raw
        self.event_types: frozenset[str] = frozenset(n[len("events/"):] for n in raw if n.startswith("events/"))
        # Only the table's fields that some schema requires make a variant of their own.
        self._schema_fields = frozenset(n for n, f in fielddates.FIRST_SENT.items() if f.models)
        self._compiled: dict[tuple[str, bool, frozenset[str]], tuple[Callable[[Any], bool], Draft202012Validator]] = {}

    def generated(self, name: str) -> dict[str, Any]:
        """schemas/<name>.json as the SDK made it (no overlay, closed unions); do not modify."""
        return self._raw[name]

    def schema(self, name: str, partial: bool = False, recorded_at: str | None = None) -> dict[str, Any]:
        """schemas/<name>.json with the overlay, the date relaxations and (``partial``) relaxed items."""
        return self._schema(name, partial, fielddates.not_yet_sent(recorded_at) & self._schema_fields)

    def _schema(self, name: str, partial: bool, unsent: frozenset[str]) -> dict[str, Any]:
        raw = self._raw[name]
        relaxed = apply_overlay(raw, self.relaxations + date_relaxations(unsent, raw))
        return open_world(relax_items(relaxed) if partial else relaxed)

    def _validators(self, name: str, partial: bool,
                    recorded_at: str | None) -> tuple[Callable[[Any], bool], Draft202012Validator]:
        """(is_valid, explainer) compiled once per schema variant.

        jsonschema-rs answers "valid?" on the hot path (benchmarks/validators.py: about 230x faster than
        `jsonschema` on the OpenAI recordings, and two orders of magnitude faster to compile than
        fastjsonschema); `jsonschema` explains an invalid instance, because its error paths are what reports
        show. Each schema file is self-contained (`#/$defs/...` references only), so each compiles alone."""
        key = (name, partial, fielddates.not_yet_sent(recorded_at) & self._schema_fields)
        found = self._compiled.get(key)
        if found is None:
            schema = self._schema(*key)
            found = self._compiled[key] = (jsonschema_rs.Draft202012Validator(schema).is_valid,
                                           Draft202012Validator(schema))
        return found

    def validate(self, name: str, instance: Any, *, partial: bool = False,
                 recorded_at: str | None = None) -> list[SchemaError]:
        """Errors of instance against schemas/<name>.json (e.g. "response", "events/response.created").
        ``partial``: output items are snapshots (only their id and type are required)."""
        return self.validator(name, partial, recorded_at)(instance)

    def validator(self, name: str, partial: bool = False,
                  recorded_at: str | None = None) -> Callable[[Any], list[SchemaError]]:
        """``validate`` for one schema variant, looked up once (a stream's events reuse it)."""
        is_valid, v = self._validators(name, partial, recorded_at)

        def errors(instance: Any) -> list[SchemaError]:
            if is_valid(instance):
                return []
            return _to_errors(sorted(v.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))))

        return errors

    def validate_event(self, event: Any, recorded_at: str | None = None) -> list[SchemaError] | None:
        """Errors of one stream event against its own type's schema; None when the type has no schema."""
        t = event.get("type") if isinstance(event, dict) else None
        if not isinstance(t, str) or t not in self.event_types:
            return None
        return self.validate(f"events/{t}", event, partial=is_partial_event(event), recorded_at=recorded_at)


@cache
def opaque_fields() -> frozenset[str]:
    """Item fields holding opaque tokens a server may re-issue in each copy of an item (schemas/opaque_fields.json)."""
    data = json.loads((SCHEMAS_DIR / "opaque_fields.json").read_text(encoding="utf-8"))
    return frozenset(data["fields"])


@cache
def call_id_types() -> frozenset[str]:
    """The output item types whose SDK model requires a `call_id`: only there is it part of an item's identity."""
    raw = default().generated("response")
    defs = raw.get("$defs", {})
    out: set[str] = set()
    for name in _item_models(raw):
        model = defs.get(name, {})
        if "call_id" in model.get("required", []):
            tp = model.get("properties", {}).get("type", {})
            out.update([tp["const"]] if "const" in tp else tp.get("enum", []))
    return frozenset(out)


@cache
def default() -> SchemaSet:
    """The vendored schemas with the vendored overlay, compiled on first use."""
    return SchemaSet()


def event_types() -> frozenset[str]:
    return default().event_types


def validate_response(body: Any, recorded_at: str | None = None) -> list[SchemaError]:
    """A Response body; one still queued or in progress holds partial items (docs/rules.md#partial-items)."""
    partial = isinstance(body, dict) and body.get("status") in PARTIAL_STATUSES
    return default().validate("response", body, partial=partial, recorded_at=recorded_at)


def validate_item_list(body: Any) -> list[SchemaError]:
    return default().validate("response_item_list", body)


def validate_event(event: Any, recorded_at: str | None = None) -> list[SchemaError] | None:
    return default().validate_event(event, recorded_at)


def validate_error_body(body: Any) -> list[SchemaError]:
    """The error envelope {"error": {"message", "type", "param", "code"}} (for checks/errors.py)."""
    return default().validate("error", body)


def validate_delete_body(body: Any) -> list[SchemaError]:
    """The DELETE body: `id`, `deleted: true`, `object` "response" or "response.deleted" (for checks/storage.py)."""
    return default().validate("delete", body)
