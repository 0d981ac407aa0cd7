"""The span tree as table rows: flattened depth-first, with collapsed subtrees, long runs of
siblings summarised, and paging, so that a 10,000-span trace stays usable.

Pure functions over the API's tree (``GET /api/v1/traces/{id}``: root spans, each with its
``children``); the page decides which subtrees are collapsed and which summaries expanded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KIND_ICONS = {
    "llm": "💬",
    "embedding": "🧮",
    "retriever": "🔎",
    "reranker": "🔀",
    "tool": "🔧",
    "agent": "🤖",
    "chain": "⛓",
    "guardrail": "🛡",
    "evaluator": "⚖",
    "span": "▫",
}
# A parent with more children than this shows the first and last few, and the failures, and
# one summary row for each stretch in between: an agent loop of 300 iterations reads as its
# start, its end, its errors and "⋯ 290 more".
LONG_RUN = 12
HEAD, TAIL = 5, 3
PAGE_SIZE = 500


@dataclass(frozen=True)
class TreeRow:
    key: str  # a span id, or "group:<parent span id>:<first index>" for a summary row
    depth: int
    label: str
    kind: str
    failed: bool
    start_ms: float  # from the trace's start
    end_ms: float
    span: dict[str, Any] | None = None  # None on a summary row
    hidden: int = 0  # descendants not shown (collapsed subtree, or the spans a summary stands for)

    @property
    def is_summary(self) -> bool:
        return self.span is None


@dataclass
class TreeView:
    """What the reader chose: which subtrees are collapsed, which summaries expanded."""

    collapsed: set[str] = field(default_factory=set)
    expanded_groups: set[str] = field(default_factory=set)
    max_depth: int | None = None
    summarise: bool = True


def _ms(value: str) -> float:
    return datetime.fromisoformat(value).timestamp() * 1000


def trace_start_ms(roots: list[dict[str, Any]]) -> float:
    return min((_ms(root["start_time"]) for root in roots), default=0.0)


def count_spans(node: dict[str, Any]) -> int:
    return 1 + sum(count_spans(child) for child in node.get("children") or [])


def iter_spans(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from iter_spans(node.get("children") or [])


def rows(roots: list[dict[str, Any]], view: TreeView) -> list[TreeRow]:
    """The visible rows, depth-first in start order (the API already sorts children)."""
    origin = trace_start_ms(roots)
    out: list[TreeRow] = []
    for root in roots:
        _visit(root, 0, view, origin, out)
    return out


def _visit(node: dict[str, Any], depth: int, view: TreeView, origin: float, out: list[TreeRow]) -> None:
    closed = node["span_id"] in view.collapsed or (view.max_depth is not None and depth >= view.max_depth)
    hidden = count_spans(node) - 1 if closed else 0
    out.append(_span_row(node, depth, origin, hidden))
    if closed:
        return
    for item in _visible_children(node, view):
        if isinstance(item, list):
            out.append(_summary_row(node, item, depth + 1, origin))
        else:
            _visit(item[1], depth + 1, view, origin, out)


Child = tuple[int, dict[str, Any]]  # (index among its siblings, the span)


def _visible_children(node: dict[str, Any], view: TreeView) -> Iterator[Child | list[Child]]:
    """Each child as (index, child), except stretches summarised into one list."""
    children = list(enumerate(node.get("children") or []))
    if not view.summarise or len(children) <= LONG_RUN:
        yield from children
        return
    stretch: list[Child] = []
    for index, child in children:
        # Failed children stay visible: they are what a reader is looking for.
        if HEAD <= index < len(children) - TAIL and child.get("status") != "error":
            stretch.append((index, child))
            continue
        if stretch:
            yield from _stretch(node, stretch, view)
            stretch = []
        yield (index, child)
    if stretch:
        yield from _stretch(node, stretch, view)


def _stretch(node: dict[str, Any], stretch: list[Child], view: TreeView) -> Iterator[Child | list[Child]]:
    if group_key(node, stretch) in view.expanded_groups or len(stretch) == 1:
        yield from stretch
    else:
        yield stretch


def group_key(node: dict[str, Any], stretch: list[Child]) -> str:
    return f"group:{node['span_id']}:{stretch[0][0]}"


def _indent(depth: int) -> str:
    return "│ " * max(depth - 1, 0) + ("├ " if depth else "")


def _span_row(node: dict[str, Any], depth: int, origin: float, hidden: int) -> TreeRow:
    kind = node.get("kind") or "span"
    failed = node.get("status") == "error"
    label = f"{_indent(depth)}{KIND_ICONS.get(kind, '▫')} {node.get('name') or '(unnamed)'}"
    if hidden:
        label += f"  [+{hidden}]"
    if failed:
        label = f"{label}  ✖"
    return TreeRow(
        key=node["span_id"],
        depth=depth,
        label=label,
        kind=kind,
        failed=failed,
        start_ms=_ms(node["start_time"]) - origin,
        end_ms=_ms(node["end_time"]) - origin,
        span=node,
        hidden=hidden,
    )


def _summary_row(node: dict[str, Any], stretch: list[Child], depth: int, origin: float) -> TreeRow:
    names = Counter(f"{child.get('name')} [{child.get('kind')}]" for _, child in stretch)
    spans = sum(count_spans(child) for _, child in stretch)
    parts = ", ".join(f"{times} × {name}" for name, times in names.most_common(3))
    if len(names) > 3:
        parts += ", …"
    first, last = stretch[0][1], stretch[-1][1]
    return TreeRow(
        key=group_key(node, stretch),
        depth=depth,
        label=f"{_indent(depth)}⋯ {len(stretch)} more: {parts}",
        kind="summary",
        failed=False,
        start_ms=_ms(first["start_time"]) - origin,
        end_ms=_ms(last["end_time"]) - origin,
        hidden=spans,
    )


def page(all_rows: list[TreeRow], number: int, size: int = PAGE_SIZE) -> list[TreeRow]:
    """Rows of page ``number`` (0-based)."""
    return all_rows[number * size : (number + 1) * size]


def page_count_for(rows: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-rows // size))
