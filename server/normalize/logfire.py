"""Logfire's default (non-GenAI) OpenAI/Anthropic instrumentation: the request and the
response as ``request_data`` / ``response_data`` JSON, next to ``gen_ai.*`` usage (read by
``genai.py``). With ``version='latest'`` Logfire writes GenAI attributes only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.normalize._draft import Draft
from server.normalize._values import as_int, as_str, as_tags, parse_json_if_container, text_and_mime
from server.normalize.messages import Message, openai_messages
from tracer._internal.extract import content_parts

NAME = "logfire"

# Display and encoding hints for Logfire's UI; nothing to map, nothing lost.
_BOOKKEEPING = ("logfire.span_type", "logfire.msg", "logfire.json_schema")


# OpenAI says prompt/completion; Anthropic says input/output.
_USAGE_NAMES = (
    ("input_tokens", ("prompt_tokens", "input_tokens")),
    ("output_tokens", ("completion_tokens", "output_tokens")),
)


def _output_messages(response: Mapping[str, Any]) -> list[Message] | None:
    message = response.get("message")
    if isinstance(message, dict):
        return openai_messages(message, "assistant")
    choices = response.get("choices")
    if isinstance(choices, list):
        messages: list[Message] = []
        for choice in choices:
            if isinstance(choice, dict) and (converted := openai_messages(choice.get("message"), "assistant")):
                if isinstance(choice.get("finish_reason"), str):
                    converted[0]["finish_reason"] = choice["finish_reason"]
                messages.extend(converted)
        return messages or None
    streamed = response.get("combined_chunk_content")
    if isinstance(streamed, str):
        return [{"role": "assistant", "parts": [{"type": "text", "content": streamed}]}]
    return None


def _system(system: Any) -> Message | None:
    """Anthropic's ``system``: a string or a list of text blocks (``{"type", "text"}``)."""
    if system is None:
        return None
    try:
        parts = content_parts(system)
    except Exception:  # not blocks after all
        return None
    return {"role": "system", "parts": parts} if parts else None


def _usage(draft: Draft, usage: Any) -> None:
    if not isinstance(usage, dict):
        return
    for field, names in _USAGE_NAMES:
        draft.put(field, next((count for name in names if (count := as_int(usage.get(name))) is not None), None))
    draft.put("total_tokens", as_int(usage.get("total_tokens")))


def apply(draft: Draft, keys: list[str]) -> None:
    take = draft.take
    template = take("logfire.msg_template")
    draft.add_tags(as_tags(take("logfire.tags")))
    raw_request, raw_response = take("request_data"), take("response_data")
    request = parse_json_if_container(raw_request)
    response = parse_json_if_container(raw_response)
    draft.put_text("input", text_and_mime(raw_request))
    draft.put_text("output", text_and_mime(raw_response))

    if isinstance(request, dict):
        embedding = isinstance(template, str) and "Embedding" in template
        draft.put("kind", "embedding" if embedding else "llm")
        draft.put("model", as_str(request.get("model")))
        if not draft.has("input_messages") and (messages := request.get("messages")) is not None:
            converted = openai_messages(messages) or []
            if (system := _system(request.get("system"))) is not None:
                converted.insert(0, system)
            draft.put("input_messages", converted or None)
    if isinstance(response, dict):
        draft.put("model", as_str(response.get("model")))
        if not draft.has("output_messages"):
            draft.put("output_messages", _output_messages(response))
        _usage(draft, response.get("usage"))
    for key in _BOOKKEEPING:
        take(key)
