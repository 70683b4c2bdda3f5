"""Request parameters a compatible server accepts and echoes, and fields it honours when asked
(live/scenarios/parameters.py). Each echo is its own rule so a fault that loses one is caught by name.

The Response object carries the configuration it was made with (https://platform.openai.com/docs/api-reference/
responses/object; openai-python types/responses/response.py). `schema.parameters-echoed` judges the echo on every
exchange at SHOULD, lenient for recordings made before a field existed; here the request is ours and current, so a
lost echo is a violation (docs/rules.md#verdicts: a parameter accepted and ignored).
"""

from __future__ import annotations

import math
from typing import Any

from conformance.checks.common import events, final_response, not_ok, not_streamed
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Kind, Level, Outcome, ok, skip, violation

OBJECT = "https://platform.openai.com/docs/api-reference/responses/object"
CREATE = "https://platform.openai.com/docs/api-reference/responses/create"
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")  # openai-python Response.service_tier
PHASES = ("commentary", "final_answer")  # openai-python ResponseOutputMessage.phase


def _response(t: Transcript, what: str, optional: bool = False) -> tuple[dict[str, Any] | None, Outcome | None]:
    ex = t.step("create")
    bad = not_ok(ex, what, optional=optional)
    if bad:
        return None, bad
    assert ex is not None
    resp = final_response(ex)
    if resp is None:
        return None, violation("the create step did not end with a Response", step="create")
    return resp, None


def _echoed(t: Transcript, keys: tuple[str, ...], what: str = "the request with documented parameters",
            optional: bool = False) -> Outcome:
    resp, why = _response(t, what, optional)
    if why is not None:
        return skip("the request was not answered (see parameters.accepted)", step="create") \
            if why.kind is Kind.VIOLATION and not optional else why
    assert resp is not None
    for key in keys:
        sent, echoed = t.params["sent"][key], resp.get(key, "absent")
        if echoed != sent or type(echoed) is bool:
            return violation(f"{key} is echoed as {echoed!r}; the request set {sent!r}", step="create",
                             path=f"$.{key}", got=echoed, expected=sent)
    return ok()


@transcript_check(
    id="parameters.accepted",
    level=Level.MUST,
    requirement="A request setting truncation: auto, prompt_cache_key, prompt_cache_retention, safety_identifier, "
                "user and service_tier (documented create parameters, none needing a capability) is answered 2xx.",
    source=f"{CREATE}; openai-python resources/responses/responses.py (create's parameters)",
    area="parameters",
    scenarios=("parameters.echo",),
)
def accepted(t: Transcript) -> Outcome | None:
    _, why = _response(t, "the request with documented parameters")
    return why or ok()


@transcript_check(
    id="parameters.sampling-echoed",
    level=Level.MUST,
    requirement="A request setting temperature and top_p is answered with a Response echoing both as sent; a "
                "clean 4xx refusal is UNSUPPORTED (OpenAI's reasoning models refuse sampling parameters).",
    source=f"{OBJECT} (temperature, top_p); https://platform.openai.com/docs/guides/reasoning (sampling "
           "parameters unsupported); docs/rules.md#verdicts",
    area="parameters",
    scenarios=("parameters.sampling",),
)
def sampling_echoed(t: Transcript) -> Outcome | None:
    return _echoed(t, ("temperature", "top_p"), "a request with temperature and top_p", optional=True)


@transcript_check(
    id="parameters.truncation-echoed",
    level=Level.MUST,
    requirement="The Response echoes truncation as sent (auto).",
    source=f"{OBJECT} (truncation: auto | disabled); docs/rules.md#verdicts",
    area="parameters",
    scenarios=("parameters.echo",),
)
def truncation_echoed(t: Transcript) -> Outcome | None:
    return _echoed(t, ("truncation",))


@transcript_check(
    id="parameters.identifiers-echoed",
    level=Level.MUST,
    requirement="The Response echoes prompt_cache_key, prompt_cache_retention, safety_identifier and user as "
                "sent.",
    source=f"{OBJECT} (prompt_cache_key, prompt_cache_retention, safety_identifier, user); every OpenAI recording "
           "that sets prompt_cache_key and prompt_cache_retention echoes them; docs/rules.md#verdicts",
    area="parameters",
    scenarios=("parameters.echo",),
)
def identifiers_echoed(t: Transcript) -> Outcome | None:
    return _echoed(t, ("prompt_cache_key", "prompt_cache_retention", "safety_identifier", "user"))


@transcript_check(
    id="parameters.service-tier-echoed",
    level=Level.MUST,
    requirement="The Response carries service_tier, one of auto, default, flex, scale, priority (the tier that "
                "served it, which may differ from the one asked for).",
    source=f"{OBJECT} (service_tier: 'the response body will include the service_tier value based on the "
           "processing mode actually used'); openai-python types/responses/response.py",
    area="parameters",
    scenarios=("parameters.echo",),
)
def service_tier_echoed(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "the request with documented parameters")
    if why is not None:
        return skip("the request was not answered (see parameters.accepted)", step="create") \
            if why.kind is Kind.VIOLATION else why
    assert resp is not None
    tier = resp.get("service_tier", "absent")
    if tier not in SERVICE_TIERS:
        return violation(f"service_tier is {tier!r}, not one of {list(SERVICE_TIERS)}", step="create",
                         path="$.service_tier", got=tier)
    return ok()


