"""Image and file input: `input_image` (a tiny PNG made in code, as a data URL) and `input_file` (a one-page
PDF made in code, as base64 `file_data`, holding a code word). The endpoint may answer or refuse them: a 4xx
with an error envelope is UNSUPPORTED, a 5xx is a FAIL (inputs.* checks)."""

from __future__ import annotations

from conformance.live import media
from conformance.live.scenario import ScenarioContext, nonce, scenario


@scenario("inputs.image", "create with a user message holding input_text and an input_image (16x16 red PNG, "
          "base64 data URL)")
def image(ctx: ScenarioContext) -> None:
    ctx.create("create", {"input": [{"role": "user", "content": [
        {"type": "input_text", "text": "What colour is this image? Answer in one word."},
        {"type": "input_image", "image_url": media.data_url("image/png", media.png()), "detail": "low"},
    ]}], "store": False})


@scenario("inputs.file", "create with a user message holding input_text and an input_file (a one-page PDF whose "
          "text is a code word, base64 file_data)", model_dependent=True)
def file(ctx: ScenarioContext) -> None:
    word = nonce("FILE")
    ctx.params["nonce"] = word
    ctx.create("create", {"input": [{"role": "user", "content": [
        {"type": "input_text", "text": "The attached file contains a code word. Reply with the code word only."},
        {"type": "input_file", "filename": "code.pdf",
         "file_data": media.data_url("application/pdf", media.pdf(f"The code word is {word}."))},
    ]}], "store": False})
