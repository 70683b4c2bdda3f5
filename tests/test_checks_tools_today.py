"""The custom_tools, tool_use, parameters and structured_outputs checks on hand-made transcripts (each FAILs or
WARNs on traffic that breaks its rule, is UNSUPPORTED on a clean refusal where the feature is optional, and
PASSes on traffic that keeps it), and on the real OpenAI recordings that carry what they judge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse, Transcript
from conformance.extract import final_response
from conformance.judge import judge
from conformance.live.scenarios.structured_outputs import TRIP_SCHEMA
from conformance.recordings import load_file
from conformance.registry import all_checks, get
from conformance.verdicts import Verdict

PASS, FAIL, WARN, SKIP, UNSUP = Verdict.PASS, Verdict.FAIL, Verdict.WARN, Verdict.SKIP, Verdict.UNSUPPORTED
FAMILIES = ("custom_tools", "tool_use", "parameters", "structured_outputs")
ERR = {"error": {"message": "not supported", "type": "invalid_request_error", "param": None, "code": None}}


def ex(label: str, status: int, body: Any = None, sse: str | None = None, request: Any = None) -> Exchange:
    return Exchange(RecordedRequest("POST", "/v1/responses", body=request), RecordedResponse(status, body=body, sse=sse),
                    label=label)


def msg(text: str, **extra: Any) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [], **extra.pop("part", {})}], **extra}


def resp(*output: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": "completed", "output": list(output), **extra}


def sse(*events: dict[str, Any]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def verdict(check_id: str, t: Transcript) -> Verdict | None:
    r = judge(get(check_id), t)
    return None if r is None else r.verdict


# --- custom_tools -------------------------------------------------------------------------------------------

def custom_call(name: str = "run_python", text: str = "print(5)") -> dict[str, Any]:
    return {"id": "ctc_1", "type": "custom_tool_call", "status": "completed", "call_id": "call_1", "input": text,
            "name": name}


def custom_stream(item: dict[str, Any], deltas: list[str] | None = None, done: str | None = None) -> str:
    events: list[dict[str, Any]] = [{"type": "response.created", "response": resp()}]
    for d in deltas if deltas is not None else [item["input"]]:
        events.append({"type": "response.custom_tool_call_input.delta", "item_id": item["id"], "delta": d})
    events.append({"type": "response.custom_tool_call_input.done", "item_id": item["id"],
                   "input": item["input"] if done is None else done})
    events += [{"type": "response.output_item.done", "item": item, "output_index": 0},
               {"type": "response.completed", "response": resp(item)}]
    return sse(*events)


def custom_t(status: int = 200, stream: str | None = None, body: Any = None) -> Transcript:
    if status == 200 and stream is None:
        stream = custom_stream(custom_call())
    return Transcript("custom_tools.call", [ex("stream", status, body=body, sse=stream)], {"tool": "run_python"})


def test_custom_call() -> None:
    assert verdict("custom_tools.call", custom_t()) is PASS
    assert verdict("custom_tools.call", custom_t(400, body=ERR)) is UNSUP
    dropped = sse({"type": "response.completed", "response": resp(msg("I ran it: 5"))})
    assert verdict("custom_tools.call", custom_t(stream=dropped)) is FAIL
    assert verdict("custom_tools.call", custom_t(stream=custom_stream(custom_call(name="other")))) is FAIL
    no_input = {**custom_call(), "input": None}
    assert verdict("custom_tools.call", custom_t(stream=custom_stream(no_input, deltas=[], done=""))) is FAIL
    assert verdict("custom_tools.call", custom_t(500, body=ERR)) is FAIL


def test_custom_input_events() -> None:
    item = custom_call(text="print(2 + 3)")
    assert verdict("custom_tools.input-events", custom_t(stream=custom_stream(item, ["print(", "2 + 3)"]))) is PASS
    assert verdict("custom_tools.input-events", custom_t(stream=custom_stream(item, []))) is WARN
    assert verdict("custom_tools.input-events", custom_t(stream=custom_stream(item, ["print("]))) is WARN
    assert verdict("custom_tools.input-events", custom_t(stream=custom_stream(item, done="x"))) is WARN
    assert verdict("custom_tools.input-events", custom_t(400, body=ERR)) is SKIP


def fn_call(name: str) -> dict[str, Any]:
    return {"id": "fc_1", "type": "function_call", "status": "completed", "name": name, "arguments": "{}",
            "call_id": "call_1"}


def allowed_t(status: int, body: Any) -> Transcript:
    return Transcript("custom_tools.allowed-tools", [ex("create", status, body)], {"allowed": ["get_time"]})


def test_allowed_tools() -> None:
    assert verdict("custom_tools.allowed-tools", allowed_t(200, resp(fn_call("get_time")))) is PASS
    assert verdict("custom_tools.allowed-tools", allowed_t(200, resp(fn_call("get_weather")))) is FAIL
    assert verdict("custom_tools.allowed-tools", allowed_t(200, resp(msg("sunny")))) is FAIL
    assert verdict("custom_tools.allowed-tools", allowed_t(400, ERR)) is UNSUP


# --- tool_use -----------------------------------------------------------------------------------------------

def test_output_array() -> None:
    def t(status: int, body: Any) -> Transcript:
        return Transcript("tool_use.output-content-array", [ex("create", status, body)], {"nonce": "WEATHER-123456"})

    good = t(200, resp(msg("The code is WEATHER-123456.")))
    assert verdict("tool_use.output-array-accepted", good) is PASS
    assert verdict("tool_use.output-array-recall", good) is PASS
    assert verdict("tool_use.output-array-recall", t(200, resp(msg("Sunny.")))) is FAIL
    refused = t(400, ERR)  # llama.cpp: a core input shape, so a refusal is a violation
    assert verdict("tool_use.output-array-accepted", refused) is FAIL
    assert verdict("tool_use.output-array-recall", refused) is SKIP


def test_max_tool_calls_echoed() -> None:
    def t(body: Any, status: int = 200) -> Transcript:
        return Transcript("tool_use.max-tool-calls", [ex("create", status, body)], {"max_tool_calls": 1})

    assert verdict("tool_use.max-tool-calls-echoed", t(resp(max_tool_calls=1))) is PASS
    assert verdict("tool_use.max-tool-calls-echoed", t(resp(max_tool_calls=None))) is FAIL
    assert verdict("tool_use.max-tool-calls-echoed", t(resp())) is FAIL
    assert verdict("tool_use.max-tool-calls-echoed", t(resp(max_tool_calls=True))) is FAIL
    assert verdict("tool_use.max-tool-calls-echoed", t(ERR, 400)) is FAIL


def chain_t(first: int, second: tuple[int, Any] | None) -> Transcript:
    steps = [ex("round-trip", first, resp(msg('{"number":1}')) if first == 200 else ERR)]
    if second is not None:
        steps.append(ex("recall", *second))
    return Transcript("tool_use.chained-round-trip", steps, {"nonce": "WEATHER-654321"})


def test_chained_round_trip() -> None:
    good = chain_t(200, (200, resp(msg("WEATHER-654321"))))
    assert verdict("tool_use.chain-accepted", good) is PASS
    assert verdict("tool_use.chain-recall", good) is PASS
    assert verdict("tool_use.chain-recall", chain_t(200, (200, resp(msg("I don't know."))))) is FAIL
    assert verdict("tool_use.chain-accepted", chain_t(200, (400, ERR))) is UNSUP
    assert verdict("tool_use.chain-recall", chain_t(200, (400, ERR))) is UNSUP
    assert verdict("tool_use.chain-accepted", chain_t(200, (500, ERR))) is FAIL
    assert verdict("tool_use.chain-recall", chain_t(200, (500, ERR))) is SKIP
    assert verdict("tool_use.chain-accepted", chain_t(400, None)) is FAIL


# --- parameters ---------------------------------------------------------------------------------------------

SENT = {"temperature": 0.5, "top_p": 0.9, "truncation": "auto", "prompt_cache_key": "cache-1",
        "prompt_cache_retention": "in_memory", "safety_identifier": "user-1", "user": "user-2",
        "service_tier": "default"}


def echo_t(status: int = 200, scenario: str = "parameters.echo", **changes: Any) -> Transcript:
    body = resp(msg("hi"), **{**SENT, **changes}) if status == 200 else ERR
    return Transcript(scenario, [ex("create", status, body)], {"sent": SENT})


def scenario_of(check_id: str) -> str:
    return get(check_id).scenarios[0]


@pytest.mark.parametrize("check_id, change", [
    ("parameters.sampling-echoed", {"temperature": 1.0}),
    ("parameters.sampling-echoed", {"top_p": 1}),
    ("parameters.truncation-echoed", {"truncation": "disabled"}),
    ("parameters.identifiers-echoed", {"prompt_cache_key": None}),
    ("parameters.identifiers-echoed", {"prompt_cache_retention": None}),
    ("parameters.identifiers-echoed", {"safety_identifier": "other"}),
    ("parameters.identifiers-echoed", {"user": None}),
    ("parameters.service-tier-echoed", {"service_tier": "standard"}),
    ("parameters.service-tier-echoed", {"service_tier": None}),
])
def test_echoes(check_id: str, change: dict[str, Any]) -> None:
    sc = scenario_of(check_id)
    assert verdict(check_id, echo_t(scenario=sc)) is PASS
    assert verdict(check_id, echo_t(scenario=sc, **change)) is FAIL
    # parameters.accepted judges a refusal of the echo request; sampling parameters may be refused cleanly
    sampling = check_id == "parameters.sampling-echoed"
    assert verdict(check_id, echo_t(400, sc)) is (UNSUP if sampling else SKIP)
    assert verdict(check_id, echo_t(500, sc)) is (FAIL if sampling else SKIP)


def test_accepted_and_tier_may_differ() -> None:
    assert verdict("parameters.accepted", echo_t()) is PASS
    assert verdict("parameters.accepted", echo_t(400)) is FAIL
    assert verdict("parameters.service-tier-echoed", echo_t(service_tier="flex")) is PASS


def lp(token: str, logprob: float = -0.1, alternatives: int = 2) -> dict[str, Any]:
    entry = {"token": token, "logprob": logprob, "bytes": list(token.encode())}
    return {**entry, "top_logprobs": [entry] * alternatives}


def logprobs_t(probs: Any, text: str = "Hi there", status: int = 200) -> Transcript:
    body = resp(msg(text, part={"logprobs": probs})) if status == 200 else ERR
    return Transcript("parameters.logprobs", [ex("create", status, body)], {"top_logprobs": 2})


def test_logprobs() -> None:
    good = [lp("Hi"), lp(" there")]
    assert verdict("parameters.logprobs", logprobs_t(good)) is PASS
    assert verdict("parameters.logprobs", logprobs_t([])) is FAIL  # asked for, silently not given
    assert verdict("parameters.logprobs", logprobs_t(None)) is FAIL
    assert verdict("parameters.logprobs", logprobs_t([lp("Hi"), lp(" there", logprob=0.5)])) is FAIL
    assert verdict("parameters.logprobs", logprobs_t([lp("Hi"), lp(" there", alternatives=3)])) is FAIL
    assert verdict("parameters.logprobs", logprobs_t([lp("Hi"), lp(" there", alternatives=0)])) is FAIL
    assert verdict("parameters.logprobs", logprobs_t([lp("Hi"), lp(" here")])) is FAIL
    assert verdict("parameters.logprobs", logprobs_t([lp("Hi"), {"token": " there", "logprob": -1}])) is FAIL
    assert verdict("parameters.logprobs", logprobs_t(None, status=400)) is UNSUP


def obfuscation_t(*deltas: dict[str, Any]) -> Transcript:
    stream = sse({"type": "response.created", "response": resp()}, *deltas,
                 {"type": "response.completed", "response": resp(msg("Hi"))})
    return Transcript("parameters.no-obfuscation", [ex("stream", 200, sse=stream)])


def test_no_obfuscation() -> None:
    delta = {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hi", "logprobs": []}
    assert verdict("parameters.no-obfuscation", obfuscation_t(delta)) is PASS
    assert verdict("parameters.no-obfuscation", obfuscation_t({**delta, "obfuscation": "xyz"})) is FAIL
    not_a_stream = Transcript("parameters.no-obfuscation", [ex("stream", 200, resp(msg("Hi")))])
    assert verdict("parameters.no-obfuscation", not_a_stream) is FAIL


def test_phase() -> None:
    def t(status: int, body: Any) -> Transcript:
        return Transcript("parameters.phase", [ex("create", status, body)])

    labelled = t(200, resp(msg("Bye", phase="final_answer")))
    assert verdict("parameters.phase-accepted", labelled) is PASS
    assert verdict("parameters.phase-well-formed", labelled) is PASS
    assert verdict("parameters.phase-well-formed", t(200, resp(msg("Bye")))) is PASS  # phase is optional
    assert verdict("parameters.phase-well-formed", t(200, resp(msg("Bye", phase="final")))) is FAIL
    assert verdict("parameters.phase-accepted", t(400, ERR)) is FAIL
    assert verdict("parameters.phase-well-formed", t(400, ERR)) is SKIP


# --- structured_outputs -------------------------------------------------------------------------------------

TRIP = {"title": "Summer", "season": "summer", "origin": {"name": "Paris", "country": "France"},
        "stops": [{"city": {"name": "Lyon", "country": "France"}, "nights": 2}], "budget": "unknown", "notes": None}


@pytest.mark.parametrize("value, expected", [
    (TRIP, PASS),
    ({**TRIP, "budget": {"amount": 300, "currency": "EUR"}, "notes": "none"}, PASS),
    ({**TRIP, "season": "monsoon"}, FAIL),  # enum
    ({**TRIP, "stops": [{"city": {"name": "Lyon"}, "nights": 2}]}, FAIL),  # $ref'd object missing a property
    ({**TRIP, "budget": 300}, FAIL),  # anyOf
    ({**TRIP, "notes": 5}, FAIL),  # type array
    ({**TRIP, "extra": 1}, FAIL),  # additionalProperties
    ({k: v for k, v in TRIP.items() if k != "notes"}, FAIL),  # required
])
def test_breadth_valid(value: Any, expected: Verdict) -> None:
    t = Transcript("structured_outputs.breadth", [ex("create", 200, resp(msg(json.dumps(value))))],
                   {"schema": TRIP_SCHEMA})
    assert verdict("structured_outputs.breadth-valid", t) is expected


def test_breadth_not_json_or_refused() -> None:
    t = Transcript("structured_outputs.breadth", [ex("create", 200, resp(msg("A summer trip to Lyon.")))],
                   {"schema": TRIP_SCHEMA})
    assert verdict("structured_outputs.breadth-valid", t) is FAIL
    refused = Transcript("structured_outputs.breadth", [ex("create", 400, ERR)], {"schema": TRIP_SCHEMA})
    assert verdict("structured_outputs.breadth-valid", refused) is FAIL
    refusal = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
               "content": [{"type": "refusal", "refusal": "I can't help with that."}]}
    declined = Transcript("structured_outputs.breadth", [ex("create", 200, resp(refusal))], {"schema": TRIP_SCHEMA})
    assert verdict("structured_outputs.breadth-valid", declined) is SKIP


def test_every_check_of_these_families_is_tested_here() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    ids = [c.id for c in all_checks() if c.area in FAMILIES]
    assert len(ids) == 18
    assert [i for i in ids if f'"{i}"' not in text] == []


# --- the real OpenAI recordings -----------------------------------------------------------------------------

def _recording(recordings_dir: Path, name: str) -> Exchange:
    got = load_file(recordings_dir / "openai" / name)
    got.label = "create"
    return got


@pytest.mark.parametrize("name", ["openai-dotnet__TokenLogProbabilitiesStreaming_True__0.json",
                                  "openai-dotnet__TokenLogProbabilitiesStreaming_True_Async__0.json"])
def test_logprobs_pass_on_openai(recordings_dir: Path, name: str) -> None:
    rec = _recording(recordings_dir, name)
    t = Transcript("parameters.logprobs", [rec], {"top_logprobs": rec.request.body["top_logprobs"]})
    assert verdict("parameters.logprobs", t) is PASS


@pytest.mark.parametrize("name", ["openai-dotnet__ResponsesWithPromptCache__0.json",
                                  "openai-dotnet__ResponsesWithReasoning__0.json"])
def test_phase_and_echoes_pass_on_openai(recordings_dir: Path, name: str) -> None:
    """gpt-5.5 labels its answer final_answer; the cache key and retention it was sent come back."""
    rec = _recording(recordings_dir, name)
    assert verdict("parameters.phase-well-formed", Transcript("parameters.phase", [rec])) is PASS
    body = rec.request.body
    sent = {k: body[k] for k in ("prompt_cache_key", "prompt_cache_retention", "safety_identifier", "user",
                                 "temperature", "top_p", "truncation") if k in body}
    if "prompt_cache_key" in sent:
        t = Transcript("parameters.echo", [rec], {"sent": {**dict.fromkeys(SENT), **sent, **{
            k: rec.response.body[k] for k in ("safety_identifier", "user")}}})
        assert verdict("parameters.identifiers-echoed", t) is PASS
    assert verdict("parameters.service-tier-echoed", Transcript("parameters.echo", [rec], {"sent": SENT})) is PASS


def test_json_schema_outputs_pass_on_openai(recordings_dir: Path) -> None:
    """Every OpenAI answer to a json_schema request passes the breadth check, but refusals, which it skips."""
    judged, refusals = 0, 0
    for path in sorted((recordings_dir / "openai").glob("*.json")):
        rec = load_file(path)
        body = rec.request.body
        fmt = ((body or {}).get("text") or {}).get("format") if isinstance(body, dict) else None
        if not (isinstance(fmt, dict) and fmt.get("type") == "json_schema" and rec.ok) or rec.is_stream:
            continue
        done = rec.response.body or {}
        if done.get("status") != "completed" or not any(i.get("type") == "message" for i in done["output"]):
            continue  # cut short, or a function call (the request had tools): nothing for the schema
        rec.label = "create"
        t = Transcript("structured_outputs.breadth", [rec], {"schema": fmt["schema"]})
        got = verdict("structured_outputs.breadth-valid", t)
        refusals += got is SKIP
        assert got is PASS or (got is SKIP and "refusal" in path.name), path.name
        judged += 1
    assert judged >= 10 and refusals <= 2, (judged, refusals)


def test_echo_checks_pass_on_openai(recordings_dir: Path) -> None:
    """Every OpenAI answer to a create that set one of the echoed parameters passes the four echo checks (the
    parameters a request left out are taken from the answer, so only what was sent is judged)."""
    echo_checks = ("parameters.sampling-echoed", "parameters.truncation-echoed", "parameters.identifiers-echoed",
                   "parameters.service-tier-echoed")
    judged = 0
    for path in sorted((recordings_dir / "openai").glob("*.json")):
        rec = load_file(path)
        body = rec.request.body
        if not (isinstance(body, dict) and rec.ok and set(SENT) & {k for k, v in body.items() if v is not None}):
            continue
        rec.label = "create"
        answer = final_response(rec)
        if answer is None:
            continue
        sent = {k: body[k] if body.get(k) is not None else answer.get(k, "absent") for k in SENT}
        got = {c: verdict(c, Transcript(scenario_of(c), [rec], {"sent": sent})) for c in echo_checks}
        assert got == dict.fromkeys(echo_checks, PASS), path.name
        judged += 1
    assert judged >= 8, judged
