"""Arrange a trace's spans as a tree."""

from __future__ import annotations

from typing import Any


def _acyclic_parents(spans: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each span's parent, when that parent is in the trace, with cycles cut.

    Span IDs come from clients: A -> B -> A must not hide both spans or make the tree
    infinite. A cycle is cut where it is found, and that span becomes a root."""
    parents = {
        span_id: span["parent_span_id"]
        for span_id, span in spans.items()
        if span["parent_span_id"] in spans and span["parent_span_id"] != span_id
    }
    known_acyclic: set[str] = set()
    for start in list(parents):
        path: list[str] = []
        on_path: set[str] = set()
        node = start
        while node in parents and node not in known_acyclic:
            if node in on_path:
                del parents[node]
                break
            on_path.add(node)
            path.append(node)
            node = parents[node]
        known_acyclic.update(path)
    return parents


def span_tree(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest spans under their parents, children by start time. A span whose parent is
    missing (not arrived yet, or sampled out) becomes a root, so nothing is hidden."""
    nodes = {span["span_id"]: {**span, "children": []} for span in spans}
    parents = _acyclic_parents(nodes)
    roots = []
    for node in sorted(nodes.values(), key=lambda node: (node["start_time"], node["span_id"])):
        parent_id = parents.get(node["span_id"])
        if parent_id is None:
            roots.append(node)
        else:
            nodes[parent_id]["children"].append(node)
    return roots
