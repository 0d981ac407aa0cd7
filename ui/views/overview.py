"""Overview: volume, errors, latency percentiles, tokens and cost over time, split by model
and by span name. The API computes every figure in the database (``GET /api/v1/metrics``)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.params import WINDOW_LABELS, api_filters
from ui.text import cost, count, duration, plain

CHART_HEIGHT = 220


def _line(frame: pd.DataFrame, columns: dict[str, str], title: str, unit: str) -> alt.Chart:
    """Several columns of ``frame`` as lines over time (legend names from ``columns``)."""
    long = frame.melt(id_vars="time", value_vars=list(columns), var_name="series", value_name="value")
    long["series"] = long["series"].map(columns)
    chart: alt.Chart = (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("time:T", title=None),
            y=alt.Y("value:Q", title=unit),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["time:T", "series:N", alt.Tooltip("value:Q", format=",.4~f")],
        )
        .properties(height=CHART_HEIGHT)
    )
    return chart


def _by_model(rows: list[dict[str, Any]], field: str, title: str, unit: str) -> alt.Chart:
    frame = pd.DataFrame(rows)
    frame["time"] = pd.to_datetime(frame["bucket_start"])
    chart: alt.Chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X("time:T", title=None),
            y=alt.Y(f"sum({field}):Q", title=unit),
            color=alt.Color("model:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["time:T", "model:N", alt.Tooltip(f"sum({field}):Q", format=",.4~f")],
        )
        .properties(height=CHART_HEIGHT)
    )
    return chart


def _totals(timeline: list[dict[str, Any]]) -> None:
    traces = sum(row["traces"] for row in timeline)
    errors = sum(row["error_traces"] for row in timeline)
    columns = st.columns(5)
    columns[0].metric("Traces", count(traces))
    columns[1].metric("Error rate", f"{errors / traces:.1%}" if traces else "–")
    columns[2].metric(
        "Tokens", count(sum((row["input_tokens"] or 0) + (row["output_tokens"] or 0) for row in timeline))
    )
    columns[3].metric("Cost", cost(sum(row["cost_usd"] or 0 for row in timeline)))
    slowest = max((row["p95_ms"] or 0 for row in timeline), default=None)
    columns[4].metric("Worst p95 latency", duration(slowest))


def main() -> None:
    st.title("Overview", anchor=False)
    windows = list(WINDOW_LABELS)
    since = st.query_params.get("since", "")
    picked = st.segmented_control(
        "Time range", windows, default=since if since in windows else "", format_func=WINDOW_LABELS.__getitem__
    )
    if (picked or "") != since:
        st.query_params.from_dict({"since": picked} if picked else {})
        st.rerun()
    try:
        data = client.metrics(api_filters({"since": since} if since else {}))
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    timeline = data["timeline"]
    if not timeline:
        st.info("No traces in this time range.")
        return
    st.caption(f"{duration(data['bucket_seconds'] * 1000)} per point")
    _totals(timeline)
    frame = pd.DataFrame(timeline)
    frame["time"] = pd.to_datetime(frame["bucket_start"])
    frame["error_pct"] = frame["error_rate"] * 100
    left, right = st.columns(2)
    left.altair_chart(_line(frame, {"traces": "traces", "error_traces": "with errors"}, "Volume", "traces"))
    right.altair_chart(_line(frame, {"error_pct": "error rate"}, "Error rate", "%"))
    left.altair_chart(_line(frame, {"p50_ms": "p50", "p95_ms": "p95", "p99_ms": "p99"}, "Trace latency", "ms"))
    right.altair_chart(_line(frame, {"input_tokens": "input", "output_tokens": "output"}, "Tokens", "tokens"))
    if data["by_model"]:
        left.altair_chart(_by_model(data["by_model"], "cost_usd", "Cost by model", "USD"))
        right.altair_chart(_by_model(data["by_model"], "calls", "Calls by model", "calls"))
    if data["by_span_name"]:
        st.subheader("Spans by name", anchor=False)
        st.dataframe(
            pd.DataFrame(data["by_span_name"]),
            hide_index=True,
            column_config={
                "p50_ms": st.column_config.NumberColumn("p50 (ms)", format="%.0f"),
                "p95_ms": st.column_config.NumberColumn("p95 (ms)", format="%.0f"),
                "p99_ms": st.column_config.NumberColumn("p99 (ms)", format="%.0f"),
                "total_duration_ms": st.column_config.NumberColumn("total (ms)", format="%.0f"),
                "cost_usd": st.column_config.NumberColumn("cost ($)", format="%.5f"),
            },
        )


main()
