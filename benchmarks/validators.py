"""Which compiled validator to put on the hot path: jsonschema-rs or fastjsonschema, against `jsonschema`.

    python benchmarks/validators.py DIR          # a folder of recordings (docs/recordings.md)

Validates every stream event and Response body of the recordings (the instances schema.stream-events and
schema.response judge) with each library, after compiling every schema once, and prints compile time,
validation time and instances/s. Both compiled validators must agree with `jsonschema` on every instance.
fastjsonschema is not a dependency of the project: `pip install fastjsonschema` to include it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

import jsonschema_rs
from jsonschema import Draft202012Validator

from conformance import schemas
from conformance.recordings import iter_paths, load_file

Instance = tuple[str, bool, Any]  # (schema name, partial, instance)


def corpus(root: Path) -> list[Instance]:
    out: list[Instance] = []
    for p in iter_paths([str(root)]):
        ex = load_file(p)
        if ex.stream is not None:
            for ev in ex.stream.typed():
                if ev.type in schemas.event_types():
                    out.append((f"events/{ev.type}", schemas.is_partial_event(ev.json), ev.json))
        elif isinstance(ex.response.body, dict) and ex.response.body.get("object") == "response":
            partial = ex.response.body.get("status") in schemas.PARTIAL_STATUSES
            out.append(("response", partial, ex.response.body))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    instances = corpus(root)
    ss = schemas.SchemaSet()
    used = sorted({(name, partial) for name, partial, _ in instances})
    print(f"{len(instances)} instances, {len(used)} (schema, variant) pairs")

    compilers: dict[str, Callable[[dict[str, Any]], Callable[[Any], bool]]] = {
        "jsonschema-rs": lambda s: jsonschema_rs.Draft202012Validator(s).is_valid,
        "jsonschema": lambda s: Draft202012Validator(s).is_valid,
    }
    try:
        import fastjsonschema
    except ImportError:
        print("fastjsonschema not installed: skipped")
    else:
        compilers["fastjsonschema"] = lambda s: _fast(fastjsonschema.compile(s), fastjsonschema.JsonSchemaException)
    reference: list[bool] | None = None
    for lib, compile_one in compilers.items():
        took_compile, compiled = timed(lambda: {k: compile_one(ss.schema(k[0], k[1])) for k in used})
        took, verdicts = timed(lambda: [compiled[(n, p)](inst) for n, p, inst in instances])
        reference = reference or verdicts
        agree = "agrees with jsonschema" if verdicts == reference else "DISAGREES"
        print(f"{lib:15s} compile {took_compile:6.2f} s   validate {took:6.2f} s = "
              f"{len(instances) / took:9.0f} instances/s   ({sum(verdicts)} valid; {agree})")
    return 0


def _fast(func: Callable[[Any], Any], invalid: type[Exception]) -> Callable[[Any], bool]:
    def is_valid(instance: Any) -> bool:
        try:
            func(instance)
        except invalid:
            return False
        return True

    return is_valid


if __name__ == "__main__":
    sys.exit(main())
