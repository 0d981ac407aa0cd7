"""Traces: newest first, filtered by anything the API filters on, paged by cursor."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.components.pager import pager
from ui.components.tables import MILLISECONDS, MONEY, listed, picked_rows, table_height
from ui.navigation import COMPARE, compare_traces, open_trace, trace_link
from ui.params import (
    CHOICE_FILTERS,
    KINDS,
    RANGE_FILTERS,
    SCORE_FILTERS,
    SCORE_ORDERS,
    WINDOW_LABELS,
    api_filters,
    chosen,
    option_index,
)
from ui.text import moment, score_summary

PAGE_SIZE = 50


def _filter_form(current: dict[str, str]) -> None:
    with st.form("filters", border=False):
        top = st.columns([4, 2, 2, 2])
        values: dict[str, Any] = {
            "text": top[0].text_input("Search inputs and outputs", current.get("text", "")),
            "since": top[1].selectbox(
                "Time",
                list(WINDOW_LABELS),
                index=option_index(list(WINDOW_LABELS), current.get("since", "")),
                format_func=WINDOW_LABELS.__getitem__,
            ),
            "status": top[2].selectbox(
                "Status",
                CHOICE_FILTERS["status"],
                index=option_index(CHOICE_FILTERS["status"], current.get("status", "")),
                format_func=lambda value: {"": "any", "error": "with errors", "ok": "no errors"}[value],
            ),
            "kind": top[3].selectbox(
                "Has a span of kind",
                KINDS,
                index=option_index(KINDS, current.get("kind", "")),
                format_func=lambda value: value or "any",
            ),
        }
        more = (*RANGE_FILTERS, *SCORE_FILTERS, "order_by_score", "name", "model", "session_id", "user_id", "tag")
        with st.expander("More filters", expanded=any(current.get(name) for name in more)):
            for column, name, label in zip(
                st.columns(5),
                ("name", "model", "session_id", "user_id", "tag"),
                ("Trace name", "Model", "Session", "User", "Tag"),
                strict=True,
            ):
                values[name] = column.text_input(label, current.get(name, ""))
            labels = (
                "Min duration (ms)",
                "Max duration (ms)",
                "Min tokens",
                "Max tokens",
                "Min cost ($)",
                "Max cost ($)",
            )
            for column, name, label in zip(st.columns(6), RANGE_FILTERS, labels, strict=True):
                values[name] = column.text_input(label, current.get(name, ""))
            score_labels = ("Has score", "Min score", "Max score", "Score label", "Not yet scored")
            columns = st.columns(6)
            for column, name, label in zip(columns[:5], SCORE_FILTERS, score_labels, strict=True):
                values[name] = column.text_input(label, current.get(name, ""))
            values["order_by_score"] = columns[5].selectbox(
                "Order",
                list(SCORE_ORDERS),
                index=option_index(list(SCORE_ORDERS), current.get("order_by_score", "")),
                format_func=SCORE_ORDERS.__getitem__,
                help="By the mean of the scores named in Has score",
            )
        submitted = st.form_submit_button("Apply", type="primary")
    if submitted:
        # Explicit start/end bounds from a shared link survive unless a window replaces them.
        bounds = () if values["since"] else ("start_after", "start_before")
        kept: dict[str, str] = {name: current[name] for name in bounds if name in current}
        picked: dict[str, str] = {name: str(value).strip() for name, value in values.items() if value}
        st.query_params.from_dict(kept | picked)
        st.rerun()


def _table(traces: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Time": [moment(trace["start_time"]) for trace in traces],
            "Name": [trace.get("name") or "(no root yet)" for trace in traces],
            "Duration (ms)": [trace["duration_ms"] for trace in traces],
            "Spans": [trace["span_count"] for trace in traces],
            "Errors": [trace["error_count"] for trace in traces],
            "Tokens": [trace.get("total_tokens") for trace in traces],
            "Cost ($)": [trace.get("cost_usd") for trace in traces],
            "Model": [", ".join(trace.get("models") or []) for trace in traces],
            "Session": [trace.get("session_id") or "" for trace in traces],
            "User": [trace.get("user_id") or "" for trace in traces],
            "Tags": [", ".join(trace.get("tags") or []) for trace in traces],
            "Scores": [score_summary(trace.get("scores") or []) for trace in traces],
            "Input": [(trace.get("input_preview") or "")[:200] for trace in traces],
            "Link": [trace_link(trace["trace_id"]) for trace in traces],
        }
    )


def _highlight_errors(row: pd.Series) -> list[str]:
    style = "background-color: rgba(214, 39, 40, 0.15); color: #a31515" if row["Errors"] else ""
    return [style] * len(row)


def main() -> None:
    st.title("Traces", anchor=False)
    current = chosen(st.query_params)
    _filter_form(current)
    cursor = st.query_params.get("cursor")
    page = listed(
        lambda: client.list_traces(api_filters(current), cursor=cursor, limit=PAGE_SIZE),
        "traces",
        filtered=bool(current or cursor),
        none_yet="No traces yet: send some to the collector's /v1/traces.",
    )
    if page is None:
        return
    traces = page["traces"]
    toggle, cohort = st.columns([1, 1])
    comparing = toggle.toggle("Select two to compare", key="compare-traces")
    if current:
        # This filter as cohort A; the reader sets B on the Compare page.
        cohort.page_link(
            COMPARE, label="Compare this filter with another", icon="🔀",
            query_params={f"a.{key}": value for key, value in current.items()},
        )  # fmt: skip
    st.caption(
        "Select two rows, then compare them."
        if comparing
        else "Select a row to open its trace. Rows with errors are red."
    )
    picked = picked_rows(
        _table(traces).style.apply(_highlight_errors, axis=1),
        key=f"traces-{cursor}-{comparing}",
        column_config={
            "Duration (ms)": MILLISECONDS,
            "Cost ($)": MONEY,
            "Link": st.column_config.LinkColumn("Link", display_text="open ↗"),
        },
        height=table_height(len(traces), 900),
        several=comparing,
    )
    if comparing and len(picked) == 2:
        older, newer = sorted((traces[index] for index in picked), key=lambda trace: trace["start_time"])
        if st.button("Compare the two selected (the older as A)", type="primary"):
            compare_traces(older["trace_id"], newer["trace_id"])
    elif comparing and len(picked) > 2:
        st.warning("Select only two traces to compare.")
    elif picked and not comparing:
        open_trace(traces[picked[0]]["trace_id"])
    pager("traces", cursor, page.get("next_cursor"))


main()
