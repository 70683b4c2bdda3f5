"""Background responses: queued then polled to completion, cancel, and resuming a stream with
starting_after. All optional (a clean refusal is UNSUPPORTED); every wait is bounded."""

from __future__ import annotations

from conformance.exchange import Exchange
from conformance.extract import final_response, response_id
from conformance.live.scenario import ScenarioContext, scenario
from conformance.live.scenarios.basic import FOREGROUND
from conformance.live.shared import Use

TERMINAL = ("completed", "incomplete", "failed", "cancelled")
POLL_TIMEOUT_S = 30.0
# Long enough that a fast server is still generating when the cancel arrives (64 tokens lose that race
# against the reference server about half the time); short enough for a server that runs it in the
# foreground anyway.
CANCEL_BUDGET = 256


def _finished(ex: Exchange) -> bool:
    resp = final_response(ex)
    return bool(resp) and resp.get("status") in TERMINAL


def _poll_limit(ctx: ScenarioContext) -> float:
    return min(POLL_TIMEOUT_S, ctx.target.request_timeout_s)


@scenario("background.poll", "background: true, then GET until the response finishes (bounded)")
def poll(ctx: ScenarioContext) -> None:
    ctx.params["poll_timeout_s"] = _poll_limit(ctx)
    created = ctx.create("create", {"input": "Say hello.", "background": True, "store": True,
                                    "max_output_tokens": 16})
    rid = response_id(created)
    if rid and created.ok and not _finished(created):
        ctx.poll("poll", rid, _finished, timeout_s=_poll_limit(ctx))


@scenario("background.cancel", "A background response cancelled at once, then read back; and a cancel of "
          "a foreground response (basic.string-input's), which must be refused", uses={FOREGROUND: Use.MUTATE},
          chain=7)
def cancel(ctx: ScenarioContext) -> None:
    created = ctx.create("create", {"input": "Count to 500, separated by commas.", "background": True,
                                    "store": True,
                                    "max_output_tokens": max(ctx.target.max_output_tokens, CANCEL_BUDGET)})
    rid = response_id(created)
    if rid and created.ok:
        ctx.request("cancel", "POST", ("responses", rid, "cancel"))
        ctx.poll("retrieve", rid, _finished, timeout_s=_poll_limit(ctx))
    fg = ctx.use(FOREGROUND, Use.MUTATE, label="fg-create")
    if fg and fg["id"]:
        ctx.request("fg-cancel", "POST", ("responses", fg["id"], "cancel"))


@scenario("background.stream-resume", "A streamed background response, then GET ?stream=true&starting_after=N "
          "to resume after its second event", streams=True)
def stream_resume(ctx: ScenarioContext) -> None:
    first = ctx.create("stream", {"input": "Say hello.", "background": True, "store": True,
                                  "max_output_tokens": 16}, stream=True)
    rid = response_id(first)
    events = first.stream.typed() if first.stream else []
    if not (rid and first.ok and len(events) >= 2):
        return
    after = events[1].json.get("sequence_number")
    if not isinstance(after, int):
        return  # no sequence numbers to resume from; the check says so
    ctx.params["starting_after"] = after
    ctx.retrieve("resume", rid, stream=True, starting_after=after)
