"""Recognise LLM responses, chat messages and documents in the values users pass around.

Everything is duck-typed (dict keys or attributes), so the SDK needs neither the openai,
anthropic nor langchain packages. Messages come out in the OTel GenAI parts format:
``{"role": ..., "parts": [{"type": "text", "content": ...}, ...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from tracer._internal.serialize import to_plain

Message = dict[str, Any]


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


# Chat messages ---------------------------------------------------------------------------

# LangChain message objects say "human"/"ai" where chat APIs say "user"/"assistant".
_ROLE_ALIASES = {"human": "user", "ai": "assistant", "AIMessageChunk": "assistant"}


def _text_part(text: Any) -> dict[str, Any]:
    return {"type": "text", "content": text if isinstance(text, str) else to_plain(text)}


def content_parts(content: Any) -> list[dict[str, Any]]:
    """OpenAI/Anthropic content: a string or a list of typed blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [_text_part(content)]
    if not _is_list(content):
        return [_text_part(content)]
    parts: list[dict[str, Any]] = []
    for block in content:
        block_type = get(block, "type")
        if isinstance(block, str):
            parts.append(_text_part(block))
        elif block_type in ("text", "input_text", "output_text"):
            parts.append(_text_part(get(block, "text")))
        elif block_type == "tool_use":  # Anthropic
            parts.append(
                {
                    "type": "tool_call",
                    "id": get(block, "id"),
                    "name": get(block, "name"),
                    "arguments": to_plain(get(block, "input")),
                }
            )
        elif block_type == "tool_result":  # Anthropic
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": get(block, "tool_use_id"),
                    "response": to_plain(get(block, "content")),
                }
            )
        elif block_type in ("thinking", "reasoning"):
            parts.append({"type": "reasoning", "content": get(block, "thinking") or get(block, "text")})
        elif block_type in ("image_url", "image", "input_image"):
            parts.append({"type": "uri", "modality": "image", "uri": _image_uri(block)})
        else:
            parts.append({"type": str(block_type or "unknown"), "content": to_plain(block)})
    return parts


def _image_uri(block: Any) -> str | None:
    image_url = get(block, "image_url")
    url = get(image_url, "url") if image_url is not None else get(block, "url")
    # Inline data URLs can be megabytes of base64; keep only what they are.
    if isinstance(url, str) and url.startswith("data:"):
        return url.split(",", 1)[0] + ",<inline data>"
    return url if isinstance(url, str) else None


