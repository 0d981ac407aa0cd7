"""OpenInference (Arize ``spec/semantic_conventions.md``): Phoenix, and the
openinference-instrumentation-* packages."""

from __future__ import annotations

from typing import Any

from server.normalize._draft import Draft, FieldSpec, apply_table, indexed
from server.normalize._values import as_float, as_int, as_metadata, as_str, as_tags, parse_json, plain, text_and_mime
from server.normalize.documents import openinference_documents
from server.normalize.messages import Message, openinference_messages

NAME = "openinference"

# PROMPT (a template rendering step) and UNKNOWN have no Spanscope kind: they fall back
# to whatever another dialect says, else "span".
_KINDS = {
    "LLM": "llm",
    "EMBEDDING": "embedding",
    "CHAIN": "chain",
    "RETRIEVER": "retriever",
    "RERANKER": "reranker",
    "TOOL": "tool",
    "AGENT": "agent",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluator",
}

_INPUT_MESSAGES = "llm.input_messages."
_OUTPUT_MESSAGES = "llm.output_messages."
_PROMPTS = "llm.prompts."
_CHOICES = "llm.choices."
_DOCUMENTS = "retrieval.documents."
_RERANKED = "reranker.output_documents."
_INDEXED = (_INPUT_MESSAGES, _OUTPUT_MESSAGES, _PROMPTS, _CHOICES, _DOCUMENTS, _RERANKED)


def _kind(value: Any) -> str | None:
    return _KINDS.get(value.upper()) if isinstance(value, str) else None


def _provider(value: Any) -> str | None:
    text = as_str(value)
    return text.lower() if text else None


_TABLE: dict[str, FieldSpec] = {
    "openinference.span.kind": ("kind", 0, _kind),
    "session.id": ("session_id", 0, as_str),
    "user.id": ("user_id", 0, as_str),
    "llm.model_name": ("model", 0, as_str),
    "embedding.model_name": ("model", 1, as_str),
    "reranker.model_name": ("model", 2, as_str),
    "llm.provider": ("provider", 0, _provider),
    "llm.system": ("provider", 1, _provider),
    "llm.token_count.prompt": ("input_tokens", 0, as_int),
    "llm.token_count.completion": ("output_tokens", 0, as_int),
    "llm.token_count.total": ("total_tokens", 0, as_int),
    "llm.token_count.prompt_details.cache_read": ("cache_read_tokens", 0, as_int),
    "llm.token_count.prompt_details.cache_write": ("cache_write_tokens", 0, as_int),
    "llm.token_count.completion_details.reasoning": ("reasoning_tokens", 0, as_int),
    "tool.name": ("tool_name", 0, as_str),
}


def _buckets(keys: list[str]) -> dict[str, list[str]]:
    """Keys of the flattened lists, per list: one pass instead of one scan per list."""
    buckets: dict[str, list[str]] = {}
    for key in keys:
        if key.startswith(_INDEXED):
            for prefix in _INDEXED:
                if key.startswith(prefix):
                    buckets.setdefault(prefix, []).append(key)
                    break
    return buckets


def _text_messages(draft: Draft, keys: list[str], prefix: str, field: str, role: str) -> list[Message] | None:
    # Completion-API spans: llm.prompts.N.prompt.text / llm.choices.N.completion.text.
    rows = indexed(draft, keys, prefix)
    texts = [row[field] for row in rows if isinstance(row.get(field), str)]
    return [{"role": role, "parts": [{"type": "text", "content": text}]} for text in texts] or None


def apply(draft: Draft, keys: list[str]) -> None:
    apply_table(draft, keys, _TABLE)
    attributes, take = draft.attributes, draft.take
    if "input.value" in attributes:
        draft.put_text("input", text_and_mime(take("input.value"), take("input.mime_type")))
    if "output.value" in attributes:
        draft.put_text("output", text_and_mime(take("output.value"), take("output.mime_type")))
    if "metadata" in attributes:
        draft.add_metadata(as_metadata(take("metadata")))
    if "tag.tags" in attributes:
        draft.add_tags(as_tags(take("tag.tags")))
    if "llm.cost.total" in attributes:
        cost = as_float(take("llm.cost.total"))
        if cost is not None and cost >= 0 and not draft.has("cost_usd"):
            draft.put("cost_usd", cost)
            draft.put("cost_source", "span")

    buckets = _buckets(keys)
    if _INPUT_MESSAGES in buckets:
        draft.put("input_messages", openinference_messages(draft, buckets[_INPUT_MESSAGES], _INPUT_MESSAGES))
    if _OUTPUT_MESSAGES in buckets:
        draft.put("output_messages", openinference_messages(draft, buckets[_OUTPUT_MESSAGES], _OUTPUT_MESSAGES))
    if _PROMPTS in buckets:
        draft.put("input_messages", _text_messages(draft, buckets[_PROMPTS], _PROMPTS, "prompt.text", "user"))
    if _CHOICES in buckets:
        draft.put("output_messages", _text_messages(draft, buckets[_CHOICES], _CHOICES, "completion.text", "assistant"))
    if _DOCUMENTS in buckets:
        draft.put("documents", openinference_documents(draft, buckets[_DOCUMENTS], _DOCUMENTS))
    if _RERANKED in buckets:
        draft.put("documents", openinference_documents(draft, buckets[_RERANKED], _RERANKED))

    # The tool's definition has no column; it is kept where the UI shows extra facts.
    if "tool.description" in attributes or "tool.parameters" in attributes:
        tool: dict[str, object] = {}
        if (description := take("tool.description")) is not None:
            tool["tool.description"] = plain(description)
        if (parameters := take("tool.parameters")) is not None:
            decoded = parse_json(parameters)
            tool["tool.parameters"] = plain(parameters if decoded is None else decoded)
        draft.add_metadata(tool)
