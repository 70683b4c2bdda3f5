"""Validation of `POST /v1/responses` bodies into a `CreateRequest`, with OpenAI's error for each problem.

Only what the reference model can honour is accepted; anything else is refused with a 400 rather than
silently ignored (silent acceptance is the deviation the suite hunts for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.reference import compaction, errors, media
from conformance.reference.compaction import compacted_items
from conformance.reference.errors import ApiError
from conformance.reference.ids import new_id
from conformance.reference.json_schema import strict_problem
from conformance.reference.reasoning import reasoning_input

MODEL_ID = compaction.MODEL_ID

# Parameters OpenAI documents for POST /v1/responses. Anything else is an `unknown_parameter` error.
KNOWN_PARAMS = frozenset(
    {
        "model", "input", "instructions", "max_output_tokens", "stream", "store", "background",
        "previous_response_id", "text", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p",
        "metadata", "user", "reasoning", "service_tier", "truncation", "top_logprobs", "max_tool_calls",
        "prompt_cache_key", "safety_identifier", "include", "stream_options", "prompt", "conversation",
        "prompt_cache_retention",
    }
)
# Documented, but needing server-side resources this server does not have: refused, never ignored.
UNSUPPORTED_PARAMS = {"prompt": "Prompt templates"}
MESSAGE_ROLES = ["user", "assistant", "system", "developer"]
CONTENT_TYPES = ["input_text", "output_text", "input_image", "input_file", "refusal"]
TOOL_CHOICE_MODES = ["none", "auto", "required"]
TOOL_TYPES = ["function", "custom"]
PHASES = ["commentary", "final_answer"]
LOGPROBS_INCLUDE = "message.output_text.logprobs"
MAX_TOP_LOGPROBS = 20
SERVICE_TIERS = ["auto", "default", "flex", "scale", "priority"]
REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"]
REASONING_SUMMARIES = ["auto", "concise", "detailed"]
ENCRYPTED_REASONING = "reasoning.encrypted_content"
MIN_OUTPUT_TOKENS = 16


@dataclass
class CreateRequest:
    model: str
    input_items: list[dict[str, Any]]
    instructions: str | None = None
    max_output_tokens: int | None = None
    stream: bool = False
    store: bool = True
    background: bool = False
    previous_response_id: str | None = None
    text_format: dict[str, Any] = field(default_factory=lambda: {"type": "text"})
    verbosity: str = "medium"
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] = "auto"
    parallel_tool_calls: bool = True
    temperature: float = 1.0
    top_p: float = 1.0
    metadata: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    reasoning: dict[str, Any] = field(default_factory=lambda: {"effort": None, "summary": None})
    service_tier: str = "auto"
    truncation: str = "disabled"
    top_logprobs: int = 0
    max_tool_calls: int | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None
    safety_identifier: str | None = None
    conversation: str | None = None  # a conversation id (the Conversations API, see surface.py)
    include: list[str] = field(default_factory=list)
    include_obfuscation: bool = True  # stream_options.include_obfuscation

    @property
    def reasons(self) -> bool:
        """Whether the model reasons: `reasoning` asked for (an effort or a summary), and not effort "none"."""
        effort, summary = self.reasoning["effort"], self.reasoning["summary"]
        return effort != "none" and (effort is not None or summary is not None)

    @property
    def logprobs(self) -> int | None:
        """How many alternatives each output token lists, when `include` asks for logprobs; else None."""
        return self.top_logprobs if LOGPROBS_INCLUDE in self.include else None


def _expect(body: dict[str, Any], name: str, kinds: tuple[type, ...], expected: str, default: Any = None) -> Any:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise errors.invalid_type(name, expected, value)
    return value


def parse_create(body: Any, models: frozenset[str] = frozenset({MODEL_ID})) -> CreateRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "We could not parse the JSON body of your request. The OpenAI API expects a JSON object.")
    for name in body:
        if name not in KNOWN_PARAMS:
            raise ApiError(400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")
    for name, what in UNSUPPORTED_PARAMS.items():
        if body.get(name) is not None:
            raise ApiError(400, f"{what} are not supported by this server.", param=name, code="unsupported_parameter")
    if "model" not in body or body["model"] is None:
        raise errors.missing("model")
    model = _expect(body, "model", (str,), "a string")
    if model not in models:
        raise ApiError(400, f"The requested model '{model}' does not exist.", param="model", code="model_not_found")
    if body.get("input") is None:
        raise errors.missing("input")
    req = CreateRequest(model=model, input_items=input_items(body["input"]))
    req.instructions = _expect(body, "instructions", (str,), "a string")
    req.stream = _expect(body, "stream", (bool,), "a boolean", False)
    req.store = _expect(body, "store", (bool,), "a boolean", True)
    req.background = _expect(body, "background", (bool,), "a boolean", False)
    req.parallel_tool_calls = _expect(body, "parallel_tool_calls", (bool,), "a boolean", True)
    req.previous_response_id = _expect(body, "previous_response_id", (str,), "a string")
    req.conversation = _conversation(body)
    if req.conversation is not None and req.previous_response_id is not None:
        raise ApiError(400, "Mutually exclusive parameters: 'previous_response_id' and 'conversation' cannot be "
                            "used together.", param="conversation", code="mutually_exclusive_parameters")
    req.user = _expect(body, "user", (str,), "a string")
    req.prompt_cache_key = _expect(body, "prompt_cache_key", (str,), "a string")
    req.safety_identifier = _expect(body, "safety_identifier", (str,), "a string")
    if body.get("prompt_cache_retention") is not None:
        req.prompt_cache_retention = _choice(body, "prompt_cache_retention", ["in_memory", "24h"], "in_memory")
    req.max_output_tokens = _expect(body, "max_output_tokens", (int,), "an integer")
    if req.max_output_tokens is not None and req.max_output_tokens < MIN_OUTPUT_TOKENS:
        raise errors.below_minimum("max_output_tokens", MIN_OUTPUT_TOKENS, req.max_output_tokens)
    req.max_tool_calls = _expect(body, "max_tool_calls", (int,), "an integer")
    req.top_logprobs = _expect(body, "top_logprobs", (int,), "an integer", 0)
    if not 0 <= req.top_logprobs <= MAX_TOP_LOGPROBS:
        raise errors.out_of_range("top_logprobs", 0, MAX_TOP_LOGPROBS, req.top_logprobs)
    req.temperature = float(_bounded(body, "temperature", 0.0, 2.0, 1.0))
    req.top_p = float(_bounded(body, "top_p", 0.0, 1.0, 1.0))
    req.metadata = _metadata(body)
    req.service_tier = _choice(body, "service_tier", SERVICE_TIERS, "auto")
    req.truncation = _choice(body, "truncation", ["auto", "disabled"], "disabled")
    req.reasoning = _reasoning(body)
    req.include = list(_expect(body, "include", (list,), "an array", []))
    req.include_obfuscation = _stream_options(body)
    req.text_format, req.verbosity = _text(body)
    req.tools = _tools(body)
    req.tool_choice = _tool_choice(body, req.tools)
    if req.background and not req.store:
        raise ApiError(400, "Background mode requires 'store' to be true.", param="background")
    if req.text_format["type"] == "json_object" and not _mentions_json(req):
        raise ApiError(
            400,
            "Response input messages must contain the word 'json' in some form to use 'text.format' of type "
            "'json_object'.",
            param="input",
        )
    return req


def _reasoning(body: dict[str, Any]) -> dict[str, Any]:
    reasoning = _expect(body, "reasoning", (dict,), "an object", {})
    for name, allowed in (("effort", REASONING_EFFORTS), ("summary", REASONING_SUMMARIES)):
        value = reasoning.get(name)
        if value is not None and value not in allowed:
            raise errors.invalid_value(f"reasoning.{name}", value, allowed)
    return {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")}


def _stream_options(body: dict[str, Any]) -> bool:
    """`stream_options.include_obfuscation` (default true): whether deltas carry an `obfuscation` pad."""
    options = _expect(body, "stream_options", (dict,), "an object", {})
    value = options.get("include_obfuscation", True)
    if not isinstance(value, bool):
        raise errors.invalid_type("stream_options.include_obfuscation", "a boolean", value)
    return value


def _conversation(body: dict[str, Any]) -> str | None:
    """`conversation` is an id string or `{"id": ...}`."""
    value = body.get("conversation")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    raise errors.invalid_type("conversation", "one of a string or object with an 'id'", value)


def _bounded(body: dict[str, Any], name: str, low: float, high: float, default: float) -> float:
    value = _expect(body, name, (int, float), "a decimal", default)
    if not low <= value <= high:
        raise errors.out_of_range(name, low, high, value)
    return value


def _choice(body: dict[str, Any], name: str, allowed: list[str], default: str) -> str:
    value = _expect(body, name, (str,), "a string", default)
    if value not in allowed:
        raise errors.invalid_value(name, value, allowed)
    return value


def _metadata(body: dict[str, Any]) -> dict[str, str]:
    metadata = _expect(body, "metadata", (dict,), "an object", {})
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise errors.invalid_type(f"metadata.{key}", "a string", value)
    return dict(metadata)


def input_items(raw: Any, name: str = "input") -> list[dict[str, Any]]:
    """Validated input items (`input` of create, compact and input_tokens; `items` of a conversation)."""
    if isinstance(raw, str) and name == "input":
        return [_message("user", [{"type": "input_text", "text": raw}])]
    if not isinstance(raw, list):
        raise errors.invalid_type(name, "one of a string or array", raw)
    return [_input_item(item, f"{name}[{i}]") for i, item in enumerate(raw)]


def _message(role: str, content: list[dict[str, Any]], item_id: str | None = None) -> dict[str, Any]:
    return {"id": item_id or new_id("msg"), "type": "message", "status": "completed", "content": content, "role": role}


def _input_item(item: Any, path: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise errors.invalid_type(path, "an object", item)
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        role = item.get("role")
        if role is None:
            raise errors.missing(f"{path}.role")
        if role not in MESSAGE_ROLES:
            raise errors.invalid_value(f"{path}.role", role, MESSAGE_ROLES)
        message = _message(role, _content(item.get("content"), f"{path}.content", role), item.get("id"))
        phase = item.get("phase")
        if phase is not None:
            if phase not in PHASES:
                raise errors.invalid_value(f"{path}.phase", phase, PHASES)
            message["phase"] = phase
        return message
    if kind == "function_call_output":
        for name in ("call_id", "output"):
            if item.get(name) is None:
                raise errors.missing(f"{path}.{name}")
        if not isinstance(item["call_id"], str):
            raise errors.invalid_type(f"{path}.call_id", "a string", item["call_id"])
        output = item["output"]
        if isinstance(output, list):
            output = "".join(p.get("text", "") for p in output if isinstance(p, dict))
        elif not isinstance(output, str):
            raise errors.invalid_type(f"{path}.output", "a string", output)
        return {"id": item.get("id") or new_id("fco"), "type": "function_call_output", "call_id": item["call_id"],
                "output": output, "status": "completed"}
    if kind == "function_call":
        for name in ("call_id", "name", "arguments"):
            if not isinstance(item.get(name), str):
                raise errors.missing(f"{path}.{name}")
        return {"id": item.get("id") or new_id("fc"), "type": "function_call", "status": "completed",
                "arguments": item["arguments"], "call_id": item["call_id"], "name": item["name"]}
    if kind == "compaction":
        content = item.get("encrypted_content")
        if not isinstance(content, str) or compacted_items(content) is None:
            raise ApiError(400, f"Invalid '{path}.encrypted_content': not a compaction this server produced.",
                           param=f"{path}.encrypted_content", code="invalid_encrypted_content")
        return {"id": item.get("id") or new_id("cmp"), "type": "compaction", "encrypted_content": content}
    if kind == "reasoning":
        return reasoning_input(item, path)
    if kind is None:
        raise errors.missing(f"{path}.type")
    raise errors.invalid_value(f"{path}.type", kind, ["message", "function_call", "function_call_output",
                                                      "compaction", "reasoning"])


def _content(raw: Any, path: str, role: str) -> list[dict[str, Any]]:
    text_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(raw, str):
        part: dict[str, Any] = {"type": text_type, "text": raw}
        if text_type == "output_text":
            part["annotations"] = []
        return [part]
    if raw is None:
        raise errors.missing(path)
    if not isinstance(raw, list):
        raise errors.invalid_type(path, "one of a string or array", raw)
    parts = []
    for j, part in enumerate(raw):
        if not isinstance(part, dict):
            raise errors.invalid_type(f"{path}[{j}]", "an object", part)
        if part.get("type") not in CONTENT_TYPES:
            raise errors.invalid_value(f"{path}[{j}].type", part.get("type"), CONTENT_TYPES)
        if part["type"] in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            raise errors.missing(f"{path}[{j}].text")
        if part["type"] == "input_image":
            media.check_image(part, f"{path}[{j}]")
        if part["type"] == "input_file":
            media.check_file(part, f"{path}[{j}]")
        parts.append(dict(part))
    return parts


def _text(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    text = _expect(body, "text", (dict,), "an object", {})
    verbosity = text.get("verbosity") or "medium"
    if verbosity not in ("low", "medium", "high"):
        raise errors.invalid_value("text.verbosity", verbosity, ["low", "medium", "high"])
    fmt = text.get("format") or {"type": "text"}
    if not isinstance(fmt, dict):
        raise errors.invalid_type("text.format", "an object", fmt)
    kind = fmt.get("type")
    if kind in ("text", "json_object"):
        return {"type": kind}, verbosity
    if kind != "json_schema":
        if kind is None:
            raise errors.missing("text.format.type")
        raise errors.invalid_value("text.format.type", kind, ["text", "json_schema", "json_object"])
    for name in ("name", "schema"):
        if fmt.get(name) is None:
            raise errors.missing(f"text.format.{name}")
    if not isinstance(fmt["schema"], dict):
        raise errors.invalid_type("text.format.schema", "an object", fmt["schema"])
    strict = fmt.get("strict")
    if strict:
        problem = strict_problem(fmt["schema"])
        if problem:
            raise ApiError(400, f"Invalid schema for response_format '{fmt['name']}': {problem}",
                           param="text.format.schema", code="invalid_json_schema")
    normalized = {"type": "json_schema", "description": fmt.get("description"), "name": fmt["name"],
                  "schema": fmt["schema"], "strict": bool(strict)}
    return normalized, verbosity


def _tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = _expect(body, "tools", (list,), "an array", [])
    normalized = []
    for i, tool in enumerate(tools):
        path = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise errors.invalid_type(path, "an object", tool)
        if tool.get("type") not in TOOL_TYPES:
            raise errors.invalid_value(f"{path}.type", tool.get("type"), TOOL_TYPES)
        if tool.get("name") is None:
            raise errors.missing(f"{path}.name")
        if not isinstance(tool["name"], str):
            raise errors.invalid_type(f"{path}.name", "a string", tool["name"])
        normalized.append(_custom_tool(tool, path) if tool["type"] == "custom" else _function_tool(tool, path))
    return normalized


def _function_tool(tool: dict[str, Any], path: str) -> dict[str, Any]:
    params = tool.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise errors.invalid_type(f"{path}.parameters", "an object", params)
    strict = tool.get("strict", "absent")
    problem = strict_problem(params or {"type": "object", "properties": {}, "additionalProperties": False})
    if strict is True and problem:
        raise ApiError(400, f"Invalid schema for function '{tool['name']}': {problem}",
                       param=f"{path}.parameters", code="invalid_function_parameters")
    # OpenAI makes function tools strict when `strict` is omitted and the schema allows it.
    echoed_strict = (problem is None) if strict == "absent" else bool(strict)
    return {"type": "function", "description": tool.get("description"), "name": tool["name"],
            "parameters": params, "strict": echoed_strict}


def _custom_tool(tool: dict[str, Any], path: str) -> dict[str, Any]:
    """A free-form tool (SDK `CustomTool`): its input is plain text. Only the `text` format is honoured; a
    grammar would need constrained decoding, so it is refused rather than ignored."""
    fmt = tool.get("format") or {"type": "text"}
    if not isinstance(fmt, dict):
        raise errors.invalid_type(f"{path}.format", "an object", fmt)
    if fmt.get("type") != "text":
        raise errors.invalid_value(f"{path}.format.type", fmt.get("type"), ["text"])
    return {"type": "custom", "description": tool.get("description"), "format": {"type": "text"},
            "name": tool["name"]}


def _tool_choice(body: dict[str, Any], tools: list[dict[str, Any]]) -> str | dict[str, Any]:
    choice = body.get("tool_choice")
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_MODES:
            raise errors.invalid_value("tool_choice", choice, TOOL_CHOICE_MODES)
        if choice == "required" and not tools:
            raise ApiError(400, "Tool choice 'required' must be specified with 'tools' parameter.", param="tool_choice")
        return choice
    if not isinstance(choice, dict):
        raise errors.invalid_type("tool_choice", "one of a string or object", choice)
    kind = choice.get("type")
    if kind == "allowed_tools":
        return _allowed_tools(choice, tools)
    if kind not in TOOL_TYPES:
        raise errors.invalid_value("tool_choice.type", kind, [*TOOL_TYPES, "allowed_tools"])
    name = choice.get("name")
    if not isinstance(name, str):
        raise errors.missing("tool_choice.name")
    if not any(t["name"] == name and t["type"] == kind for t in tools):
        raise ApiError(400, f"Tool choice '{name}' not found in 'tools' parameter.", param="tool_choice")
    return {"type": kind, "name": name}


def _allowed_tools(choice: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any]:
    """`{"type": "allowed_tools", "mode": "auto" | "required", "tools": [{"type", "name"}, ...]}` (SDK
    `ToolChoiceAllowed`): the model may call only the listed tools, each one declared in `tools`."""
    mode = choice.get("mode")
    if mode not in ("auto", "required"):
        raise errors.invalid_value("tool_choice.mode", mode, ["auto", "required"])
    allowed = choice.get("tools")
    if not isinstance(allowed, list) or not allowed:
        raise errors.missing("tool_choice.tools")
    declared = {(t["type"], t["name"]) for t in tools}
    for j, ref in enumerate(allowed):
        if not isinstance(ref, dict) or (ref.get("type"), ref.get("name")) not in declared:
            raise ApiError(400, f"Invalid 'tool_choice.tools[{j}]': not a tool declared in 'tools'.",
                           param=f"tool_choice.tools[{j}]")
    return {"type": "allowed_tools", "mode": mode, "tools": [dict(ref) for ref in allowed]}


def _mentions_json(req: CreateRequest) -> bool:
    texts = [req.instructions or ""]
    for item in req.input_items:
        texts.extend(p.get("text", "") for p in item.get("content", []) if isinstance(p, dict))
    return "json" in " ".join(texts).lower()
