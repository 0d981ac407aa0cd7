"""Chat messages from every dialect, in the one shape Spanscope stores: the OTel GenAI
parts format our SDK writes (docs/sdk-attributes.md)::

    {"role": "assistant", "parts": [{"type": "text", "content": "Hi"},
                                    {"type": "tool_call", "id": "c1", "name": "f", "arguments": {...}}],
     "finish_reason": "stop"}

OpenAI/Anthropic/LangChain message dicts go through the SDK's own converter
(``tracer._internal.extract``), so a message reads the same whether our SDK or another
instrumentation recorded it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from server.normalize._draft import Draft, indexed, subrows
from server.normalize._values import as_str, parse_json, parse_json_if_container, plain
from tracer._internal.extract import content_parts, normalize_message

Message = dict[str, Any]

__all__ = [
    "LogEvent",
    "Message",
    "genai_messages",
    "messages_from_log_events",
    "openai_messages",
    "openinference_messages",
    "openllmetry_messages",
    "system_message",
]


def _text(content: Any) -> dict[str, Any]:
    return {"type": "text", "content": content if isinstance(content, str) else plain(content)}


def _arguments(value: Any) -> Any:
    """Tool-call arguments structured when they are valid JSON (as the SDK keeps them)."""
    if isinstance(value, str):
        decoded = parse_json(value)
        return value if decoded is None else decoded
    return plain(value)


# GenAI JSON (attributes or log records) -------------------------------------------------


def _part(part: Any, decoded: bool = False) -> dict[str, Any] | None:
    if isinstance(part, dict) and isinstance(part.get("type"), str):
        # Parts decoded from JSON text are JSON-safe already; copying them again is most of
        # the cost of normalizing an LLM span. Structured (kvlist) ones may hold bytes/NaN.
        return part if decoded else plain(part)
    if isinstance(part, str):
        return _text(part)
    return None if part is None else {"type": "unknown", "content": plain(part)}


def _genai_message(item: Any, default_role: str, decoded: bool) -> Message | None:
    if isinstance(item, str):
        return {"role": default_role, "parts": [_text(item)]}
    if not isinstance(item, dict):
        return None
    parts = item.get("parts")
    if not isinstance(parts, list):
        # Early emitters (OpenLLMetry 0.55, Logfire) put OpenAI-shaped messages here.
        return _openai_message(item, default_role)
    role = item.get("role")
    message: Message = {
        "role": role if isinstance(role, str) and role else default_role,
        "parts": [converted for part in parts if (converted := _part(part, decoded)) is not None],
    }
    for key in ("finish_reason", "name"):
        if isinstance(item.get(key), str):
            message[key] = item[key]
    return message


def genai_messages(value: Any, default_role: str = "user") -> list[Message] | None:
    """``gen_ai.input.messages`` / ``gen_ai.output.messages``: JSON text or decoded list."""
    decoded = parse_json_if_container(value)
    if isinstance(decoded, dict) and isinstance(decoded.get("messages"), list):
        decoded = decoded["messages"]  # {"messages": [...]}, as some wrappers send them
    if isinstance(decoded, (str, dict)):
        decoded = [decoded]
    if not isinstance(decoded, list):
        return None
    from_text = isinstance(value, str)
    return [message for item in decoded if (message := _genai_message(item, default_role, from_text)) is not None]


def system_message(value: Any) -> Message | None:
    """``gen_ai.system_instructions`` (a list of parts, or plain text) as a system message."""
    decoded = parse_json_if_container(value)
    if isinstance(decoded, (str, dict)):
        decoded = [decoded]
    if not isinstance(decoded, list):
        return None
    parts = [converted for part in decoded if (converted := _part(part)) is not None]
    return {"role": "system", "parts": parts} if parts else None


# OpenAI-style message dicts (request_data, MLflow inputs, Langfuse input) -----------------


def _openai_message(message: Any, default_role: str) -> Message | None:
    try:
        return normalize_message(message, default_role)
    except Exception:  # a role that is a list (unhashable) and such: drop that message only
        return None


def openai_messages(value: Any, default_role: str = "user") -> list[Message] | None:
    """A list of OpenAI/Anthropic/LangChain-style message dicts (or JSON text of one)."""
    decoded = parse_json_if_container(value)
    if isinstance(decoded, dict):
        decoded = [decoded]
    if not isinstance(decoded, list) or not all(isinstance(item, (dict, str)) for item in decoded):
        return None
    return [message for item in decoded if (message := _openai_message(item, default_role)) is not None]


# Flattened attributes ---------------------------------------------------------------------


def _tool_call_part(call: Mapping[str, Any], id_key: str, name_key: str, arguments_key: str) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": as_str(call.get(id_key)),
        "name": as_str(call.get(name_key)),
        "arguments": _arguments(call.get(arguments_key)),
    }


def _openinference_message(row: Mapping[str, Any]) -> Message:
    role = as_str(row.get("message.role")) or "user"
    content = row.get("message.content")
    if role == "tool":
        response = {
            "type": "tool_call_response",
            "id": as_str(row.get("message.tool_call_id")),
            "response": plain(content),
        }
        return {"role": role, "parts": [response]}
    parts: list[dict[str, Any]] = [_text(content)] if content is not None else []
    for block in subrows(row, "message.contents."):
        kind = block.get("message_content.type")
        if kind == "image":
            parts.append(
                {"type": "uri", "modality": "image", "uri": as_str(block.get("message_content.image.image.url"))}
            )
        elif block.get("message_content.text") is not None:
            parts.append(_text(block["message_content.text"]))
    for call in subrows(row, "message.tool_calls."):
        parts.append(_tool_call_part(call, "tool_call.id", "tool_call.function.name", "tool_call.function.arguments"))
    message: Message = {"role": role, "parts": parts}
    if isinstance(row.get("message.name"), str):
        message["name"] = row["message.name"]
    return message


def openinference_messages(draft: Draft, keys: list[str], prefix: str) -> list[Message] | None:
    """``llm.input_messages.N.message.*`` / ``llm.output_messages.N.message.*``."""
    rows = indexed(draft, keys, prefix)
    return [_openinference_message(row) for row in rows] if rows else None


def _legacy_content(content: Any) -> list[dict[str, Any]]:
    # OpenLLMetry json.dumps()es non-string content (Anthropic blocks, OpenAI parts).
    decoded = parse_json_if_container(content)
    if isinstance(decoded, list) and decoded and all(isinstance(block, dict) for block in decoded):
        try:
            return content_parts(decoded)
        except Exception:
            return [_text(content)]
    return [_text(content)] if content is not None else []


def _openllmetry_message(row: Mapping[str, Any], default_role: str) -> Message:
    role = as_str(row.get("role")) or default_role
    if role == "tool":
        response = {
            "type": "tool_call_response",
            "id": as_str(row.get("tool_call_id")),
            "response": plain(row.get("content")),
        }
        return {"role": role, "parts": [response]}
    parts = _legacy_content(row.get("content"))
    for call in subrows(row, "tool_calls."):
        parts.append(_tool_call_part(call, "id", "name", "arguments"))
    message: Message = {"role": role, "parts": parts}
    if isinstance(row.get("finish_reason"), str):
        message["finish_reason"] = row["finish_reason"]
    return message


def openllmetry_messages(draft: Draft, keys: list[str], prefix: str, default_role: str) -> list[Message] | None:
    """Legacy OpenLLMetry ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``."""
    rows = indexed(draft, keys, prefix)
    return [_openllmetry_message(row, default_role) for row in rows] if rows else None


# OTLP log records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One OTLP log record attached to a span: its event name (``event_name`` field, or
    empty when the sender put it in the ``event.name`` attribute), body and attributes."""

    name: str
    body: Any
    attributes: dict[str, Any]
    time_ns: int


