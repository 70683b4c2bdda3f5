"""Bad input is refused, not silently served: an unknown model, wrongly typed fields, an unknown
previous_response_id. The error envelope of every 4xx is judged by the errors.* exchange checks, once; these
checks say that the request had to fail at all, and with which status OpenAI fails it."""

from __future__ import annotations

from conformance.checks.common import rejected, unearned
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, violation


@transcript_check(
    id="bad_input.unknown-model-rejected",
    level=Level.SHOULD,
    requirement="A request naming a model the endpoint does not serve is refused with a 4xx.",
    source="OpenAI recordings (400 model_not_found). SHOULD: single-model servers that answer with their one "
           "model do not break a client, but they hide a configuration mistake",
    area="bad_input",
    scenarios=("bad_input.unknown-model",),
)
def unknown_model_rejected(t: Transcript) -> Outcome | None:
    return rejected(t.step("create"), "an unknown model") or ok()


@transcript_check(
    id="bad_input.wrong-type-rejected",
    level=Level.MUST,
    requirement="A request with a wrongly typed field (max_output_tokens as a string, input as a number) is "
                "refused with a 4xx.",
    source="https://platform.openai.com/docs/api-reference/responses/create (OpenAI answers 400 invalid_type); "
           "docs/rules.md#verdicts silent acceptance",
    area="bad_input",
    scenarios=("bad_input.wrong-types",),
)
def wrong_type_rejected(t: Transcript) -> Outcome | None:
    for label, what in (("max-tokens-string", 'max_output_tokens "abc"'), ("input-number", "input 5")):
        bad = rejected(t.step(label), what)
        if bad:
            return bad
    return ok()


@transcript_check(
    id="bad_input.unknown-previous-response-rejected",
    level=Level.MUST,
    requirement="previous_response_id naming a response that does not exist is refused with a 4xx error "
                "envelope, never answered without the context.",
    source="https://platform.openai.com/docs/api-reference/responses/create (OpenAI: 400 "
           "previous_response_not_found); docs/rules.md#known-deviations Ollama (previous_response_id ignored)",
    area="bad_input",
    scenarios=("bad_input.unknown-previous-response",),
)
def unknown_previous_response_rejected(t: Transcript) -> Outcome | None:
    return (rejected(t.step("create"), "an unknown previous_response_id")
            or unearned(t, "control", "previous_response_id naming a stored response") or ok())


@transcript_check(
    id="bad_input.status-as-openai",
    level=Level.SHOULD,
    requirement="A refused bad request gets the HTTP status OpenAI uses for it (400 for these requests).",
    source="OpenAI recordings and API reference: invalid_request_error answers 400 (model_not_found, "
           "invalid_type, previous_response_not_found, invalid text.format, tools[0].name missing)",
    area="bad_input",
    scenarios=("bad_input.unknown-model", "bad_input.wrong-types", "bad_input.unknown-previous-response",
               "json_mode.invalid-format", "tools.chat-shape"),
)
def status_as_openai(t: Transcript) -> Outcome | None:
    expected: dict[str, list[int]] = t.params["expected_status"]
    judged = 0
    for label, codes in expected.items():
        ex = t.step(label)
        if ex is None or ex.status is None or not 400 <= ex.status < 500 or ex.status in (401, 403, 429):
            continue  # not refused at all: the *-rejected checks say so
        judged += 1
        if ex.status not in codes:
            return violation(f"{label}: HTTP {ex.status}; OpenAI answers {codes}", step=label, status=ex.status)
    return ok() if judged else None
