"""Profiles: bundles of faults plus profile-only refusals that reproduce one documented system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.faults import FAULTS
from conformance.reference.faults.base import drop_types, on_items, refuse_part, routes_missing
from conformance.reference.hooks import Event, Hooks, SocketPolicy

GATEWAY_PROVIDER_HEADER = "x-tfy-provider-name"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    faults: tuple[str, ...]
    extra: tuple[Hooks, ...] = ()  # behaviour that is this system's own, not a catalogued fault
    required_headers: tuple[tuple[str, str], ...] = ()  # headers a client must send (name, an accepted value)

    def new_hooks(self) -> list[Hooks]:
        # The system's own behaviour first, then its deviations: e.g. TensorRT-LLM's sequence numbers restart
        # over the events it really sends.
        return list(self.extra) + [FAULTS[name].new_hooks() for name in self.faults]


def _trtllm_validators(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    # TensorRT-LLM's request model refuses prompt templates, and background mode without store.
    if body.get("prompt") is not None:
        return ApiError(400, "prompt template is not supported", type="BadRequestError")
    if body.get("background") and body.get("store", True) is False:
        return ApiError(400, "background can only be used when `store` is true", type="BadRequestError")
    return None


def _trtllm_reasons(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    # gpt-oss behind TensorRT-LLM always reasons (low effort unless asked): its example 2 streams reasoning_text
    # for a request with no `reasoning` at all (seed 000).
    return body if body.get("reasoning") is not None else {**body, "reasoning": {"effort": "low"}}


def _no_summary(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("type") == "reasoning" and item.get("summary"):
        item["summary"] = []


# TensorRT-LLM streams no reasoning summary (its stream event types, seed 002): reasoning_text only.
_SUMMARY_EVENTS = ("response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                   "response.reasoning_summary_text.done", "response.reasoning_summary_part.done")
_events_without_summary, _body_without_summary = on_items(_no_summary)


def _trtllm_no_summary(events: list[Event]) -> list[Event]:
    return _events_without_summary(drop_types(*_SUMMARY_EVENTS)(events))


def _provider_header_required(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    if not headers.get(GATEWAY_PROVIDER_HEADER):
        return ApiError(400, f"Missing required header '{GATEWAY_PROVIDER_HEADER}': name the provider integration "
                             "to route to.", param=GATEWAY_PROVIDER_HEADER)
    return None


def _llamacpp_media(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    # What llama.cpp answered (xllamacpp, SmolLM2 without an mmproj): 500 for images, 400 for files.
    return (refuse_part("input_image", 500, "image input is not supported - hint: if this is unexpected, you "
                                               "may need to provide the mmproj")(body, headers)
            or refuse_part("input_file", 400, "'input_file' is not supported by llamacpp at this moment")(
                body, headers))


_ALL = [
    Profile("trtllm", "TensorRT-LLM's Responses server (seeds 000 and 002) serving gpt-oss: top-level `{object: "
            "\"error\", ..., code: <int>}` errors, `prompt` refused, background without store refused, ids and "
            "sequence numbers that change mid-stream; every answer reasons (reasoning_text content, no summary).",
            ("trtllm-error-body", "trtllm-ids-differ", "trtllm-seq-restart"),
            (Hooks(check_request=_trtllm_validators, rewrite_request=_trtllm_reasons, events=_trtllm_no_summary,
                   response=_body_without_summary),)),
    Profile("llamacpp", "llama.cpp's server: no sequence numbers or indexes, `text.format` ignored, the token "
            "limit reported as completed; no WebSocket mode, compact or Conversations API (404), input_image "
            "answered with HTTP 500 without a vision projector, input_file refused with 400, custom tools and "
            "allowed_tools dropped (measured, docs/api-surface.md).",
            ("llamacpp-no-sequence-number", "llamacpp-no-indexes", "llamacpp-ignores-text-format",
             "llamacpp-length-as-completed", "custom-tools-dropped", "allowed-tools-ignored"),
            (Hooks(socket=SocketPolicy(deny_status=404),
                   reply=routes_missing("compact", "conversations", "conversation_items"),
                   check_request=_llamacpp_media),)),
    Profile("vllm", "vLLM: store off by default, instructions leaking through previous_response_id, completed "
            "items in incomplete responses, no response.failed, integer error codes, the token limit as "
            "response.completed, content_index carried past a reasoning item; a text-only model refuses "
            "input_image with 400.",
            ("vllm-store-disabled", "vllm-instructions-leak", "vllm-items-completed-in-incomplete",
             "vllm-stream-no-failed", "vllm-int-error-code", "vllm-length-as-completed",
             "vllm-content-index-after-reasoning"),
            (Hooks(check_request=refuse_part("input_image", 400, "This model does not support image input.")),)),
    Profile("litellm", "LiteLLM's proxy: done events for items never added, a created id different from the "
            "completed id, no sequence numbers, a new reasoning item id on every delta, no "
            "reasoning_summary_part.added.", ("litellm-done-without-added", "litellm-id-mismatch",
                                              "litellm-no-sequence-number", "litellm-reasoning-id-per-delta",
                                              "litellm-no-summary-part-added")),
    Profile("gateway", f"A routing gateway (seed 001): chat-completions-shaped tools accepted, and every create "
            f"needs the `{GATEWAY_PROVIDER_HEADER}` header (pass it with `--header`).",
            ("gateway-chat-tools-accepted",), (Hooks(check_request=_provider_header_required),),
            ((GATEWAY_PROVIDER_HEADER, "reference"),)),
    Profile("seed-003", "The seed-003 server: `response.tool_call.delta` events, `response.ping` keep-alives, "
            "429 with `Retry-After`.", ("seed003-tool-call-delta", "ping-keepalives", "rate-limit-429")),
]

PROFILES: dict[str, Profile] = {profile.name: profile for profile in _ALL}
