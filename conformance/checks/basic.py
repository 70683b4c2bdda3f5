"""Basic creation: the request is served, and what only the model could learn from the request (nonces in
the input, in system/developer messages, in `instructions`) shows in its answer."""

from __future__ import annotations

from conformance.checks.common import final_response, has_code_word, not_ok, output_text
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

BASIC = ("basic.string-input", "basic.message-roles", "basic.instructions")


@transcript_check(
    id="basic.create-ok",
    level=Level.MUST,
    requirement="POST /responses answers 2xx with a Response (object 'response', an id, status completed or "
                "incomplete; a completed one holds output_text).",
    source="https://platform.openai.com/docs/api-reference/responses/create; docs/rules.md#scenarios-and-checks",
    area="basic",
    scenarios=BASIC,
)
def create_ok(t: Transcript) -> Outcome | None:
    ex = t.step("create")
    bad = not_ok(ex, "create")
    if bad:
        return bad
    resp = final_response(ex)
    if resp is None or not isinstance(resp.get("id"), str):
        return violation("the 2xx body is not a Response object with an id", step="create")
    status = resp.get("status")
    if status not in ("completed", "incomplete"):
        return violation(f"status is {status!r}, expected completed (or incomplete)", step="create")
    if status == "completed" and not output_text(resp):
        return violation("a completed response without any output_text", step="create")
    return ok()


def _answer(t: Transcript) -> tuple[str | None, Outcome | None]:
    """The create step's output text, or a SKIP when there is no answer to judge (create-ok says why)."""
    ex = t.step("create")
    if ex is None or not ex.ok or final_response(ex) is None:
        return None, skip("no answer to judge: the create step failed (see basic.create-ok)", step="create")
    return output_text(final_response(ex)), None


def _nonce_in_answer(t: Transcript, origin: str) -> Outcome:
    """OK when the create step's answer contains the scenario's code word (planted where `origin` says)."""
    text, why = _answer(t)
    if why:
        return why
    return has_code_word(text or "", t.params["nonce"], "create", "the answer does not contain", origin)


@transcript_check(
    id="basic.echo",
    level=Level.MUST,
    requirement="Asked to repeat a code word given in a string input, the answer contains it.",
    source="https://platform.openai.com/docs/api-reference/responses/create (input: what the model answers); "
           "docs/rules.md#verdicts nonce checks (a model-dependent sanity check that the input reaches the model)",
    area="basic",
    scenarios=("basic.string-input",),
    model_dependent=True,
)
def echo(t: Transcript) -> Outcome | None:
    return _nonce_in_answer(t, "")


@transcript_check(
    id="basic.roles-reach-model",
    level=Level.MUST,
    requirement="Code words given only in a system and a developer message reach the model and show in its answer.",
    source="https://platform.openai.com/docs/api-reference/responses/create (input: messages "
           "with role system or developer); "
           "docs/rules.md#verdicts nonce checks: system/developer messages silently dropped; model-dependent",
    area="basic",
    scenarios=("basic.message-roles",),
    model_dependent=True,
)
def roles_reach_model(t: Transcript) -> Outcome | None:
    text, why = _answer(t)
    if why:
        return why
    missing = [role for role, word in t.params["nonces"].items() if word not in (text or "")]
    if not missing:
        return ok()
    return violation(f"the answer lacks the code word of the {' and '.join(missing)} message", step="create",
                     got=(text or "")[:300])


@transcript_check(
    id="basic.instructions-reach-model",
    level=Level.MUST,
    requirement="A code word given only in `instructions` shows in the answer (instructions are not ignored).",
    source="https://platform.openai.com/docs/api-reference/responses/create (instructions: "
           "a system message inserted into the model's context); "
           "docs/rules.md#verdicts nonce checks: `instructions` silently ignored; model-dependent",
    area="basic",
    scenarios=("basic.instructions",),
    model_dependent=True,
)
def instructions_reach_model(t: Transcript) -> Outcome | None:
    return _nonce_in_answer(t, " from instructions")


@transcript_check(
    id="basic.instructions-echoed",
    level=Level.SHOULD,
    requirement="The Response echoes the request's `instructions` in its `instructions` field.",
    source="https://platform.openai.com/docs/api-reference/responses/object (instructions); "
           "OpenAI recordings echo it verbatim",
    area="basic",
    scenarios=("basic.instructions",),
)
def instructions_echoed(t: Transcript) -> Outcome | None:
    ex = t.step("create")
    if ex is None or not ex.ok or final_response(ex) is None:
        return skip("no Response to read: the create step failed (see basic.create-ok)", step="create")
    got = final_response(ex).get("instructions")
    if got == t.params["instructions"]:
        return ok()
    return violation("response.instructions differs from the instructions sent", step="create",
                     got=str(got)[:300], expected=t.params["instructions"])