def _tool_call_parts(tool_calls: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for call in tool_calls or ():
        function = get(call, "function")
        parts.append(
            {
                "type": "tool_call",
                "id": get(call, "id"),
                "name": get(function, "name") if function is not None else get(call, "name"),
                "arguments": _maybe_json(
                    get(function, "arguments") if function is not None else get(call, "arguments")
                ),
            }
        )
    return parts


def _maybe_json(value: Any) -> Any:
    """Tool-call arguments arrive as JSON text from OpenAI; keep them structured when valid."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return to_plain(value)


def normalize_message(message: Any, default_role: str = "user") -> Message:
    """One chat message (dict or object, OpenAI, Anthropic or LangChain style)."""
    if isinstance(message, str):
        return {"role": default_role, "parts": [_text_part(message)]}
    role = get(message, "role") or get(message, "type") or default_role
    role = _ROLE_ALIASES.get(role, role)
    if role == "tool":
        response = get(message, "content")
        return {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": get(message, "tool_call_id"),
                    "response": response if isinstance(response, str) else to_plain(response),
                }
            ],
        }
    parts = content_parts(get(message, "content"))
    parts.extend(_tool_call_parts(get(message, "tool_calls")))
    normalized: Message = {"role": str(role), "parts": parts}
    name = get(message, "name")
    if isinstance(name, str):
        normalized["name"] = name
    return normalized


def normalize_messages(messages: Any, default_role: str = "user") -> list[Message]:
    """Messages given as a list, one message, or a bare string (``default_role``'s text)."""
    if messages is None:
        return []
    if isinstance(messages, str) or not _is_list(messages):
        return [normalize_message(messages, default_role)]
    return [normalize_message(message, default_role) for message in messages]


# LLM responses ----------------------------------------------------------------------------


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclass
class LLMResponse:
    provider: str | None = None
    model: str | None = None
    response_id: str | None = None
    usage: Usage = field(default_factory=Usage)
    output_messages: list[Message] = field(default_factory=list)
    finish_reasons: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _openai_usage(usage: Any) -> Usage:
    # Chat Completions says prompt/completion; the Responses API says input/output.
    input_tokens = _int(get(usage, "prompt_tokens"))
    if input_tokens is None:
        input_tokens = _int(get(usage, "input_tokens"))
    output_tokens = _int(get(usage, "completion_tokens"))
    if output_tokens is None:
        output_tokens = _int(get(usage, "output_tokens"))
    input_details = get(usage, "prompt_tokens_details") or get(usage, "input_tokens_details")
    output_details = get(usage, "completion_tokens_details") or get(usage, "output_tokens_details")
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=_int(get(input_details, "cached_tokens")) if input_details else None,
        reasoning_tokens=_int(get(output_details, "reasoning_tokens")) if output_details else None,
    )


def _anthropic_usage(usage: Any) -> Usage:
    cache_read = _int(get(usage, "cache_read_input_tokens"))
    cache_write = _int(get(usage, "cache_creation_input_tokens"))
    input_tokens = _int(get(usage, "input_tokens"))
    # Anthropic's input_tokens excludes cached tokens; the GenAI convention counts all input.
    if input_tokens is not None:
        input_tokens += (cache_read or 0) + (cache_write or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=_int(get(usage, "output_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def parse_llm_response(value: Any) -> LLMResponse | None:
    """An OpenAI chat completion or an Anthropic message (object or dict), else None."""
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return None
    choices = get(value, "choices")
    if _is_list(choices) and get(value, "model") is not None:
        return _parse_openai(value, choices)
    if get(value, "type") == "message" and _is_list(get(value, "content")):
        return _parse_anthropic(value)
    return None


def _parse_openai(value: Any, choices: Sequence[Any]) -> LLMResponse:
    messages: list[Message] = []
    finish_reasons: list[str] = []
    for choice in choices:
        message = get(choice, "message")
        if message is None and get(choice, "text") is not None:  # legacy completions
            message = {"role": "assistant", "content": get(choice, "text")}
        normalized = normalize_message(message) if message is not None else {"role": "assistant", "parts": []}
        reason = get(choice, "finish_reason")
        if isinstance(reason, str):
            normalized["finish_reason"] = reason
            finish_reasons.append(reason)
        messages.append(normalized)
    usage = get(value, "usage")
    return LLMResponse(
        provider="openai",
        model=get(value, "model"),
        response_id=get(value, "id"),
        usage=_openai_usage(usage) if usage is not None else Usage(),
        output_messages=messages,
        finish_reasons=finish_reasons,
    )


def _parse_anthropic(value: Any) -> LLMResponse:
    message: Message = {"role": "assistant", "parts": content_parts(get(value, "content"))}
    reason = get(value, "stop_reason")
    finish_reasons = [reason] if isinstance(reason, str) else []
    if finish_reasons:
        message["finish_reason"] = reason
    usage = get(value, "usage")
    return LLMResponse(
        provider="anthropic",
        model=get(value, "model"),
        response_id=get(value, "id"),
        usage=_anthropic_usage(usage) if usage is not None else Usage(),
        output_messages=[message],
        finish_reasons=finish_reasons,
    )


def parse_embedding_response(value: Any) -> tuple[str | None, Usage] | None:
    """An OpenAI-style embeddings response: ``data`` list plus ``usage``."""
    if value is None or isinstance(value, (str, bytes, list)) or get(value, "data") is None:
        return None
    usage = get(value, "usage")
    return get(value, "model"), (_openai_usage(usage) if usage is not None else Usage())


# Streams ---------------------------------------------------------------------------------


def chunk_text(chunk: Any) -> str | None:
    """Text carried by one stream chunk: a string, or an OpenAI chat-completion delta."""
    if isinstance(chunk, str):
        return chunk
    choices = get(chunk, "choices")
    if _is_list(choices):
        if not choices:  # the usage-only last chunk of an OpenAI stream
            return ""
        delta = get(choices[0], "delta")
        content = get(delta, "content") if delta is not None else get(choices[0], "text")
        return content if isinstance(content, str) else ""
    delta = get(chunk, "delta")  # Anthropic content_block_delta
    text = get(delta, "text") if delta is not None else None
    return text if isinstance(text, str) else None


# Documents -------------------------------------------------------------------------------


def normalize_document(item: Any) -> dict[str, Any]:
    """A string, a dict with id/content/score/metadata, a LangChain-style Document, or a
    ``(document, score)`` pair as returned by ``similarity_search_with_score``."""
    score: Any = None
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], (int, float)):
        item, score = item
    if isinstance(item, str):
        document: dict[str, Any] = {"content": item}
    else:
        content = get(item, "page_content")
        if content is None:
            content = get(item, "content")
        if content is None:
            content = get(item, "text")
        document = {}
        identifier = get(item, "id")
        if identifier is not None:
            document["id"] = str(identifier)
        if content is not None:
            document["content"] = content if isinstance(content, str) else to_plain(content)
        if score is None:
            score = get(item, "score")
        metadata = get(item, "metadata")
        if metadata:
            document["metadata"] = to_plain(metadata)
        if not document:
            document["content"] = to_plain(item)
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        document["score"] = float(score)
    return document


def normalize_documents(value: Any) -> list[dict[str, Any]] | None:
    """A list of documents, or None when ``value`` is not a list."""
    if not _is_list(value):
        return None
    return [normalize_document(item) for item in value]
