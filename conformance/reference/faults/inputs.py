"""Faults of the inputs family: image and file input (checks/inputs.py)."""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.faults.base import Fault, fault, refuse_part


def _server_error_on(part_type: str) -> Callable[[dict[str, Any], Mapping[str, str]], ApiError | None]:
    """check_request answering any input holding a `part_type` content part with a 500."""
    return refuse_part(part_type, 500, "The server had an error while processing your request.")


def _without_parts(part_type: str) -> Callable[[dict[str, Any], Mapping[str, str]], dict[str, Any]]:
    """rewrite_request removing every `part_type` content part (accepted, never read)."""

    def rewrite(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        for item in body.get("input") if isinstance(body.get("input"), list) else []:
            if isinstance(item, dict) and isinstance(item.get("content"), list):
                item["content"] = [p for p in item["content"] if not (isinstance(p, dict)
                                                                       and p.get("type") == part_type)]
        return body

    return rewrite


FAULTS: list[Fault] = [
    fault("image-input-500", "A create holding an input_image is answered with HTTP 500.",
          "three servers seen by the Open Responses compliance test (issue 11)",
          check_request=_server_error_on("input_image")),
    fault("file-input-500", "A create holding an input_file is answered with HTTP 500.", "synthetic",
          check_request=_server_error_on("input_file")),
    fault("file-input-ignored", "input_file parts are accepted and never given to the model.", "synthetic",
          rewrite_request=_without_parts("input_file")),
]
