"""Profiles: bundles of faults plus profile-only refusals that reproduce one documented system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.faults import FAULTS
from conformance.reference.hooks import Hooks

GATEWAY_PROVIDER_HEADER = "x-tfy-provider-name"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    faults: tuple[str, ...]
    extra: tuple[Hooks, ...] = ()  # behaviour that is this system's own, not a catalogued fault
    required_headers: tuple[tuple[str, str], ...] = ()  # headers a client must send (name, an accepted value)

    def new_hooks(self) -> list[Hooks]:
        return [FAULTS[name].new_hooks() for name in self.faults] + list(self.extra)


def _trtllm_validators(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    # TensorRT-LLM's request model refuses prompt templates, and background mode without store.
    if body.get("prompt") is not None:
        return ApiError(400, "prompt template is not supported", type="BadRequestError")
    if body.get("background") and body.get("store", True) is False:
        return ApiError(400, "background can only be used when `store` is true", type="BadRequestError")
    return None


def _provider_header_required(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    if not headers.get(GATEWAY_PROVIDER_HEADER):
        return ApiError(400, f"Missing required header '{GATEWAY_PROVIDER_HEADER}': name the provider integration "
                             "to route to.", param=GATEWAY_PROVIDER_HEADER)
    return None


_ALL = [
    Profile("trtllm", "TensorRT-LLM's Responses server (seeds 000 and 002): top-level `{object: \"error\", ..., "
            "code: <int>}` errors, `prompt` refused, background without store refused, ids and sequence numbers "
            "that change mid-stream.", ("trtllm-error-body", "trtllm-ids-differ", "trtllm-seq-restart"),
            (Hooks(check_request=_trtllm_validators),)),
    Profile("llamacpp", "llama.cpp's server: no sequence numbers or indexes, `text.format` ignored, the token "
            "limit reported as completed.", ("llamacpp-no-sequence-number", "llamacpp-no-indexes",
                                             "llamacpp-ignores-text-format", "llamacpp-length-as-completed")),
    Profile("vllm", "vLLM: store off by default, instructions leaking through previous_response_id, completed "
            "items in incomplete responses, no response.failed, integer error codes, the token limit as "
            "response.completed.", ("vllm-store-disabled", "vllm-instructions-leak",
                                    "vllm-items-completed-in-incomplete", "vllm-stream-no-failed",
                                    "vllm-int-error-code", "vllm-length-as-completed")),
    Profile("litellm", "LiteLLM's proxy: done events for items never added, a created id different from the "
            "completed id, no sequence numbers.", ("litellm-done-without-added", "litellm-id-mismatch",
                                                   "litellm-no-sequence-number")),
    Profile("gateway", f"A routing gateway (seed 001): chat-completions-shaped tools accepted, and every create "
            f"needs the `{GATEWAY_PROVIDER_HEADER}` header (pass it with `--header`).",
            ("gateway-chat-tools-accepted",), (Hooks(check_request=_provider_header_required),),
            ((GATEWAY_PROVIDER_HEADER, "reference"),)),
    Profile("seed-003", "The seed-003 server: `response.tool_call.delta` events, `response.ping` keep-alives, "
            "429 with `Retry-After`.", ("seed003-tool-call-delta", "ping-keepalives", "rate-limit-429")),
]

PROFILES: dict[str, Profile] = {profile.name: profile for profile in _ALL}
