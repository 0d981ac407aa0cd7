"""OpenLLMetry (Traceloop): workflow attributes, and the LLM attributes of releases
before 0.55 (later ones write ``gen_ai.input.messages``, read by ``genai.py``)."""

from __future__ import annotations

from server.normalize._draft import Draft
from server.normalize._values import as_int, as_str, json_attribute_text, plain
from server.normalize.messages import openllmetry_messages

NAME = "openllmetry"

_KINDS = {"workflow": "chain", "task": "chain", "agent": "agent", "tool": "tool"}
_REQUEST_KINDS = {"chat": "llm", "completion": "llm", "embedding": "embedding", "rerank": "reranker"}

_PROMPT = "gen_ai.prompt."
_COMPLETION = "gen_ai.completion."
_ASSOCIATION = "traceloop.association.properties."
# Association properties with a column of their own.
_ASSOCIATION_FIELDS = {"session_id": "session_id", "user_id": "user_id"}


def apply(draft: Draft, keys: list[str]) -> None:
    take = draft.take
    span_kind = take("traceloop.span.kind")
    if isinstance(span_kind, str):
        draft.put("kind", _KINDS.get(span_kind))
    request_type = take("llm.request.type")
    if isinstance(request_type, str):
        draft.put("kind", _REQUEST_KINDS.get(request_type))

    # The entity name is the span name minus ".workflow"/".task": only a tool needs it.
    entity_name = as_str(take("traceloop.entity.name"))
    if span_kind == "tool":
        draft.put("tool_name", entity_name)
    draft.put_text("input", json_attribute_text(take("traceloop.entity.input")))
    draft.put_text("output", json_attribute_text(take("traceloop.entity.output")))
    if (workflow := take("traceloop.workflow.name")) is not None:
        draft.add_metadata({"workflow.name": plain(workflow)})
    draft.put("total_tokens", as_int(take("llm.usage.total_tokens")))

    prompts: list[str] = []
    completions: list[str] = []
    association: dict[str, object] = {}
    for key in keys:
        if key.startswith(_PROMPT):
            prompts.append(key)
        elif key.startswith(_COMPLETION):
            completions.append(key)
        elif key.startswith(_ASSOCIATION):
            name = key[len(_ASSOCIATION) :]
            value = take(key)
            if name in _ASSOCIATION_FIELDS:
                draft.put(_ASSOCIATION_FIELDS[name], as_str(value))
            elif name:
                association[name] = plain(value)
    draft.add_metadata(association)
    if prompts:
        draft.put("input_messages", openllmetry_messages(draft, prompts, _PROMPT, "user"))
    if completions:
        draft.put("output_messages", openllmetry_messages(draft, completions, _COMPLETION, "assistant"))