def _is_logprob(entry: Any) -> str | None:
    """Why ``entry`` is not a {token, logprob, bytes} triple (openai-python ResponseOutputText.Logprob)."""
    if not isinstance(entry, dict):
        return f"is {type(entry).__name__}, not an object"
    if not isinstance(entry.get("token"), str):
        return "has no string token"
    lp = entry.get("logprob")
    if isinstance(lp, bool) or not isinstance(lp, (int, float)) or not math.isfinite(lp) or lp > 0:
        return f"has logprob {lp!r}; a log probability is a finite number <= 0"
    b = entry.get("bytes")
    if not isinstance(b, list) or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 255
                                          for x in b):
        return "has no bytes list of integers 0-255"
    return None


def logprobs_problem(part: dict[str, Any], top: int) -> str | None:
    """What is wrong with one output_text part's logprobs, asked for with top_logprobs = ``top``."""
    probs = part.get("logprobs")
    if not isinstance(probs, list):
        return "has no logprobs list"
    if part.get("text") and not probs:
        return "has text but an empty logprobs list"
    for i, entry in enumerate(probs):
        problem = _is_logprob(entry)
        if problem:
            return f"logprobs[{i}] {problem}"
        alternatives = entry.get("top_logprobs")
        if not isinstance(alternatives, list) or len(alternatives) > top or (top and not alternatives):
            return f"logprobs[{i}].top_logprobs is not a list of 1 to {top} entries"
        for j, alt in enumerate(alternatives):
            problem = _is_logprob(alt)
            if problem:
                return f"logprobs[{i}].top_logprobs[{j}] {problem}"
    joined = b"".join(bytes(e["bytes"]) for e in probs)
    if probs and joined.decode("utf-8", errors="replace") != part.get("text"):
        return "the tokens' bytes do not spell the part's text"
    return None


@transcript_check(
    id="parameters.logprobs",
    level=Level.MUST,
    requirement="With include [message.output_text.logprobs] and top_logprobs N, every output_text part carries "
                "logprobs: one {token, logprob <= 0, bytes} per token, spelling the text, each with 1 to N "
                "top_logprobs; a 4xx refusal is UNSUPPORTED, an answer without them a violation.",
    source=f"{CREATE} (include: message.output_text.logprobs; top_logprobs); openai-python "
           "types/responses/response_output_text.py (Logprob, TopLogprob); the OpenAI recordings "
           "TokenLogProbabilities*",
    area="parameters",
    scenarios=("parameters.logprobs",),
)
def logprobs(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "a request for logprobs", optional=True)
    if why:
        return why
    assert resp is not None
    top = t.params["top_logprobs"]
    parts = [c for item in resp.get("output") or [] if isinstance(item, dict) and item.get("type") == "message"
             for c in item.get("content") or [] if isinstance(c, dict) and c.get("type") == "output_text"]
    if not parts:
        return skip("the answer holds no output_text to carry logprobs", step="create")
    for n, part in enumerate(parts):
        problem = logprobs_problem(part, top)
        if problem:
            return violation(f"output_text part {n} {problem}", step="create",
                             got=str(part.get("logprobs"))[:300])
    return ok()


@transcript_check(
    id="parameters.no-obfuscation",
    level=Level.MUST,
    requirement="With stream_options.include_obfuscation false, no event of the stream carries an obfuscation "
                "field.",
    source=f"{CREATE} (stream_options.include_obfuscation: 'set to false to optimize for bandwidth'); "
           "docs/rules.md#verdicts (parameter silently ignored)",
    area="parameters",
    scenarios=("parameters.no-obfuscation",),
)
def no_obfuscation(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    bad = not_streamed(ex)
    if bad:
        return bad
    for i, e in enumerate(events(ex)):
        if "obfuscation" in e:
            return violation(f"{e.get('type')} carries obfuscation although include_obfuscation was false",
                             step="stream", event_index=i)
    return ok()


@transcript_check(
    id="parameters.phase-accepted",
    level=Level.MUST,
    requirement="Input assistant messages (output_text content) labelled phase commentary or final_answer are "
                "accepted.",
    source="openai-python types/responses/response_output_message_param.py and easy_input_message_param.py "
           "(phase: 'preserve and resend phase on all assistant messages'); "
           "https://platform.openai.com/docs/api-reference/responses/create (input)",
    area="parameters",
    scenarios=("parameters.phase",),
)
def phase_accepted(t: Transcript) -> Outcome | None:
    _, why = _response(t, "input messages with phase")
    return why or ok()


@transcript_check(
    id="parameters.phase-well-formed",
    level=Level.MUST,
    requirement="An output message that carries phase labels it commentary or final_answer (or null).",
    source="openai-python types/responses/response_output_message.py (phase: Optional[Literal['commentary', "
           "'final_answer']]); OpenAI recordings of gpt-5.5 (phase: final_answer)",
    area="parameters",
    scenarios=("parameters.phase",),
)
def phase_well_formed(t: Transcript) -> Outcome | None:
    resp, why = _response(t, "input messages with phase")
    if why is not None:
        return skip("the request was not answered (see parameters.phase-accepted)", step="create") \
            if why.kind is Kind.VIOLATION else why
    assert resp is not None
    for n, item in enumerate(resp.get("output") or []):
        if isinstance(item, dict) and item.get("type") == "message" and item.get("phase") is not None \
                and item.get("phase") not in PHASES:
            return violation(f"output[{n}].phase is {item.get('phase')!r}, not one of {list(PHASES)}",
                             step="create", path=f"$.output[{n}].phase")
    return ok()