# opentelemetry-instrumentation-openai-v2 (and friends) send one event per message.
_ROLE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_DETAILS_EVENT = "gen_ai.client.inference.operation.details"


def _event_message(role: str, body: Any) -> Message | None:
    if not isinstance(body, dict):
        body = {"content": body} if body is not None else {}
    body_role = body.get("role")
    role = body_role if isinstance(body_role, str) and body_role else role
    if role == "tool":
        response = {"type": "tool_call_response", "id": as_str(body.get("id")), "response": plain(body.get("content"))}
        return {"role": role, "parts": [response]}
    return _openai_message({**body, "role": role}, role)


def messages_from_log_events(records: Iterable[LogEvent]) -> tuple[list[Message], list[Message]]:
    """Input and output messages carried by a span's GenAI log records, in time order.

    Understands ``gen_ai.client.inference.operation.details`` (messages as attributes,
    JSON text or structured) and the older per-message events: ``gen_ai.{system,user,
    assistant,tool}.message`` and ``gen_ai.choice`` (outputs, ordered by ``index``).

    >>> messages_from_log_events([LogEvent("gen_ai.user.message", {"content": "hi"}, {}, 1)])
    ([{'role': 'user', 'parts': [{'type': 'text', 'content': 'hi'}]}], [])
    """
    inputs: list[Message] = []
    outputs: list[Message] = []
    choices: list[tuple[int, Message]] = []
    for record in sorted(records, key=lambda record: record.time_ns):
        attributes = record.attributes if isinstance(record.attributes, dict) else {}
        name = record.name or attributes.get("event.name")
        if name == _DETAILS_EVENT:
            system = system_message(attributes.get("gen_ai.system_instructions"))
            if system is not None:
                inputs.append(system)
            inputs.extend(genai_messages(attributes.get("gen_ai.input.messages")) or ())
            outputs.extend(genai_messages(attributes.get("gen_ai.output.messages"), "assistant") or ())
        elif isinstance(name, str) and name in _ROLE_EVENTS:
            message = _event_message(_ROLE_EVENTS[name], record.body)
            if message is not None:
                inputs.append(message)
        elif name == "gen_ai.choice":
            body = record.body
            if not isinstance(body, dict):
                continue
            message = _event_message("assistant", body.get("message"))
            if message is None:
                continue
            if isinstance(body.get("finish_reason"), str):
                message["finish_reason"] = body["finish_reason"]
            index = body.get("index")
            choices.append((index if isinstance(index, int) else len(choices), message))
    outputs.extend(message for _, message in sorted(choices, key=lambda choice: choice[0]))
    return inputs, outputs
