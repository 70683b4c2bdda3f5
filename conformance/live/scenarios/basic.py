"""Basic creation: a string input, a message list with system and developer roles, `instructions`.

Each plants a nonce where only a working feature can carry it to the model (docs/rules.md#verdicts, silent acceptance).
"""

from __future__ import annotations

from typing import Any

from conformance.extract import response_id
from conformance.live.scenario import ScenarioContext, nonce, scenario
from conformance.live.shared import Resource, Use


def _echo(ctx: ScenarioContext) -> dict[str, Any] | None:
    word = nonce("ECHO")
    ctx.params["nonce"] = word
    created = ctx.create("create", {"input": f"Repeat this code word exactly: {word}"})
    return {"id": response_id(created) if created.ok else None}


# A stored foreground response nobody reads again: background.cancel tries to cancel it (which must be refused).
FOREGROUND = Resource("foreground-response", owner="basic.string-input", make=_echo)


@scenario("basic.string-input", "POST /responses with a plain string input asking to repeat a code word",
          model_dependent=True, uses={FOREGROUND: Use.READ})
def string_input(ctx: ScenarioContext) -> None:
    ctx.use(FOREGROUND)


@scenario("basic.message-roles", "A message list with system, developer and user roles; a code word in each "
          "of the system and developer messages", model_dependent=True)
def message_roles(ctx: ScenarioContext) -> None:
    sys_word, dev_word = nonce("SYS"), nonce("DEV")
    ctx.params["nonces"] = {"system": sys_word, "developer": dev_word}
    ctx.create("create", {"input": [
        {"role": "system", "content": f"You are a terse assistant. The system code word is {sys_word}."},
        {"role": "developer", "content": f"The developer code word is {dev_word}."},
        {"role": "user", "content": "Reply with the system code word and the developer code word, nothing else."},
    ]})


@scenario("basic.instructions", "`instructions` carry a code word the input only asks for", model_dependent=True)
def instructions(ctx: ScenarioContext) -> None:
    word = nonce("INSTR")
    text = f"The secret code word is {word}. When asked for it, reply with the code word only."
    ctx.params.update(nonce=word, instructions=text)
    ctx.create("create", {"instructions": text, "input": "What is the secret code word?"})
