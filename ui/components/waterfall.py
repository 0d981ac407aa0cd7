"""The waterfall: one bar per visible tree row, on the trace's time axis, coloured by kind."""

from __future__ import annotations

import altair as alt
import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui.components.tree import TreeRow
from ui.text import duration

# One colour per kind, fixed so that a kind looks the same in every trace.
KIND_COLOURS = {
    "llm": "#4C78A8",
    "embedding": "#9ECAE9",
    "retriever": "#F58518",
    "reranker": "#FFBF79",
    "tool": "#54A24B",
    "agent": "#B279A2",
    "chain": "#BAB0AC",
    "guardrail": "#E45756",
    "evaluator": "#72B7B2",
    "span": "#D4D4D4",
    "summary": "#EEEEEE",
}
ROW_HEIGHT = 35  # the height of a row in the tree table beside it
# A band scale, said outright: layered with the failure marks (points), Vega-Lite would pick
# a point scale for both, and bars on a point scale have no height.
_ROWS = alt.Y("row:O", axis=None, scale=alt.Scale(type="band"))


def waterfall(rows: list[TreeRow]) -> None:
    if not rows:
        return
    total = max(row.end_ms for row in rows) or 1.0
    frame = pd.DataFrame(
        {
            "row": range(len(rows)),
            "name": [row.label.strip("│├ ") for row in rows],
            "kind": [row.kind for row in rows],
            "start_ms": [row.start_ms for row in rows],
            # A span of zero length still gets a visible sliver.
            "end_ms": [max(row.end_ms, row.start_ms + total / 400) for row in rows],
            "duration": [duration(row.end_ms - row.start_ms) for row in rows],
            "status": ["error" if row.failed else "" for row in rows],
        }
    )
    bars = (
        alt.Chart(frame)
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("start_ms:Q", title="ms since the trace started", axis=alt.Axis(orient="top")),
            x2="end_ms:Q",
            y=_ROWS,
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
                legend=alt.Legend(orient="bottom", title=None, columns=6),
            ),
            tooltip=["name:N", "kind:N", "duration:N", "status:N"],
        )
    )
    # Failed spans get a red cross at their end, whatever their kind's colour.
    failures = (
        alt.Chart(frame[frame["status"] == "error"])
        .mark_point(shape="cross", color="#D62728", size=60, filled=True)
        .encode(x="end_ms:Q", y=_ROWS, tooltip=["name:N", "status:N"])
    )
    chart = (bars + failures).properties(
        height=ROW_HEIGHT * len(rows),
        # Fit the width only: Streamlit's default ("fit") squeezes the axis and legend into
        # the given height too, which leaves a short trace's bars no room at all.
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
    st.altair_chart(chart, width="stretch")
