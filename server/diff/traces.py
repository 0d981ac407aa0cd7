"""Trace against trace: the aligned span trees as rows, each added, removed, changed or the
same, with what changed and by how much, and a summary a person reads first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .align import Pair, align_trees
from .spans import as_text, deltas, span_changes

TRACE_FIGURES = ("duration_ms", "span_count", "error_count", "total_tokens", "cost_usd")
# How the summary names a kind's spans ("3 more tool calls").
KIND_WORDS = {
    "llm": "LLM call",
    "tool": "tool call",
    "retriever": "retrieval",
    "reranker": "rerank",
    "agent": "agent step",
}


def diff_traces(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Diff two trace details (``{"trace": summary, "spans": tree}``, as the read API gives)."""
    rows = list(_rows(align_trees(a["spans"], b["spans"]), depth=0))
    return {
        "a": a["trace"],
        "b": b["trace"],
        "summary": _summary(a, b, rows),
        "spans": rows,
    }


def _rows(pairs: list[Pair], depth: int) -> Iterator[dict[str, Any]]:
    for pair in pairs:
        yield _row(pair, depth)
        yield from _rows(pair.children, depth + 1)


def _row(pair: Pair, depth: int) -> dict[str, Any]:
    either = pair.b if pair.b is not None else pair.a
    assert either is not None  # a pair always has a side
    row: dict[str, Any] = {
        "depth": depth,
        "kind": either.get("kind"),
        "name": either.get("name"),
        "span_id_a": None if pair.a is None else pair.a["span_id"],
        "span_id_b": None if pair.b is None else pair.b["span_id"],
        "deltas": deltas(pair.a, pair.b),
    }
    if pair.a is None or pair.b is None:
        row["change"] = "added" if pair.a is None else "removed"
        row.update(changed=[], values={}, texts={}, documents=None)
        return row
    changes = span_changes(pair.a, pair.b)
    row["change"] = "changed" if changes["changed"] else "same"
    row.update(changes)
    return row


def _figure(trace: dict[str, Any], name: str) -> float | None:
    value = trace.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _summary(a: dict[str, Any], b: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(row["change"] for row in rows)
    added = Counter(row["kind"] for row in rows if row["change"] == "added")
    removed = Counter(row["kind"] for row in rows if row["change"] == "removed")
    figures = {}
    for name in TRACE_FIGURES:
        before, after = _figure(a["trace"], name), _figure(b["trace"], name)
        figures[name] = None if before is None or after is None else round(after - before, 9)
    lost = [doc["id"] for row in rows if row["documents"] for doc in row["documents"]["dropped"]]
    gained = [doc["id"] for row in rows if row["documents"] for doc in row["documents"]["added"]]
    models = sorted(
        {(row["values"]["model"]["a"], row["values"]["model"]["b"]) for row in rows if "model" in row["values"]},
        key=str,
    )
    roots_a, roots_b = a["spans"], b["spans"]
    answer_changed = as_text(roots_a[0].get("output") if roots_a else None) != as_text(
        roots_b[0].get("output") if roots_b else None
    )
    return {
        "added": counts["added"],
        "removed": counts["removed"],
        "changed": counts["changed"],
        "same": counts["same"],
        "deltas": figures,
        "documents_lost": sorted(set(lost) - set(gained)),
        "documents_gained": sorted(set(gained) - set(lost)),
        "model_changes": [{"a": before, "b": after} for before, after in models],
        "answer_changed": answer_changed,
        "text": _sentence(
            added=added,
            removed=removed,
            lost=sorted(set(lost) - set(gained)),
            figures=figures,
            models=models,
            answer_changed=answer_changed,
        ),
    }


def _sentence(
    *,
    added: Counter[str],
    removed: Counter[str],
    lost: list[str],
    figures: dict[str, float | None],
    models: list[tuple[Any, Any]],
    answer_changed: bool,
) -> str:
    """'3 more tool calls, retrieval lost doc kb-returns, +420 tokens, +1.3 s, answer changed'."""
    parts = []
    for kind in sorted(set(added) | set(removed), key=str):
        net = added[kind] - removed[kind]
        word = KIND_WORDS.get(str(kind), f"{kind} span")
        if net:
            parts.append(f"{abs(net)} {'more' if net > 0 else 'fewer'} {word}{'s' if abs(net) != 1 else ''}")
    parts += [f"retrieval lost {doc_id}" for doc_id in lost[:3]]
    parts += [f"model {before} → {after}" for before, after in models[:2]]
    errors = figures.get("error_count")
    if errors:
        parts.append(f"{errors:+.0f} error{'s' if abs(errors) != 1 else ''}")
    tokens = figures.get("total_tokens")
    if tokens:
        parts.append(f"{tokens:+,.0f} tokens")
    cost = figures.get("cost_usd")
    if cost:
        parts.append(f"{'+' if cost > 0 else '-'}${abs(cost):.4f}")
    duration = figures.get("duration_ms")
    if duration is not None and abs(duration) >= 1:
        parts.append(f"{duration / 1000:+.1f} s" if abs(duration) >= 100 else f"{duration:+.0f} ms")
    if answer_changed:
        parts.append("answer changed")
    return ", ".join(parts) or "no difference"
