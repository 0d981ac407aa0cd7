"""What changed between two aligned spans: their content, their documents, their tool call,
their model and parameters, and the deltas of latency, tokens and cost."""

from __future__ import annotations

import difflib
from typing import Any

import orjson

Span = dict[str, Any]

# Content compared as text, each with a unified diff when it changed.
TEXT_FIELDS = ("input", "output", "input_messages", "output_messages", "status_message")
# Compared as values: a change names the field and both values.
VALUE_FIELDS = ("name", "status", "model", "provider", "tool_name", "tool_arguments", "tool_result")
DELTA_FIELDS = ("duration_ms", "input_tokens", "output_tokens", "total_tokens", "cost_usd")
# Request parameters, under the names the conventions give them (CONVENTIONS.md).
PARAMETER_PREFIXES = ("gen_ai.request.", "llm.invocation_parameters")
MAX_DIFF_LINES = 400  # a unified diff longer than this is cut, and says so


def as_text(value: Any) -> str:
    """A field as the text a person compares: strings as they are, the rest as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def unified(before: str, after: str) -> str:
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), "a", "b", lineterm="", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines"]
    return "\n".join(lines)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def deltas(a: Span | None, b: Span | None) -> dict[str, float | None]:
    """B minus A for each figure; a missing side counts as 0, a missing figure as unknown."""
    result: dict[str, float | None] = {}
    for name in DELTA_FIELDS:
        before = 0.0 if a is None else _number(a.get(name))
        after = 0.0 if b is None else _number(b.get(name))
        result[name] = None if before is None or after is None else round(after - before, 9)
    return result


def parameters(span: Span) -> dict[str, Any]:
    attributes = span.get("attributes") or {}
    return {name: value for name, value in attributes.items() if name.startswith(PARAMETER_PREFIXES)}


def documents_diff(a: list[dict[str, Any]] | None, b: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Retrieved documents by id: added, dropped, and those kept with their rank and score."""
    if not a and not b:
        return None
    ranked_a = {_doc_id(doc, rank): (rank, doc.get("score")) for rank, doc in enumerate(a or [], start=1)}
    ranked_b = {_doc_id(doc, rank): (rank, doc.get("score")) for rank, doc in enumerate(b or [], start=1)}
    kept = [
        {"id": doc_id, "rank_a": ranked_a[doc_id][0], "rank_b": rank, "score_a": ranked_a[doc_id][1], "score_b": score}
        for doc_id, (rank, score) in ranked_b.items()
        if doc_id in ranked_a
    ]
    added = [_ranked(doc_id, place) for doc_id, place in ranked_b.items() if doc_id not in ranked_a]
    dropped = [_ranked(doc_id, place) for doc_id, place in ranked_a.items() if doc_id not in ranked_b]
    changed = bool(added or dropped) or any(
        row["rank_a"] != row["rank_b"] or row["score_a"] != row["score_b"] for row in kept
    )
    return {"changed": changed, "added": added, "dropped": dropped, "kept": kept}


def _ranked(doc_id: str, place: tuple[int, Any]) -> dict[str, Any]:
    return {"id": doc_id, "rank": place[0], "score": place[1]}


def _doc_id(document: dict[str, Any], rank: int) -> str:
    """A document's id, else its content (two retrievals of one text are the same document)."""
    found = document.get("id")
    if found not in (None, ""):
        return str(found)
    content = document.get("content")
    return f"content:{content[:200]}" if isinstance(content, str) else f"rank:{rank}"


def span_changes(a: Span, b: Span) -> dict[str, Any]:
    """The differences of two aligned spans: ``changed`` names each field that differs."""
    changed: list[str] = []
    values: dict[str, dict[str, Any]] = {}
    for name in VALUE_FIELDS:
        if a.get(name) != b.get(name):
            changed.append(name)
            values[name] = {"a": a.get(name), "b": b.get(name)}
    texts: dict[str, dict[str, str]] = {}
    for name in TEXT_FIELDS:
        if name in ("input", "output") and (a.get(f"{name}_messages") or b.get(f"{name}_messages")):
            continue  # an LLM call's raw request or response has ids and times: its messages are what it said
        before, after = as_text(a.get(name)), as_text(b.get(name))
        if before != after:
            changed.append(name)
            texts[name] = {"a": before, "b": after, "unified": unified(before, after)}
    params_a, params_b = parameters(a), parameters(b)
    if params_a != params_b:
        changed.append("parameters")
        values["parameters"] = {"a": params_a, "b": params_b}
    documents = documents_diff(a.get("documents"), b.get("documents"))
    if documents is not None and documents["changed"]:
        changed.append("documents")
    return {"changed": changed, "values": values, "texts": texts, "documents": documents}
