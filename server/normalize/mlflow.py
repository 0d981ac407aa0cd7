"""MLflow Tracing attributes, for users who switch.

MLflow stores every attribute value as ``json.dumps(value)``, so even the span type
arrives quoted (``'"LLM"'``); each value is decoded before use.
"""

from __future__ import annotations

from typing import Any

from server.normalize._draft import Draft
from server.normalize._values import as_int, as_str, json_attribute_text, parse_json
from server.normalize.documents import documents_from_value
from server.normalize.messages import openai_messages
from tracer._internal.extract import parse_llm_response

NAME = "mlflow"

_KINDS = {
    "LLM": "llm",
    "CHAT_MODEL": "llm",
    "CHAIN": "chain",
    "AGENT": "agent",
    "TOOL": "tool",
    "RETRIEVER": "retriever",
    "EMBEDDING": "embedding",
    "RERANKER": "reranker",
    "PARSER": "span",
    "MEMORY": "span",
}
# Bookkeeping that repeats what the span already says (trace id, experiment).
_BOOKKEEPING = ("mlflow.traceRequestId", "mlflow.experimentId")


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ('"', "{", "["):
        decoded = parse_json(value)
        return value if decoded is None else decoded
    return value


def _llm(draft: Draft, inputs: Any, outputs: Any) -> None:
    try:
        response = parse_llm_response(outputs)
    except Exception:  # a malformed response leaves the fields empty
        response = None
    if response is not None:  # first: the response names the exact model snapshot
        draft.put("model", as_str(response.model))
        draft.put("output_messages", response.output_messages or None)
        draft.put("input_tokens", as_int(response.usage.input_tokens))
        draft.put("output_tokens", as_int(response.usage.output_tokens))
        draft.put("cache_read_tokens", as_int(response.usage.cache_read_tokens))
    if isinstance(inputs, dict):
        draft.put("model", as_str(inputs.get("model")))
        if not draft.has("input_messages"):
            draft.put("input_messages", openai_messages(inputs.get("messages")))


def apply(draft: Draft, keys: list[str]) -> None:
    take = draft.take
    span_type = _decoded(take("mlflow.spanType"))
    kind = _KINDS.get(span_type) if isinstance(span_type, str) else None
    draft.put("kind", kind)

    raw_inputs, raw_outputs = take("mlflow.spanInputs"), take("mlflow.spanOutputs")
    draft.put_text("input", json_attribute_text(raw_inputs))
    draft.put_text("output", json_attribute_text(raw_outputs))

    usage = _decoded(take("mlflow.chat.tokenUsage"))
    if isinstance(usage, dict):
        draft.put("input_tokens", as_int(usage.get("input_tokens")))
        draft.put("output_tokens", as_int(usage.get("output_tokens")))
        draft.put("total_tokens", as_int(usage.get("total_tokens")))

    if kind == "llm":
        _llm(draft, _decoded(raw_inputs), _decoded(raw_outputs))
    elif kind in ("retriever", "reranker"):
        draft.put("documents", documents_from_value(_decoded(raw_outputs)))
    elif kind == "tool":
        draft.put("tool_name", draft.span_name or None)
    for key in _BOOKKEEPING:
        take(key)
