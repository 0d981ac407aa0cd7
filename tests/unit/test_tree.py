"""The span tree: nesting, order, orphans and hostile parent cycles."""

from __future__ import annotations

from typing import Any

from server.tree import span_tree


def span(span_id: str, parent: str | None, start: int) -> dict[str, Any]:
    return {"span_id": span_id, "parent_span_id": parent, "start_time": start}


def shape(nodes: list[dict[str, Any]]) -> list[Any]:
    return [(node["span_id"], shape(node["children"])) for node in nodes]


def test_nests_children_by_start_time() -> None:
    spans = [span("c2", "root", 3), span("root", None, 1), span("c1", "root", 2), span("g", "c1", 4)]
    assert shape(span_tree(spans)) == [("root", [("c1", [("g", [])]), ("c2", [])])]


def test_orphans_become_roots_and_nothing_is_lost() -> None:
    spans = [span("a", "missing", 2), span("root", None, 1)]
    assert shape(span_tree(spans)) == [("root", []), ("a", [])]


def test_cycles_and_self_parents_are_cut() -> None:
    spans = [span("a", "b", 1), span("b", "a", 2), span("s", "s", 3), span("c", "a", 4)]
    tree = span_tree(spans)
    flat: list[str] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            flat.append(node["span_id"])
            walk(node["children"])

    walk(tree)
    assert sorted(flat) == ["a", "b", "c", "s"]
