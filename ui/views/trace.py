"""One trace: the span tree beside its waterfall, and the selected span in full.

URL: /trace?id=<trace id>[&span=<span id>]. Large traces stay usable: long runs of sibling
spans (agent-loop iterations) are summarised, subtrees collapse, the tree is paged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.components import tree
from ui.components.add_to_dataset import add_to_dataset
from ui.components.annotate import scores_section
from ui.components.compare_with import trace_compare_with
from ui.components.span_detail import span_detail
from ui.components.tables import chosen_item, picked_row, table_height
from ui.components.waterfall import waterfall
from ui.navigation import TRACES, open_session
from ui.text import cost, count, duration, moment, plain


@st.cache_resource(ttl=15, max_entries=4, show_spinner="Loading the trace…")
def _load(trace_id: str, project: str | None) -> dict[str, Any]:  # project: in the cache key
    # cache_resource, not cache_data: no copy per rerun (a 10,000-span trace is tens of MB).
    # Callers must not change what it returns.
    return client.get_trace(trace_id)


def _header(summary: dict[str, Any]) -> None:
    st.title(plain(summary.get("name") or "(trace without a root span yet)", 120), anchor=False)
    columns = st.columns(6)
    columns[0].metric("Started", moment(summary["start_time"])[11:], help=f"{moment(summary['start_time'])} UTC")
    columns[1].metric("Duration", duration(summary["duration_ms"]))
    columns[2].metric("Spans", count(summary["span_count"]))
    columns[3].metric("Errors", count(summary["error_count"]))
    columns[4].metric("Tokens", count(summary.get("total_tokens")))
    columns[5].metric("Cost", cost(summary.get("cost_usd")))
    facts = [f"trace {summary['trace_id']}"]
    if summary.get("models"):
        facts.append("models " + ", ".join(summary["models"]))
    if summary.get("user_id"):
        facts.append(f"user {summary['user_id']}")
    if summary.get("tags"):
        facts.append("tags " + ", ".join(summary["tags"]))
    st.caption(plain(" · ".join(facts), 600))
    if summary.get("session_id") and st.button(f"Session {plain(summary['session_id'], 60)} ›"):
        open_session(summary["session_id"])


def _view(trace_id: str) -> tree.TreeView:
    views: dict[str, tree.TreeView] = st.session_state.setdefault("tree_views", {})
    return views.setdefault(trace_id, tree.TreeView())


def _view_controls(view: tree.TreeView) -> None:
    columns = st.columns([2, 2, 6])
    depths = [None, 1, 2, 3, 4, 6]
    view.max_depth = columns[0].selectbox(
        "Depth",
        depths,
        index=depths.index(view.max_depth) if view.max_depth in depths else 0,
        format_func=lambda depth: "all levels" if depth is None else f"{depth} levels",
    )
    view.summarise = columns[1].toggle("Summarise long runs", value=view.summarise)


def _page_number(total_rows: int) -> int:
    pages = tree.page_count_for(total_rows)
    if pages == 1:
        return 0
    number: int | None = st.selectbox(
        f"Tree page ({total_rows:,} rows)",
        list(range(pages)),
        format_func=lambda number: (
            f"rows {number * tree.PAGE_SIZE + 1:,}–{min((number + 1) * tree.PAGE_SIZE, total_rows):,}"
        ),
    )
    return number or 0


def _tree_table(rows: list[tree.TreeRow]) -> pd.DataFrame:
    spans = [row.span or {} for row in rows]
    return pd.DataFrame(
        {
            "Span": [row.label for row in rows],
            "Duration": [duration(row.end_ms - row.start_ms) for row in rows],
            "Tokens": [span.get("total_tokens") for span in spans],
            "Cost ($)": [span.get("cost_usd") for span in spans],
            "Model": [span.get("model") or "" for span in spans],
        }
    )


def _selected_id(rows: list[tree.TreeRow], picked: int | None, view: tree.TreeView) -> str | None:
    if picked is None:
        return None
    row = rows[picked]
    if row.is_summary:  # selecting a summary row expands it
        view.expanded_groups.add(row.key)
        st.rerun()
    key: str = row.key
    return key


def main() -> None:
    project = client.current_project()
    found = chosen_item(
        "trace", TRACES, lambda trace_id: _load(trace_id, project), normalise=lambda text: text.strip().lower()
    )
    if found is None:
        return
    trace_id, data = found
    roots = data["spans"]
    _header(data["trace"])
    trace_compare_with(data["trace"])
    view = _view(trace_id)
    _view_controls(view)
    all_rows = tree.rows(roots, view)
    number = _page_number(len(all_rows))
    rows = tree.page(all_rows, number)
    left, right = st.columns([5, 4])
    with left:
        picked = picked_row(
            _tree_table(rows),
            key=f"tree-{trace_id}-{number}-{view.max_depth}-{view.summarise}-{len(view.expanded_groups)}-{len(view.collapsed)}",
            column_config={"Span": st.column_config.TextColumn(width="large")},
            height=table_height(len(rows), 720),
        )
    with right:
        waterfall(rows)
    chosen = _selected_id(rows, picked, view)
    if chosen and chosen != st.query_params.get("span"):
        st.query_params["span"] = chosen
    spans = {span["span_id"]: span for span in tree.iter_spans(roots)}
    span = spans.get(st.query_params.get("span") or "") or (roots[0] if roots else None)
    if roots:
        add_to_dataset(trace_id, roots[0])
    scores_section(trace_id, span, {span_id: found["name"] for span_id, found in spans.items()})
    if span is None:
        return
    st.divider()
    if span.get("children"):
        closed = span["span_id"] in view.collapsed
        if st.button("Expand this subtree" if closed else "Collapse this subtree"):
            view.collapsed.symmetric_difference_update({span["span_id"]})
            st.rerun()
    span_detail(span)


main()
