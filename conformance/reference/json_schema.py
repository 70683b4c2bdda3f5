"""The JSON Schema subset the reference model fills, and the strict-mode rules OpenAI enforces on it.

`instance_of` returns a valid instance for object / array / string / number / integer / boolean / null,
`enum`, `const`, `anyOf` / `oneOf`, nullable type lists, `required`, local `$ref`s into `$defs` /
`definitions`, string `format`s and length / item / numeric bounds. Strings are filled with a caller-given
word so a nonce can travel through structured output.
"""

from __future__ import annotations

from typing import Any

_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


class _Filler:
    def __init__(self, root: dict[str, Any], word: str) -> None:
        self.root = root
        self.word = word

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                return {}
            node: Any = self.root
            for part in ref.lstrip("#").strip("/").split("/"):
                if part:
                    node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
            schema = node
            seen += 1
        return schema if isinstance(schema, dict) else {}

    def fill(self, schema: Any, depth: int = 0) -> Any:
        schema = self.resolve(schema) if isinstance(schema, dict) else {}
        if depth > 12:
            return None
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                non_null = [b for b in branches if self.resolve(b).get("type") != "null"] if key != "allOf" else branches
                return self.fill((non_null or branches)[0], depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, f"_{kind}", self._null)(schema, depth)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = schema.get("properties") or {}
        return {name: self.fill(sub, depth + 1) for name, sub in props.items()}

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        count = max(1, int(schema.get("minItems", 1)))
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            return [self.fill(sub, depth + 1) for sub in prefix]
        return [self.fill(schema.get("items", {}), depth + 1) for _ in range(count)]

    def _string(self, schema: dict[str, Any], depth: int) -> str:
        text = _FORMATS.get(schema.get("format", ""), self.word)
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if high is not None:
            text = text[: int(high)]
        return text

    def _number(self, schema: dict[str, Any], depth: int) -> float | int:
        return self._bounded(schema, 1)

    def _integer(self, schema: dict[str, Any], depth: int) -> int:
        return int(self._bounded(schema, 1))

    def _bounded(self, schema: dict[str, Any], default: int) -> float | int:
        if "minimum" in schema:
            return schema["minimum"]
        if "exclusiveMinimum" in schema:
            return schema["exclusiveMinimum"] + 1
        value: float | int = default
        if "maximum" in schema:
            value = min(value, schema["maximum"])
        if "exclusiveMaximum" in schema:
            value = min(value, schema["exclusiveMaximum"] - 1)
        return value

    def _boolean(self, schema: dict[str, Any], depth: int) -> bool:
        return True

    def _null(self, schema: dict[str, Any], depth: int) -> None:
        return None


def instance_of(schema: dict[str, Any], word: str = "text") -> Any:
    """A value valid against `schema`, with every free string set to `word`."""
    return _Filler(schema, word).fill(schema)


def strict_problem(schema: Any, path: str = "()") -> str | None:
    """Why OpenAI's strict mode would refuse `schema`, or None: every object needs
    `additionalProperties: false` and a `required` array naming every property."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"In context={path}, 'additionalProperties' is required to be supplied and to be false."
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        missing = [name for name in props if name not in required]
        if missing:
            return (
                f"In context={path}, 'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
        for name, sub in props.items():
            problem = strict_problem(sub, f"('properties', '{name}')")
            if problem:
                return problem
    children: list[Any] = []
    if isinstance(schema.get("items"), dict):
        children.append(schema["items"])
    for key in ("anyOf", "oneOf", "allOf"):
        children.extend(schema.get(key) or [])
    for key in ("$defs", "definitions"):
        children.extend((schema.get(key) or {}).values())
    for child in children:
        problem = strict_problem(child, path)
        if problem:
            return problem
    return None
