"""Image and file input parts (`input_image`, `input_file`): validation, and the text the model reads.

The reference server reads no pictures; it accepts a well-formed image and ignores its pixels. It reads a
file's text (a text file, or the literal strings of a simple PDF) so that a code word planted in a file can
come back in the answer, as it would from a model that really read the file.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from conformance.reference.errors import ApiError

IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/gif": b"GIF8",
               "image/webp": b"RIFF"}
DETAILS = ("low", "high", "auto", "original")
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(.*)", re.DOTALL)
_PDF_STRING = re.compile(rb"\((.*?)(?<!\\)\)\s*Tj")


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """(media type, bytes) of a base64 data URL, or None when it is not one."""
    m = _DATA_URL.fullmatch(url)
    if m is None:
        return None
    try:
        return (m.group(1) or "").lower(), base64.b64decode(m.group(2), validate=True)
    except (binascii.Error, ValueError):
        return None


def _invalid_image(path: str, why: str) -> ApiError:
    return ApiError(400, f"Invalid image in '{path}': {why}.", param=path, code="invalid_image")


def check_image(part: dict[str, Any], path: str) -> None:
    detail = part.get("detail", "auto")
    if detail not in DETAILS:
        raise ApiError(400, f"Invalid value: '{detail}'. Supported values are: {', '.join(map(repr, DETAILS))}.",
                       param=f"{path}.detail", code="invalid_value")
    url = part.get("image_url")
    if part.get("file_id") is not None:
        raise ApiError(400, "Files are not supported by this server; send the image as a data URL.",
                       param=f"{path}.file_id", code="unsupported_parameter")
    if not isinstance(url, str):
        raise ApiError(400, f"Missing required parameter: '{path}.image_url'.", param=f"{path}.image_url",
                       code="missing_required_parameter")
    if not url.startswith("data:"):
        raise ApiError(400, "This server fetches no URLs; send the image as a base64 data URL.",
                       param=f"{path}.image_url", code="unsupported_parameter")
    decoded = decode_data_url(url)
    if decoded is None:
        raise _invalid_image(f"{path}.image_url", "not a base64 data URL")
    media_type, data = decoded
    magic = IMAGE_TYPES.get(media_type)
    if magic is None:
        raise _invalid_image(f"{path}.image_url", f"unsupported media type {media_type or '(none)'!r}")
    if not data.startswith(magic):
        raise _invalid_image(f"{path}.image_url", f"the data is not {media_type}")


def check_file(part: dict[str, Any], path: str) -> None:
    if part.get("file_id") is not None or part.get("file_url") is not None:
        raise ApiError(400, "Files are not supported by this server; send the file as base64 `file_data`.",
                       param=path, code="unsupported_parameter")
    data = part.get("file_data")
    if not isinstance(data, str):
        raise ApiError(400, f"Missing required parameter: '{path}.file_data'.", param=f"{path}.file_data",
                       code="missing_required_parameter")
    if not isinstance(part.get("filename"), str):
        raise ApiError(400, f"Missing required parameter: '{path}.filename'.", param=f"{path}.filename",
                       code="missing_required_parameter")
    if file_bytes(part) is None:
        raise ApiError(400, f"Invalid '{path}.file_data': expected a base64 data URL.", param=f"{path}.file_data",
                       code="invalid_value")


def file_bytes(part: dict[str, Any]) -> tuple[str, bytes] | None:
    data = part.get("file_data")
    if not isinstance(data, str):
        return None
    if data.startswith("data:"):
        return decode_data_url(data)
    try:  # bare base64 without the data: prefix, as some clients send it
        return "", base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def file_text(part: dict[str, Any]) -> str:
    """What the model reads of an input_file: a text file's text, or a PDF's `(...) Tj` strings."""
    decoded = file_bytes(part)
    if decoded is None:
        return ""
    media_type, data = decoded
    if data.startswith(b"%PDF"):
        return " ".join(s.decode("latin-1") for s in _PDF_STRING.findall(data))
    if media_type.startswith("text/") or not media_type:
        return data.decode("utf-8", errors="replace")
    return ""
