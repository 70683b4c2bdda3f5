"""Streaming text, as far as behaviour goes: the streamed answer carries what the model was asked to repeat.
That a stream request gets an event stream at all is framing.stream-request-streams; grammar and framing are
the stream.* and framing.* exchange checks."""

from __future__ import annotations

from conformance.checks.common import final_response, has_code_word, output_text
from conformance.exchange import Exchange, Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, skip


def streamed_text(ex: Exchange) -> str:
    """The answer of a stream: the terminal response's text, else the concatenated text deltas."""
    text = output_text(final_response(ex))
    if text or ex.stream is None:
        return text
    return "".join(e.json.get("delta", "") for e in ex.stream.typed()
                   if e.type == "response.output_text.delta" and isinstance(e.json.get("delta"), str))


@transcript_check(
    id="streaming.echo",
    level=Level.MUST,
    requirement="Asked to repeat a code word, the streamed answer contains it.",
    source="https://platform.openai.com/docs/api-reference/responses-streaming (the streamed response is the "
           "model's answer to the input); docs/rules.md#verdicts nonce checks; model-dependent",
    area="streaming",
    scenarios=("streaming.text",),
    model_dependent=True,
)
def echo(t: Transcript) -> Outcome | None:
    ex = t.step("stream")
    if ex is None or not ex.ok or not ex.is_stream:
        return skip("no stream to read (see streaming.answered-as-stream)", step="stream")
    return has_code_word(streamed_text(ex), t.params["nonce"], "stream", "the streamed answer does not contain")
