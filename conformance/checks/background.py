"""Background mode: accepted requests return at once (queued/in_progress) and finish when polled; cancel
works on background responses only; a stream can be resumed after a sequence number. All optional: a clean
refusal is UNSUPPORTED."""

from __future__ import annotations

from conformance.checks.common import final_response, last_step, not_ok, rejected
from conformance.exchange import Exchange, Transcript
from conformance.extract import response_id
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, unsupported, violation

FINISHED = ("completed", "incomplete")


@transcript_check(
    id="background.queued",
    level=Level.MUST,
    requirement="POST /responses with background: true returns at once with status queued or in_progress.",
    source="https://platform.openai.com/docs/guides/background; OpenAI recordings (status queued); docs/rules.md#verdicts "
           "(background silently ignored: the request runs in the foreground)",
    area="background",
    scenarios=("background.poll",),
)
def queued(t: Transcript) -> Outcome | None:
    bad = not_ok(t.step("create"), "background create", optional=True)
    if bad:
        return bad
    resp = final_response(t.step("create"))
    if resp is None:
        return violation("the 2xx body is not a Response", step="create")
    if resp.get("status") in ("queued", "in_progress"):
        return ok()
    return violation(f"status is {resp.get('status')!r} (background {resp.get('background')!r}): the request "
                     "ran in the foreground", step="create")


@transcript_check(
    id="background.completes",
    level=Level.MUST,
    requirement="A background response polled with GET /responses/{id} reaches completed (or incomplete) "
                "within the poll limit.",
    source="https://platform.openai.com/docs/guides/background (polling); seed 003 (GET polling)",
    area="background",
    scenarios=("background.poll",),
)
def completes(t: Transcript) -> Outcome | None:
    created = t.step("create")
    if created is None or not created.ok:
        return skip("the background request was not accepted (see background.queued)", step="create")
    ex = last_step(t, "poll")
    if ex is None:
        return skip("the create answered an already finished response, so there was nothing to poll (see "
                    "background.queued)", step="create")
    bad = not_ok(ex, "poll", optional=True)
    if bad:
        return bad
    status = (final_response(ex) or {}).get("status")
    if status in FINISHED:
        return ok()
    limit = t.params.get("poll_timeout_s")
    return violation(f"the last poll says status {status!r} after {limit}s of polling", step=ex.label)


@transcript_check(
    id="background.cancel",
    level=Level.MUST,
    requirement="POST /responses/{id}/cancel on a running background response answers it with status "
                "cancelled, and GET then shows cancelled.",
    source="https://platform.openai.com/docs/api-reference/responses/cancel; OpenAI recordings "
           "(openai-dotnet CanCancelBackgroundResponses)",
    area="background",
    scenarios=("background.cancel",),
)
def cancel(t: Transcript) -> Outcome | None:
    bad = not_ok(t.step("create"), "background create", optional=True)
    if bad:
        return bad
    if t.step("cancel") is None and response_id(t.step("create")) is None:
        # The create "succeeded" with no Response to cancel (e.g. a JSON null): the feature is broken, judge it.
        return violation("the background create answered 2xx without a Response id, so there was nothing to "
                         "cancel", step="create")
    bad = not_ok(t.step("cancel"), "cancel", optional=True)
    if bad:
        return bad
    status = (final_response(t.step("cancel")) or {}).get("status")
    if status in FINISHED:
        return skip(f"the response was already {status} when the cancel arrived", step="cancel")
    if status != "cancelled":
        return violation(f"the cancel answered status {status!r}, not cancelled", step="cancel")
    after = last_step(t, "retrieve")
    if after is None or not after.ok:
        return ok()  # retrieve is optional; the cancel itself was right
    later = (final_response(after) or {}).get("status")
    if later != "cancelled":
        return violation(f"after the cancel, GET says status {later!r}", step="retrieve")
    return ok()


@transcript_check(
    id="background.cancel-foreground-rejected",
    level=Level.SHOULD,
    requirement="Cancelling a response that was not created with background: true is refused with a 4xx "
                "(its body is errors.envelope's to judge).",
    source="https://platform.openai.com/docs/api-reference/responses/cancel (only background responses can be "
           "cancelled); docs/rules.md#known-deviations SGLang #38087",
    area="background",
    scenarios=("background.cancel",),
)
def cancel_foreground_rejected(t: Transcript) -> Outcome | None:
    fg = t.step("fg-create")
    if fg is None or not fg.ok or t.step("fg-cancel") is None:
        return skip("the foreground response was not created", step="fg-create")
    bg_cancel = t.step("cancel")
    if bg_cancel is not None and bg_cancel.status in (404, 405, 501) and t.step("fg-cancel").status == bg_cancel.status:
        # The route itself is missing: refusing the foreground cancel proves nothing.
        return unsupported(f"no cancel route (HTTP {bg_cancel.status} for a background response too)",
                           step="fg-cancel")
    return rejected(t.step("fg-cancel"), "cancel of a foreground response") or ok()


def _keepalive(ev_type: str | None) -> bool:
    """Keep-alives (response.ping, keepalive, ...) are tolerated between events (docs/rules.md#stream-grammar) and are
    time-driven, so a replay need not repeat them."""
    return (ev_type or "").rsplit(".", 1)[-1] in ("ping", "keepalive", "keep_alive")


def _numbered(ex: Exchange) -> list[tuple[object, str | None]]:
    return [(e.json.get("sequence_number"), e.type) for e in ex.stream.typed() if not _keepalive(e.type)]


@transcript_check(
    id="background.stream-resume",
    level=Level.MUST,
    requirement="GET /responses/{id}?stream=true&starting_after=N replays the background stream's events after "
                "N: sequence numbers N+1 onwards, the same event types as the original stream.",
    source="https://platform.openai.com/docs/guides/background#resuming-streams",
    area="background",
    scenarios=("background.stream-resume",),
)
def stream_resume(t: Transcript) -> Outcome | None:
    bad = not_ok(t.step("stream"), "background stream", optional=True)
    if bad:
        return bad
    after = t.params.get("starting_after")
    if after is None:
        return skip("the background stream had no sequence_number to resume after", step="stream")
    resume = t.step("resume")
    bad = not_ok(resume, "resume", optional=True)
    if bad:
        return bad
    if not resume.is_stream:
        return violation("GET with stream=true answered a JSON body, not a stream", step="resume")
    original = _numbered(t.step("stream"))
    resumed = _numbered(resume)
    expected = [p for p in original if isinstance(p[0], int) and p[0] > after]
    if not resumed:
        return violation("the resumed stream has no events", step="resume")
    if resumed[0][0] != after + 1:
        return violation(f"the resumed stream starts at sequence_number {resumed[0][0]}, expected {after + 1}",
                         step="resume")
    if resumed != expected:
        return violation("the resumed events differ from the original stream's events after "
                         f"{after}", step="resume", got=resumed[:20], expected=expected[:20])
    return ok()
