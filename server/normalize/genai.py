"""OTel GenAI semantic conventions (CONVENTIONS.md), current and deprecated names.

Deprecated names rank after the current ones, so a sender in transition (both written)
gets the current value.
"""

from __future__ import annotations

from typing import Any

from server.normalize._draft import Draft, FieldSpec, apply_table
from server.normalize._values import TEXT_MIME, as_float, as_int, as_str, plain, text_and_mime
from server.normalize.documents import documents_from_value
from server.normalize.messages import genai_messages, system_message

NAME = "genai"

_KINDS = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "retrieval": "retriever",
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "invoke_workflow": "chain",
}


def _kind(value: Any) -> str | None:
    return _KINDS.get(value) if isinstance(value, str) else None


def _provider(value: Any) -> str | None:
    text = as_str(value)
    return text.lower() if text else None


def _text(value: Any) -> str | None:
    return text_and_mime(value)[0]


_TABLE: dict[str, FieldSpec] = {
    "gen_ai.operation.name": ("kind", 0, _kind),
    "gen_ai.provider.name": ("provider", 0, _provider),
    "gen_ai.system": ("provider", 1, _provider),
    # The response model names the exact snapshot that ran (and was billed).
    "gen_ai.response.model": ("model", 0, as_str),
    "gen_ai.request.model": ("model", 1, as_str),
    "gen_ai.usage.input_tokens": ("input_tokens", 0, as_int),
    "gen_ai.usage.prompt_tokens": ("input_tokens", 1, as_int),
    "gen_ai.usage.output_tokens": ("output_tokens", 0, as_int),
    "gen_ai.usage.completion_tokens": ("output_tokens", 1, as_int),
    # Not in the convention, but OpenLLMetry 0.55+ writes it.
    "gen_ai.usage.total_tokens": ("total_tokens", 0, as_int),
    "gen_ai.usage.cache_read.input_tokens": ("cache_read_tokens", 0, as_int),
    # OpenLLMetry's spellings, written into gen_ai before the convention had names.
    "gen_ai.usage.cache_read_input_tokens": ("cache_read_tokens", 1, as_int),
    "gen_ai.usage.cache_write.input_tokens": ("cache_write_tokens", 0, as_int),
    "gen_ai.usage.cache_creation.input_tokens": ("cache_write_tokens", 1, as_int),
    "gen_ai.usage.cache_creation_input_tokens": ("cache_write_tokens", 2, as_int),
    "gen_ai.usage.reasoning.output_tokens": ("reasoning_tokens", 0, as_int),
    "gen_ai.usage.reasoning_tokens": ("reasoning_tokens", 1, as_int),
    "gen_ai.tool.name": ("tool_name", 0, as_str),
    "gen_ai.tool.call.arguments": ("tool_arguments", 0, _text),
    "gen_ai.tool.call.result": ("tool_result", 0, _text),
    "gen_ai.retrieval.documents": ("documents", 0, documents_from_value),
    "gen_ai.conversation.id": ("session_id", 0, as_str),
}

# Facts without a column, kept in metadata.
_METADATA = {
    "gen_ai.tool.description": "tool.description",
    "gen_ai.workflow.name": "workflow.name",
}
_EVALUATION = "gen_ai.evaluation."


def apply(draft: Draft, keys: list[str]) -> None:
    apply_table(draft, keys, _TABLE)
    attributes, take = draft.attributes, draft.take

    if "gen_ai.input.messages" in attributes or "gen_ai.system_instructions" in attributes:
        inputs, system = take("gen_ai.input.messages"), take("gen_ai.system_instructions")
        if not draft.has("input_messages"):
            messages = genai_messages(inputs) or []
            if (instructions := system_message(system)) is not None:
                messages.insert(0, instructions)
            draft.put("input_messages", messages or None)
    if "gen_ai.output.messages" in attributes:
        outputs = take("gen_ai.output.messages")
        if not draft.has("output_messages"):
            draft.put("output_messages", genai_messages(outputs, "assistant"))
    if "gen_ai.retrieval.query.text" in attributes:
        query = take("gen_ai.retrieval.query.text")
        # Only a fallback: a retriever's recorded input (``input.value``) says more.
        if isinstance(query, str) and "input" not in draft.defaults:
            draft.defaults["input"] = query
            draft.defaults["input_mime_type"] = TEXT_MIME

    metadata: dict[str, Any] = {}
    evaluation: dict[str, Any] = {}
    for key in keys:
        if key in _METADATA:
            metadata[_METADATA[key]] = plain(take(key))
        elif key.startswith(_EVALUATION):
            name = key[len(_EVALUATION) :]
            if name in ("name", "score.value", "score.label", "explanation"):
                value = take(key)
                evaluation[name] = as_float(value) if name == "score.value" else plain(value)
    if evaluation:
        metadata["evaluation"] = evaluation
    draft.add_metadata(metadata)
