"""Async SDK tier: the rules that only show when AsyncOpenAI drives the endpoint (live/scenarios/async_sdk.py).

Its create, stream and parse scenarios are judged by checks/sdk.py, as the sync tier's are. These checks add what
async clients (web backends, agent frameworks) depend on: create(stream=True) read with ``async for``, retrieve,
streams sent at once through one connection pool, pooled keep-alive connections with the SDK's retries off, and
a stream left half-way that must not harm the next request.
"""

from __future__ import annotations

from typing import Any

from conformance.checks.common import SDK
from conformance.checks.sdk import NO_ANSWER, failed
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, error, ok, skip, unsupported, violation

AREA = "async_sdk"
SOURCE = (f"{SDK} AsyncOpenAI, AsyncStream and its httpx2 connection pool (pinned, Apache-2.0); "
          "docs/rules.md#purpose (an OpenAI client must not break)")
_DONE = ("response.completed", "response.incomplete")  # what the stream helper accepts as a finished Response
_NOT_FOUND = ("openai.NotFoundError", "openai._exceptions.NotFoundError")
ABANDONED = "abandoned"  # the step the scenario leaves half-way


@transcript_check(
    id="async_sdk.create-stream-terminal",
    level=Level.MUST,
    requirement="AsyncOpenAI's client.responses.create(stream=True), read with async for, yields events from "
                "response.created to response.completed or response.incomplete without raising.",
    source=f"{SOURCE}; docs/rules.md#stream-grammar",
    area=AREA,
    scenarios=("async_sdk.create-stream",),
)
def create_stream_terminal(t: Transcript) -> Outcome | None:
    sdk = t.params.get("sdk")
    why = failed(sdk, "client.responses.create(stream=True)", "stream")
    if why:
        return why
    if sdk.get("last") not in _DONE:
        return violation(f"the stream's last event is {sdk.get('last')!r}, not response.completed or "
                         "response.incomplete", step="stream", got=sdk.get("last"))
    return ok()


@transcript_check(
    id="async_sdk.retrieve-matches",
    level=Level.MUST,
    requirement="AsyncOpenAI's client.responses.retrieve(id), on the client that created the response, returns "
                "that Response (same id, status and output text); an endpoint without stored responses may "
                "refuse it with 404 (UNSUPPORTED).",
    source=f"{SOURCE}; https://platform.openai.com/docs/api-reference/responses/get",
    area=AREA,
    scenarios=("async_sdk.retrieve",),
)
def retrieve_matches(t: Transcript) -> Outcome | None:
    created = t.params.get("created")
    why = failed(created, "client.responses.create", "create")
    if why:
        return why
    got = t.params.get("retrieved")
    if isinstance(got, dict) and got.get("exception") in _NOT_FOUND:
        return unsupported(f"retrieve refused: {got.get('message')}", step="retrieve")
    why = failed(got, "client.responses.retrieve", "retrieve")
    if why:
        return why
    for key in ("id", "status", "output_text"):
        if got.get(key) != created.get(key):
            return violation(f"the retrieved Response's {key} is {got.get(key)!r}, not the created one's "
                             f"{created.get(key)!r}", step="retrieve", field=key)
    return ok()


def _parallel(t: Transcript) -> tuple[dict[str, Any], Outcome | None]:
    """(the parallel streams' facts by label, None) when the stream sent alone succeeded; else a SKIP/ERROR."""
    streams = t.params.get("streams")
    if not isinstance(streams, dict):
        return {}, error("the scenario recorded no streams")
    alone = streams.get("alone")
    if not (isinstance(alone, dict) and alone.get("ok") and alone.get("terminal") in _DONE):
        return {}, skip("the stream sent alone did not end with response.completed or response.incomplete, so "
                        "streams at once are not judged", step="alone")
    sent = {k: v for k, v in streams.items() if k.startswith("parallel-")}
    if not sent:
        return {}, error("the scenario recorded no parallel stream")
    return dict(sorted(sent.items())), None


@transcript_check(
    id="async_sdk.parallel-own-terminal",
    level=Level.MUST,
    requirement="Of streams sent at once through one AsyncOpenAI client, each ends with its own terminal event: "
                "response.completed or response.incomplete for the response its own response.created named, no "
                "id shared with another stream, its own metadata (when the stream sent alone echoed it), and no "
                "other stream's code word.",
    source=f"{SOURCE}; issue 21 (keep-alive connections shared by many concurrent streams)",
    area=AREA,
    scenarios=("async_sdk.parallel",),
)
def parallel_own_terminal(t: Transcript) -> Outcome | None:
    sent, gate = _parallel(t)
    if gate:
        return gate
    nonces: dict[str, str] = t.params["nonces"]
    echoes = t.params["streams"]["alone"].get("metadata") == {"nonce": nonces["alone"]}
    owners: dict[str, str] = {}
    for step, facts in sent.items():
        why = failed(facts, f"{step}: the stream", step)
        if why:
            return why
        if facts.get("terminal") not in _DONE:
            return violation(f"{step}: the stream ended without response.completed or response.incomplete "
                             f"(last terminal event: {facts.get('terminal')!r})", step=step)
        created, terminal = facts.get("created_id"), facts.get("terminal_id")
        if created != terminal:
            return violation(f"{step}: the stream opened response {created!r} but ended with {terminal!r}'s "
                             "terminal event", step=step, expected=created, got=terminal)
        if isinstance(terminal, str) and terminal in owners:
            return violation(f"{step} and {owners[terminal]} ended with the same response {terminal!r}", step=step)
        owners[str(terminal)] = step
        if echoes and facts.get("metadata") != {"nonce": nonces[step]}:
            return violation(f"{step}: metadata {facts.get('metadata')!r} is not the {{'nonce': {nonces[step]!r}}} "
                             "it sent", step=step)
        text = str(facts.get("output_text") or "")
        foreign = [w for other, w in nonces.items() if other != step and w in text]
        if foreign:
            return violation(f"{step}: the stream carries another stream's code word {foreign[0]}", step=step,
                             got=text[:300])
    return ok()


