"""Langfuse SDK v3 (OTel-based) attributes, for users who switch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.normalize._draft import Draft
from server.normalize._values import (
    as_float,
    as_int,
    as_metadata,
    as_str,
    as_tags,
    json_attribute_text,
    parse_json_if_container,
    plain,
)
from server.normalize.messages import openai_messages

NAME = "langfuse"

_KINDS = {"generation": "llm", "span": "span", "event": "span"}
_SAME_NAME_KINDS = frozenset(("embedding", "agent", "tool", "chain", "retriever", "guardrail", "evaluator"))

# usage_details keys are free-form; these are the spellings Langfuse's own integrations use.
_USAGE = {
    "input_tokens": ("input", "input_tokens", "prompt_tokens"),
    "output_tokens": ("output", "output_tokens", "completion_tokens"),
    "total_tokens": ("total", "total_tokens"),
    "cache_read_tokens": ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read"),
    "cache_write_tokens": ("cache_creation_input_tokens", "input_cache_creation"),
    "reasoning_tokens": ("output_reasoning_tokens", "reasoning_tokens"),
}
_OBSERVATION_METADATA = "langfuse.observation.metadata."
_TRACE_METADATA = "langfuse.trace.metadata."
_FACTS = {
    "langfuse.observation.level": "level",
    "langfuse.environment": "environment",
    "langfuse.release": "release",
    "langfuse.version": "version",
    "langfuse.trace.name": "trace.name",
}


def _usage(details: Mapping[str, Any]) -> dict[str, int | None]:
    usage: dict[str, int | None] = {}
    for field, names in _USAGE.items():
        usage[field] = next((count for name in names if (count := as_int(details.get(name))) is not None), None)
    # Langfuse's OpenAI integration subtracts cached tokens from "input"; Spanscope counts
    # all input tokens (GenAI convention). Re-add them only when the total proves it.
    cached = (usage["cache_read_tokens"] or 0) + (usage["cache_write_tokens"] or 0)
    input_tokens, output_tokens, total = usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]
    known = input_tokens is not None and output_tokens is not None and total is not None
    if cached and known and input_tokens + cached + output_tokens == total:  # type: ignore[operator]
        usage["input_tokens"] = input_tokens + cached  # type: ignore[operator]
    return usage


def _generation_messages(draft: Draft, value: Any, field: str, default_role: str) -> None:
    decoded = parse_json_if_container(value)
    if isinstance(decoded, dict) and isinstance(decoded.get("messages"), list):
        decoded = decoded["messages"]
    if isinstance(decoded, str):
        draft.put(field, [{"role": default_role, "parts": [{"type": "text", "content": decoded}]}])
    elif isinstance(decoded, list) or (isinstance(decoded, dict) and "role" in decoded):
        draft.put(field, openai_messages(decoded, default_role))


def apply(draft: Draft, keys: list[str]) -> None:
    take = draft.take
    observation_type = take("langfuse.observation.type")
    if isinstance(observation_type, str):
        kind = _KINDS.get(observation_type)
        draft.put("kind", kind or (observation_type if observation_type in _SAME_NAME_KINDS else None))

    observation_input, observation_output = take("langfuse.observation.input"), take("langfuse.observation.output")
    draft.put_text("input", json_attribute_text(observation_input))
    draft.put_text("output", json_attribute_text(observation_output))
    draft.put_text("input", json_attribute_text(take("langfuse.trace.input")))
    draft.put_text("output", json_attribute_text(take("langfuse.trace.output")))
    if observation_type == "generation":
        if observation_input is not None and not draft.has("input_messages"):
            _generation_messages(draft, observation_input, "input_messages", "user")
        if observation_output is not None and not draft.has("output_messages"):
            _generation_messages(draft, observation_output, "output_messages", "assistant")

    draft.put("model", as_str(take("langfuse.observation.model.name")))
    details = parse_json_if_container(take("langfuse.observation.usage_details"))
    if isinstance(details, dict):
        for field, count in _usage(details).items():
            draft.put(field, count)
    costs = parse_json_if_container(take("langfuse.observation.cost_details"))
    cost = as_float(costs.get("total")) if isinstance(costs, dict) else None
    if cost is not None and cost >= 0 and not draft.has("cost_usd"):
        draft.put("cost_usd", cost)
        draft.put("cost_source", "span")

    draft.put("session_id", as_str(take("langfuse.session.id")))
    draft.put("user_id", as_str(take("langfuse.user.id")))
    draft.add_tags(as_tags(take("langfuse.trace.tags")))

    # Metadata comes whole (JSON) or flattened per key, as the v3 SDK writes it.
    draft.add_metadata(as_metadata(take("langfuse.observation.metadata")))
    draft.add_metadata(as_metadata(take("langfuse.trace.metadata")))
    flattened: dict[str, Any] = {}
    for key in keys:
        for prefix in (_OBSERVATION_METADATA, _TRACE_METADATA):
            if key.startswith(prefix) and len(key) > len(prefix):
                flattened.setdefault(key[len(prefix) :], plain(parse_json_if_container(take(key))))
    facts = {name: plain(value) for key, name in _FACTS.items() if (value := take(key)) is not None}
    draft.add_metadata(flattened)
    draft.add_metadata(facts)
