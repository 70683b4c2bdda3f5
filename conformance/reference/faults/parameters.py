"""Faults of the parameters family (checks/parameters.py): echoes, logprobs, stream obfuscation, message phase."""

from __future__ import annotations

from typing import Any, Mapping

from conformance.reference.errors import ApiError
from conformance.reference.request import LOGPROBS_INCLUDE as LOGPROBS
from conformance.reference.faults.base import Fault, fault, on_items, on_responses, pair, rewrite, set_field


def _refuse_cache_key(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    if "prompt_cache_key" in body:
        return ApiError(400, "Unknown parameter: 'prompt_cache_key'.", param="prompt_cache_key",
                        code="unknown_parameter")
    return None


def _refuse_phase(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    items = body.get("input")
    if isinstance(items, list) and any(isinstance(i, dict) and "phase" in i for i in items):
        return ApiError(400, "Unknown parameter: 'input[1].phase'.", param="input[1].phase",
                        code="unknown_parameter")
    return None


def _fail_sampling(body: dict[str, Any], headers: Mapping[str, str]) -> ApiError | None:
    if "temperature" in body:
        return ApiError(500, "The server had an error while processing your request.", type="server_error")
    return None


def _set_all(**values: Any) -> Any:
    def apply(response: dict[str, Any]) -> None:
        for key, value in values.items():
            set_field(key, value)(response)
    return apply


def _bad_phase(item: dict[str, Any], response_status: str | None) -> None:
    if item.get("type") == "message" and "phase" in item:
        item["phase"] = "final"


FAULTS: list[Fault] = [
    fault("prompt-cache-key-refused", "`prompt_cache_key` is refused as an unknown parameter.", "synthetic",
          check_request=_refuse_cache_key),
    fault("sampling-500", "A request setting `temperature` fails with 500.", "synthetic",
          check_request=_fail_sampling),
    pair("sampling-not-echoed", "Responses echo `temperature: 1.0` and `top_p: 1.0` whatever was sent.",
         "synthetic", on_responses(_set_all(temperature=1.0, top_p=1.0))),
    pair("truncation-not-echoed", "Responses echo `truncation: disabled` whatever was sent.", "synthetic",
         on_responses(set_field("truncation", "disabled"))),
    pair("identifiers-not-echoed", "Responses echo `prompt_cache_key` and `safety_identifier` as null.",
         "synthetic", on_responses(_set_all(prompt_cache_key=None, safety_identifier=None))),
    pair("cache-retention-not-echoed", "Responses echo `prompt_cache_retention: null` whatever was sent.",
         "synthetic", on_responses(set_field("prompt_cache_retention", None))),
    pair("service-tier-unknown", "Responses carry `service_tier: \"standard\"`, which is no documented tier.",
         "synthetic", on_responses(set_field("service_tier", "standard"))),
    fault("logprobs-ignored", "`include: [message.output_text.logprobs]` is accepted and ignored (empty "
          "logprobs).", "synthetic",
          rewrite_request=rewrite(include=lambda v: [i for i in v if i != LOGPROBS] if isinstance(v, list) else v)),
    fault("obfuscation-always", "`stream_options.include_obfuscation: false` is ignored: deltas keep their "
          "`obfuscation` pad.", "synthetic", rewrite_request=rewrite(stream_options=lambda v: None)),
    fault("phase-refused", "Input messages carrying `phase` are refused with 400.", "synthetic",
          check_request=_refuse_phase),
    pair("phase-malformed", "Output messages carry `phase: \"final\"` instead of `final_answer`.", "synthetic",
         on_items(_bad_phase)),
]
