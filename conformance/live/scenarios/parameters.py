"""Request parameters a compatible server accepts and echoes, and fields it must honour when asked:
sampling, truncation, cache and safety identifiers, service tier, logprobs, stream obfuscation, message phase."""

from __future__ import annotations

from typing import Any

from conformance.live.scenario import ScenarioContext, nonce, scenario

LOGPROBS_INCLUDE = "message.output_text.logprobs"


@scenario("parameters.echo", "truncation: auto, prompt_cache_key, prompt_cache_retention, safety_identifier, user "
          "and service_tier in one request: accepted and echoed")
def echo(ctx: ScenarioContext) -> None:
    sent: dict[str, Any] = {
        "truncation": "auto", "prompt_cache_key": nonce("CACHE").lower(),
        "prompt_cache_retention": "in_memory", "safety_identifier": nonce("USER").lower(),
        "user": nonce("USER").lower(), "service_tier": "default",
    }
    ctx.params["sent"] = sent
    ctx.create("create", {"input": "Say hello.", **sent})


@scenario("parameters.sampling", "temperature 0.5 and top_p 0.9: echoed (reasoning models refuse them)")
def sampling(ctx: ScenarioContext) -> None:
    sent = {"temperature": 0.5, "top_p": 0.9}
    ctx.params["sent"] = sent
    ctx.create("create", {"input": "Say hello.", **sent})


@scenario("parameters.logprobs", "top_logprobs: 2 with include [message.output_text.logprobs]: every output_text "
          "part carries well-formed logprobs")
def logprobs(ctx: ScenarioContext) -> None:
    ctx.params["top_logprobs"] = 2
    ctx.create("create", {"input": "Say hello.", "top_logprobs": 2, "include": [LOGPROBS_INCLUDE]})


@scenario("parameters.no-obfuscation", "stream_options.include_obfuscation: false on a stream: no delta event "
          "carries an obfuscation field", streams=True)
def no_obfuscation(ctx: ScenarioContext) -> None:
    ctx.create("stream", {"input": "Say hello.", "stream_options": {"include_obfuscation": False}}, stream=True)


@scenario("parameters.phase", "Input holding assistant messages labelled phase commentary and final_answer: "
          "accepted, and any phase in the output is commentary or final_answer")
def phase(ctx: ScenarioContext) -> None:
    ctx.create("create", {"input": [
        {"role": "user", "content": "Say hello."},
        _assistant("I will greet you.", "commentary"),
        _assistant("Hello!", "final_answer"),
        {"role": "user", "content": "Say goodbye."},
    ]})


def _assistant(text: str, phase: str) -> dict[str, Any]:
    """An assistant message as a client sends its history back: output_text content, the phase kept. (The
    string-content shorthand would test a second thing: llama.cpp refuses it whatever the phase.)"""
    return {"type": "message", "role": "assistant", "phase": phase,
            "content": [{"type": "output_text", "text": text, "annotations": []}]}
