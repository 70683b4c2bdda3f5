"""The deterministic context-echo model behind the reference server (specified in docs/reference-server.md).

It reads nothing but its context and always answers the same way, so the suite can plant a nonce where only
a working feature can carry it and look for it in the output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Union

from conformance.reference.compaction import compacted_items
from conformance.reference.json_schema import instance_of
from conformance.reference.media import file_text
from conformance.reference.reasoning import reasoning_text, summary_text
from conformance.reference.request import CreateRequest

# A token is a run of word characters or one punctuation character, with the whitespace before it.
TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])")
# A code word: three or more capitals, a dash, three or more digits (e.g. ZEBRA-4821).
CODE_WORD_RE = re.compile(r"\b[A-Z]{3,}-[0-9]{3,}\b")
COUNT_RE = re.compile(r"\bcount to (\d{1,4})\b", re.IGNORECASE)
FAIL_TRIGGER = "SIMULATE-SERVER-ERROR"
MAX_COUNT = 2000


def tokenize(text: str) -> list[str]:
    """Tokens whose concatenation is `text` without trailing whitespace."""
    return TOKEN_RE.findall(text)


@dataclass
class Context:
    """What the model sees: the current `instructions` (never an earlier turn's), then every item of the
    `previous_response_id` chain (inputs and outputs, oldest first), then the current input."""

    instructions: str | None
    items: list[dict[str, Any]]
    current: list[dict[str, Any]]


@dataclass
class PlannedMessage:
    text: str

    @property
    def tokens(self) -> list[str]:
        return tokenize(self.text)


@dataclass
class PlannedCall:
    name: str
    arguments: str

    @property
    def tokens(self) -> list[str]:
        return tokenize(self.arguments)


@dataclass
class PlannedReasoning:
    text: str  # the reasoning_text content
    summary: str | None  # a summary_text part, when the request asked for one

    @property
    def tokens(self) -> list[str]:
        return tokenize(self.text)

    @property
    def summary_tokens(self) -> list[str]:
        return tokenize(self.summary or "")


@dataclass
class PlannedCustomCall:
    """A call to a free-form (`custom`) tool: its input is plain text, not JSON arguments."""

    name: str
    input: str

    @property
    def tokens(self) -> list[str]:
        return tokenize(self.input)


PlannedOutput = Union[PlannedMessage, PlannedCall, PlannedCustomCall, PlannedReasoning]


@dataclass
class Generation:
    outputs: list[PlannedOutput] = field(default_factory=list)
    input_tokens: int = 0
    fail: bool = False  # the request asked for a simulated server error
    phase: str | None = None  # the label of its messages: set when the conversation labels assistant messages


def _item_text(item: dict[str, Any]) -> str:
    if item.get("type") == "message":
        return " ".join(file_text(p) if p.get("type") == "input_file" else p.get("text", "")
                        for p in item.get("content", []) if isinstance(p, dict))
    if item.get("type") == "function_call_output":
        return str(item.get("output", ""))
    if item.get("type") == "function_call":
        return str(item.get("arguments", ""))
    if item.get("type") == "compaction":  # what a compaction carries is visible again (see surface.py)
        return " ".join(_item_text(i) for i in compacted_items(item.get("encrypted_content", "")) or [])
    return ""


def visible_texts(ctx: Context) -> list[str]:
    """Every text the model reads (what input_tokens counts)."""
    return [ctx.instructions or ""] + [_item_text(i) for i in ctx.items]


def code_words(ctx: Context) -> list[str]:
    """Code words in the instructions and in every non-assistant item, first appearance first. The model
    does not quote its own earlier output, so an old turn's instructions cannot come back through it."""
    sources = [ctx.instructions or ""]
    sources += [_item_text(i) for i in ctx.items if i.get("role") != "assistant" and i.get("type") != "function_call"]
    found: list[str] = []
    for text in sources:
        for word in CODE_WORD_RE.findall(text):
            if word not in found:
                found.append(word)
    return found


def _latest_user_text(ctx: Context) -> str:
    for item in reversed(ctx.current):
        if item.get("type") == "message" and item.get("role") == "user":
            return _item_text(item).strip()
    return ""


def _trailing_outputs(ctx: Context) -> list[str]:
    outputs: list[str] = []
    for item in reversed(ctx.current):
        if item.get("type") != "function_call_output":
            break
        outputs.insert(0, str(item["output"]))
    return outputs


def text_reply(ctx: Context) -> str:
    """The plain-text answer; see docs/reference-server.md for the rules."""
    results = _trailing_outputs(ctx)
    if results:
        reply = "Tool result: " + "; ".join(results)
    else:
        user = _latest_user_text(ctx)
        count = COUNT_RE.search(user)
        if count:
            reply = " ".join(str(n) for n in range(1, min(int(count.group(1)), MAX_COUNT) + 1))
        else:
            reply = f"You said: {' '.join(user.split())}" if user else "Hello."
    words = code_words(ctx)
    if words and not results:
        reply += " Code words: " + ", ".join(words) + "."
    return reply


def _chosen_tools(req: CreateRequest, ctx: Context) -> list[dict[str, Any]]:
    if not req.tools or req.tool_choice == "none" or _trailing_outputs(ctx):
        return []
    tools, mode = req.tools, req.tool_choice
    if isinstance(mode, dict) and mode["type"] == "allowed_tools":
        allowed = {(ref.get("type"), ref.get("name")) for ref in mode["tools"]}
        tools, mode = [t for t in tools if (t["type"], t["name"]) in allowed], mode["mode"]
    elif isinstance(mode, dict):
        return [t for t in tools if t["name"] == mode["name"]][:1]
    user = _latest_user_text(ctx)
    mentioned = [t for t in tools if re.search(rf"(?<![\w-]){re.escape(t['name'])}(?![\w-])", user)]
    mentioned.sort(key=lambda t: user.index(t["name"]))
    if not mentioned and mode == "required":
        mentioned = tools[:1]
    return mentioned if req.parallel_tool_calls else mentioned[:1]


def _structured(req: CreateRequest, ctx: Context) -> str | None:
    fmt = req.text_format
    words = code_words(ctx)
    if fmt["type"] == "json_schema":
        return json.dumps(instance_of(fmt["schema"], words[0] if words else "text"), separators=(",", ":"))
    if fmt["type"] == "json_object":
        return json.dumps({"reply": text_reply(ctx), "code_words": words}, separators=(",", ":"))
    return None


def generate(req: CreateRequest, ctx: Context) -> Generation:
    gen = Generation(input_tokens=max(1, sum(len(tokenize(t)) for t in visible_texts(ctx))))
    if FAIL_TRIGGER in _latest_user_text(ctx):
        gen.fail = True
        return gen
    words = code_words(ctx)
    for tool in _chosen_tools(req, ctx):
        if tool["type"] == "custom":  # free-form input: the first code word, else the user's request
            gen.outputs.append(PlannedCustomCall(tool["name"], words[0] if words else _latest_user_text(ctx) or "text"))
            continue
        args = instance_of(tool["parameters"] or {"type": "object", "properties": {}}, words[0] if words else "text")
        gen.outputs.append(PlannedCall(tool["name"], json.dumps(args, separators=(",", ":"))))
    if not gen.outputs:
        gen.outputs.append(PlannedMessage(_structured(req, ctx) or text_reply(ctx)))
    # A phase-aware model (gpt-5.3-codex and later) labels its answer; this one does when the client does.
    if any(i.get("phase") for i in ctx.items if i.get("role") == "assistant"):
        gen.phase = "final_answer"
    if req.reasons:  # reasoning comes first, as with every reasoning model
        user = _latest_user_text(ctx)
        calls = [o.name for o in gen.outputs if isinstance(o, PlannedCall)]
        gen.outputs.insert(0, PlannedReasoning(reasoning_text(user, calls),
                                               summary_text(user) if req.reasoning["summary"] else None))
    return gen
