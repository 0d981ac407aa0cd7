""" "Compare with…" on a trace and on a run: pick the other side, open the Compare page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import client
from ui.navigation import compare_runs, compare_traces
from ui.text import duration, moment, one_line, plain


def trace_compare_with(summary: dict[str, Any]) -> None:
    """Another trace of the same name (the latest ones), or any trace by its ID; this trace is A."""
    with st.popover("Compare with…", icon=":material/compare_arrows:"):
        try:
            same_name = (
                client.list_traces({"name": summary.get("name")}, limit=20)["traces"] if summary.get("name") else []
            )
        except client.ApiError as error:
            st.error(plain(error, 300))
            same_name = []
        others = {row["trace_id"]: row for row in same_name if row["trace_id"] != summary["trace_id"]}
        chosen = st.selectbox(
            "A recent trace of the same name",
            [None, *others],
            format_func=lambda key: (
                "–"
                if key is None
                else one_line(f"{moment(others[key]['start_time'])} · {duration(others[key]['duration_ms'])} · {key}")
            ),
        )
        typed = st.text_input("or a trace ID", max_chars=64).strip().lower()
        other = typed or chosen
        if st.button("Compare", type="primary", disabled=not other, key="compare-trace") and other:
            compare_traces(summary["trace_id"], other)


def run_compare_with(run: dict[str, Any]) -> None:
    """Another run of the same dataset; the other run is A (before), this one B."""
    try:
        runs = [row for row in client.runs(run["dataset_id"]) if row["id"] != run["id"]]
    except client.ApiError as error:
        st.error(plain(error, 300))
        return
    if not runs:
        return
    by_id = {row["id"]: row for row in runs}
    with st.popover("Compare with…", icon=":material/compare_arrows:"):
        other = st.selectbox(
            "Another run of this dataset (as A, before this one)",
            list(by_id),
            format_func=lambda key: one_line(f"{by_id[key]['name']} ({moment(by_id[key]['started_at'])})", 120),
        )
        if st.button("Compare", type="primary", key="compare-run") and other:
            compare_runs(other, run["id"])
