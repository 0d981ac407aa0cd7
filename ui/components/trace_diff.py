"""Two traces compared span by span (``GET /api/v1/diff/traces``): the summary first, then
the aligned tree with what changed on each span, then the chosen span's changes in full:
texts side by side and as a unified diff, documents, tool call, model and parameters.

Trace content is hostile: it goes to table cells, ``st.code`` and ``st.text`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui.components.tables import MILLISECONDS, MONEY, picked_row, table_height
from ui.navigation import TRACE
from ui.text import CHANGE_MARKS as MARKS
from ui.text import compact_json, cost, count, duration, plain


def _signed(value: float | None, show: Callable[[float], str]) -> str | None:
    if value is None or value == 0:
        return None
    return ("+" if value > 0 else "-") + show(abs(value))


def summary(diff: dict[str, Any]) -> None:
    a, b, figures = diff["a"], diff["b"], diff["summary"]["deltas"]
    st.text(diff["summary"]["text"])
    columns = st.columns(5)
    columns[0].metric("Duration", duration(b.get("duration_ms")), _signed(figures["duration_ms"], duration), "inverse")
    columns[1].metric("Spans", count(b.get("span_count")), _signed(figures["span_count"], count), "off")
    columns[2].metric("Errors", count(b.get("error_count")), _signed(figures["error_count"], count), "inverse")
    columns[3].metric("Tokens", count(b.get("total_tokens")), _signed(figures["total_tokens"], count), "inverse")
    columns[4].metric("Cost", cost(b.get("cost_usd")), _signed(figures["cost_usd"], cost), "inverse")
    links = st.columns(2)
    links[0].page_link(TRACE, label="Open trace A", icon="🧵", query_params={"id": a["trace_id"]})
    links[1].page_link(TRACE, label="Open trace B", icon="🧵", query_params={"id": b["trace_id"]})
    st.caption(
        f"A is {a['trace_id']}, B is {b['trace_id']}; figures are B's, with the change from A. "
        f"{diff['summary']['added']} spans added, {diff['summary']['removed']} removed, "
        f"{diff['summary']['changed']} changed, {diff['summary']['same']} the same."
    )


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Span": ["    " * row["depth"] + f"{row['name']}" for row in rows],
            "Kind": [row["kind"] for row in rows],
            "Change": [MARKS[row["change"]] for row in rows],
            "What changed": [", ".join(row["changed"]) for row in rows],
            "Δ ms": [row["deltas"]["duration_ms"] for row in rows],
            "Δ tokens": [row["deltas"]["total_tokens"] for row in rows],
            "Δ cost ($)": [row["deltas"]["cost_usd"] for row in rows],
        }
    )


def aligned_spans(diff: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The aligned tree; returns the row the reader selected."""
    only_changes = st.toggle("Only what changed", value=False, key=f"{key}-only")
    rows = [row for row in diff["spans"] if row["change"] != "same"] if only_changes else diff["spans"]
    if not rows:
        st.info("No span changed.")
        return None
    picked = picked_row(
        _table(rows),
        key=f"{key}-{only_changes}",
        column_config={
            "Span": st.column_config.TextColumn(width="large"),
            "Δ ms": MILLISECONDS,
            "Δ cost ($)": MONEY,
        },
        height=table_height(len(rows), 560),
    )
    return None if picked is None else rows[picked]


def span_changes(row: dict[str, Any]) -> None:
    """One aligned span: every change, in full."""
    st.subheader(f"{MARKS[row['change']] or 'the same'}: {plain(row['kind'], 40)} span", anchor=False)
    st.text(row["name"])
    if row["change"] in ("added", "removed"):
        st.caption(f"Only in {'B' if row['change'] == 'added' else 'A'}: open that trace to read the span.")
        return
    if not row["changed"]:
        st.caption("Nothing but its timing changed.")
    if row["values"]:
        st.dataframe(
            pd.DataFrame(
                {
                    "Field": list(row["values"]),
                    "A": [compact_json(value["a"], 2000) for value in row["values"].values()],
                    "B": [compact_json(value["b"], 2000) for value in row["values"].values()],
                }
            ),
            hide_index=True,
        )
    for name, text in row["texts"].items():
        st.markdown(f"**{name.replace('_', ' ').capitalize()}**")
        side_by_side, unified = st.tabs(["Side by side", "Unified diff"])
        with side_by_side:
            left, right = st.columns(2)
            left.caption("A")
            left.code(text["a"] or " ", language=None, wrap_lines=True)
            right.caption("B")
            right.code(text["b"] or " ", language=None, wrap_lines=True)
        with unified:
            st.code(text["unified"], language="diff", wrap_lines=True)
    documents = row["documents"]
    if documents and documents["changed"]:
        st.markdown("**Documents**")
        st.dataframe(_documents(documents), hide_index=True)


def _documents(documents: dict[str, Any]) -> pd.DataFrame:
    rows = [
        ("kept", doc["id"], doc["rank_a"], doc["rank_b"], doc["score_a"], doc["score_b"]) for doc in documents["kept"]
    ]
    rows += [("added", doc["id"], None, doc["rank"], None, doc["score"]) for doc in documents["added"]]
    rows += [("dropped", doc["id"], doc["rank"], None, doc["score"], None) for doc in documents["dropped"]]
    return pd.DataFrame(rows, columns=["Document", "Id", "Rank in A", "Rank in B", "Score in A", "Score in B"])