@transcript_check(
    id="async_sdk.parallel-own-code-word",
    level=Level.MUST,
    requirement="Of streams sent at once through one AsyncOpenAI client, each carries its own request's code word "
                "(when the stream sent alone did).",
    source=f"{SOURCE}; issue 21",
    area=AREA,
    scenarios=("async_sdk.parallel",),
    model_dependent=True,
)
def parallel_own_code_word(t: Transcript) -> Outcome | None:
    sent, gate = _parallel(t)
    if gate:
        return gate
    nonces: dict[str, str] = t.params["nonces"]
    if nonces["alone"] not in str(t.params["streams"]["alone"].get("output_text") or ""):
        return skip("the model did not repeat the code word even in the stream sent alone")
    for step, facts in sent.items():
        if not facts.get("ok"):
            continue  # judged by async_sdk.parallel-own-terminal
        if nonces[step] not in str(facts.get("output_text") or ""):
            return violation(f"{step}: the stream lacks its code word {nonces[step]}", step=step,
                             got=str(facts.get("output_text"))[:300])
    return ok()


@transcript_check(
    id="async_sdk.keepalive-reuse",
    level=Level.MUST,
    requirement="Requests sent one after another through one AsyncOpenAI client with max_retries=0, which reuses "
                "its pooled keep-alive connections, all succeed: a server that closes a connection it kept alive "
                "must say so (Connection: close) or close it while idle, not when the next request arrives.",
    source=f"{SOURCE}; RFC 9112 §9.6 (a server that will close says Connection: close); issue 21",
    area=AREA,
    scenarios=("async_sdk.keepalive",),
    judges_incomplete=True,  # a kept-alive connection that breaks is this rule's finding, not a lost exchange
)
def keepalive_reuse(t: Transcript) -> Outcome | None:
    requests = t.params.get("requests")
    if not isinstance(requests, list) or not requests:
        return error("the scenario recorded no requests")
    why = failed(requests[0], "the first create", "request-1")
    if why:
        return why
    for i, facts in enumerate(requests[1:], start=2):
        step = f"request-{i}"
        exc = facts.get("exception")
        if not facts.get("ok") and exc in NO_ANSWER and "Timeout" not in str(exc):
            return violation(f"{step}: the connection broke ({exc}: {facts.get('cause') or facts.get('message')}) "
                             f"after {i - 1} request(s) on this client succeeded; with retries off nothing hides "
                             "a kept-alive connection the server dropped", step=step, exception=exc,
                             connections=t.params.get("connections"))
        why = failed(facts, f"create {i} of {len(requests)}", step)
        if why:
            return why
    return ok(f"{len(requests)} requests over {t.params.get('connections')} connection(s)")


@transcript_check(
    id="async_sdk.abandoned-stream-harmless",
    level=Level.MUST,
    requirement="After an AsyncOpenAI consumer breaks out of async for half-way through a stream (closing it "
                "unread), the next request on the same client succeeds, and within 4x the time the same request "
                "took before (at least 5 s).",
    source=f"{SOURCE}; issue 21 (a stream left unclosed when a consumer stops reading)",
    area=AREA,
    scenarios=("async_sdk.abandon",),
    judges_incomplete=True,  # an answer cut by the scenario's bound is this rule's finding
)
def abandoned_stream_harmless(t: Transcript) -> Outcome | None:
    why = failed(t.params.get("before"), "the create before the stream", "before")
    if why:
        return skip(f"the request sent before the stream did not succeed, so nothing is judged: {why.message}",
                    step="before")
    left = t.params.get("left")
    why = failed(left, "the stream to abandon", ABANDONED)
    if why is not None:  # a stream that broke before the consumer left is other checks' finding
        return skip(f"the stream to abandon did not get under way, so nothing is judged: {why.message}",
                    step=ABANDONED)
    if not left.get("left_half_way"):
        return skip("the stream ended before its first text delta: there was nothing to abandon")
    after = t.params.get("after")
    if isinstance(after, dict) and not after.get("ok") and (after.get("exception") == "timeout"
                                                            or after.get("exception") in NO_ANSWER):
        # The same request was answered just before: a timeout or a lost connection now is the stream's doing.
        return violation(f"the request after the abandoned stream got no answer ({after.get('exception')}: "
                         f"{after.get('cause') or after.get('message')})", step="after",
                         bound_s=t.params.get("after_bound_s"))
    return failed(after, "the create after the abandoned stream", "after") or ok()
