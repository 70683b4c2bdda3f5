"""Many requests at once: every answer valid, and each its own.

Seen in the wild (issue 11): a server that answered 4 of 6 parallel requests with HTTP 500 and one with a
stray function call nobody declared, while each request sent alone succeeded. Every parallel stream is also
judged by the stream checks, exchange by exchange.
"""

from __future__ import annotations

from conformance.checks.common import final_response, function_calls, has_code_word, not_ok, output_text
from conformance.exchange import Exchange, Transcript
from conformance.registry import exchange_check, transcript_check
from conformance.verdicts import Level, Outcome, error, ok, skip, violation

AREA = "concurrency"
SCENARIOS = ("concurrency.parallel",)
SOURCE = ("https://platform.openai.com/docs/api-reference/responses/create (each request returns the Response it "
          "created); issue 11: a server answering 4 of 6 parallel requests with HTTP 500 and one with a stray "
          "function call")


def _parallel(t: Transcript) -> list[Exchange]:
    return sorted((ex for ex in t.exchanges if ex.label.startswith("parallel-")), key=lambda ex: ex.label)


def _baseline(t: Transcript) -> Outcome | None:
    """None when both requests sent alone were answered; else SKIP (the parallel verdicts would mean nothing)."""
    for label in ("alone", "alone-stream"):
        bad = not_ok(t.step(label), f"the same request sent alone ({label})")
        if bad or final_response(t.step(label)) is None:
            return skip(f"the request sent alone ({label}) did not succeed, so concurrency is not judged",
                        step=label)
    return None


@transcript_check(
    id="concurrency.all-answered",
    level=Level.MUST,
    requirement="Of requests sent at once, each is answered as it is when sent alone: a 2xx Response (a stream "
                "up to its terminal event), never a 5xx.",
    source=SOURCE,
    area=AREA,
    scenarios=SCENARIOS,
    judges_incomplete=True,  # a connection that breaks under load is this rule's finding, not a lost exchange
)
def all_answered(t: Transcript) -> Outcome | None:
    gate = _baseline(t)
    if gate:
        return gate
    sent = _parallel(t)
    if not sent:
        return error("the scenario recorded no parallel request")
    for ex in sent:
        if ex.status == 429 or (ex.transport_error or "").startswith(("timeout", "idle-timeout")):
            # Slow or rate limited is not proof of breakage: the suite could not judge.
            return error(f"{ex.label}: {ex.transport_error or 'rate limited (429)'}", step=ex.label)
        if ex.status is None:
            return violation(f"{ex.label}: the connection failed ({ex.transport_error}) although the same request "
                             "succeeded alone", step=ex.label)
        if not ex.ok:
            failed = [e.label for e in sent if not e.ok]
            return violation(f"{len(failed)} of {len(sent)} parallel requests failed (first: {ex.label}, HTTP "
                             f"{ex.status}) although the same request succeeded alone", step=ex.label,
                             status=ex.status, failed=failed)
        resp = final_response(ex)
        if resp is None:
            what = "stream ended without a terminal event" if ex.is_stream else "answer is not a Response"
            return violation(f"{ex.label}: the {what}", step=ex.label)
    return ok()


@transcript_check(
    id="concurrency.no-cross-talk",
    level=Level.MUST,
    requirement="Each answer to requests sent at once is its own: its own response id and metadata, no other "
                "request's code word in its text, and no function call when no tool was declared.",
    source=SOURCE,
    area=AREA,
    scenarios=SCENARIOS,
)
def no_cross_talk(t: Transcript) -> Outcome | None:
    gate = _baseline(t)
    if gate:
        return gate
    nonces: dict[str, str] = t.params["nonces"]
    echoes_metadata = all((final_response(t.step(label)) or {}).get("metadata") == {"nonce": nonces[label]}
                          for label in ("alone", "alone-stream"))
    judged = 0
    seen: dict[str, str] = {}
    for ex in _parallel(t):
        resp = final_response(ex) if ex.ok else None
        if resp is None:
            continue  # not answered: concurrency.all-answered
        judged += 1
        own = nonces[ex.label]
        rid = resp.get("id")
        if isinstance(rid, str) and rid in seen:
            return violation(f"{ex.label} and {seen[rid]} were answered with the same response id {rid!r}",
                             step=ex.label)
        if isinstance(rid, str):
            seen[rid] = ex.label
        if function_calls(resp):
            return violation(f"{ex.label}: a function call ({function_calls(resp)[0].get('name')!r}) although no "
                             "tool was declared", step=ex.label)
        if echoes_metadata and resp.get("metadata") != {"nonce": own}:
            return violation(f"{ex.label}: metadata {resp.get('metadata')!r} is not the {{'nonce': {own!r}}} it "
                             "sent", step=ex.label)
        text = output_text(resp)
        foreign = [w for label, w in nonces.items() if label != ex.label and w in text]
        if foreign:
            return violation(f"{ex.label}: the answer holds another request's code word {foreign[0]}",
                             step=ex.label, got=text[:300])
    return ok() if judged else skip("no parallel request was answered; judged by concurrency.all-answered")


@transcript_check(
    id="concurrency.own-code-word",
    level=Level.MUST,
    requirement="Each answer to requests sent at once carries its own request's code word (when the request "
                "sent alone did).",
    source=SOURCE,
    area=AREA,
    scenarios=SCENARIOS,
    model_dependent=True,
)
def own_code_word(t: Transcript) -> Outcome | None:
    gate = _baseline(t)
    if gate:
        return gate
    nonces: dict[str, str] = t.params["nonces"]
    if not all(nonces[label] in output_text(final_response(t.step(label))) for label in ("alone", "alone-stream")):
        return skip("the model did not repeat the code word even when asked alone")
    for ex in _parallel(t):
        resp = final_response(ex) if ex.ok else None
        if resp is None:
            continue
        found = has_code_word(output_text(resp), nonces[ex.label], ex.label, f"{ex.label}: the answer lacks")
        if found.kind.value != "ok":
            return found
    return ok()


@exchange_check(
    id="concurrency.stable-under-load",
    level=Level.MUST,
    requirement="A request that failed (HTTP 5xx, a broken stream or connection) while the run had others in "
                "flight succeeds when sent again alone: the endpoint serves requests at once as it serves them "
                "one at a time. Every such request is retried alone, and the scenario is judged on the retry.",
    source=SOURCE + "; issue 18: a server unsafe under concurrency, blamed for other rules at the default concurrency",
    area=AREA,
)
def stable_under_load(ex: Exchange) -> Outcome | None:
    first = ex.under_load
    if not first:
        return None  # not a retry of a request that failed under load
    if not ex.ok:
        return None  # it fails alone too: not a matter of load (the other checks judge this answer)
    if str(first.get("transport_error") or "").startswith(("timeout", "idle-timeout")):
        return None  # slow under load (a queue, one slot) is no rule's breach; the run's notes count these
    got = f"HTTP {first.get('status')}" if first.get("status") else str(first.get("transport_error"))
    return violation(f"{got} while {first.get('others_in_flight')} other request(s) were in flight; sent again "
                     f"alone, the same request got HTTP {ex.status}", first_attempt=first)
