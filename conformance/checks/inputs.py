"""Image and file input (`input_image`, `input_file`): answered, or refused cleanly; a 5xx is a FAIL.

Seen in the wild: three servers answered an unsupported image input with HTTP 500, where vLLM refused it
with 400 (issue 11). The answer itself is judged by the schema and stream checks like any other.
"""

from __future__ import annotations

from conformance.checks.common import SDK, final_response, has_code_word, not_ok, output_text
from conformance.exchange import Transcript
from conformance.registry import transcript_check
from conformance.verdicts import Level, Outcome, ok, skip, violation

AREA = "inputs"
DOCS = "https://developers.openai.com/api/docs/guides/images-vision"
FILE_DOCS = "https://developers.openai.com/api/docs/guides/pdf-files"


def _answered(t: Transcript, what: str) -> Outcome | None:
    bad = not_ok(t.step("create"), what, optional=True)
    if bad:
        return bad
    if final_response(t.step("create")) is None:
        return violation(f"{what} was answered 2xx without a Response", step="create")
    return None


@transcript_check(
    id="inputs.image-answered",
    level=Level.MUST,
    requirement="A create holding an input_image (PNG data URL) is answered with a Response, or refused with a "
                "4xx and an error envelope (UNSUPPORTED); never a 5xx.",
    source=f"{DOCS}; {SDK} ResponseInputImage; seen: servers answering unsupported images with HTTP 500",
    area=AREA,
    scenarios=("inputs.image",),
)
def image_answered(t: Transcript) -> Outcome | None:
    return _answered(t, "a create with input_image") or ok()


@transcript_check(
    id="inputs.file-answered",
    level=Level.MUST,
    requirement="A create holding an input_file (base64 file_data) is answered with a Response, or refused "
                "with a 4xx and an error envelope (UNSUPPORTED); never a 5xx.",
    source=f"{FILE_DOCS}; {SDK} ResponseInputFile",
    area=AREA,
    scenarios=("inputs.file",),
)
def file_answered(t: Transcript) -> Outcome | None:
    return _answered(t, "a create with input_file") or ok()


@transcript_check(
    id="inputs.file-read",
    level=Level.MUST,
    requirement="When a create with input_file is answered, the answer carries the code word written in the file.",
    source=f"{FILE_DOCS}; docs/rules.md#verdicts (an accepted file that is never read is silent acceptance)",
    area=AREA,
    scenarios=("inputs.file",),
    model_dependent=True,
)
def file_read(t: Transcript) -> Outcome | None:
    if _answered(t, "a create with input_file"):
        return skip("the file was not answered; judged by inputs.file-answered")
    return has_code_word(output_text(final_response(t.step("create"))), t.params["nonce"], "create",
                         "the answer does not carry")
