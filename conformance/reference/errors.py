"""OpenAI's error envelope and the handful of error kinds the reference server raises.

Messages, `type`, `param` and `code` follow what api.openai.com sends (see the recordings and
docs/reference-server.md): request validation fails with 400 `invalid_request_error`, an unknown model is a
400 `model_not_found` (not a 404), an unknown stored response is a 404 with `code: null`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 429

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string", list: "an array", dict: "an object"}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    for py_type, name in _TYPE_NAMES.items():
        if type(value) is py_type:
            return name
    return "an unknown type"


def invalid_type(param: str, expected: str, value: Any) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {type_name(value)} instead.",
        param=param,
        code="invalid_type",
    )


def missing(param: str) -> ApiError:
    return ApiError(400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def invalid_value(param: str, value: Any, supported: list[str] | None = None) -> ApiError:
    message = f"Invalid value: '{value}'."
    if supported:
        message += " Supported values are: " + ", ".join(f"'{s}'" for s in supported) + "."
    return ApiError(400, message, param=param, code="invalid_value")


def below_minimum(param: str, minimum: int, value: Any) -> ApiError:
    return ApiError(
        400,
        f"Invalid '{param}': integer below minimum value. Expected a value >= {minimum}, but got {value} instead.",
        param=param,
        code="integer_below_min_value",
    )


def out_of_range(param: str, low: float, high: float, value: Any) -> ApiError:
    which = "below minimum" if value < low else "above maximum"
    bound = low if value < low else high
    relation = ">=" if value < low else "<="
    return ApiError(
        400,
        f"Invalid '{param}': decimal {which} value. Expected a value {relation} {bound}, but got {value} instead.",
        param=param,
        code="decimal_below_min_value" if value < low else "decimal_above_max_value",
    )


def response_not_found(response_id: str) -> ApiError:
    return ApiError(404, f"Response with id '{response_id}' not found.")
