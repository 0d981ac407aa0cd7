"""Two cohorts of traces compared (``GET /api/v1/diff/cohorts``): each cohort is a Traces
filter in the URL, prefixed ``a.`` or ``b.`` (/compare?a.tag=prompt:v1&b.tag=prompt:v2).
Figures side by side with their tests' p-values, the latency distributions, and the span
names whose own time changed most."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui.components.tables import table_height
from ui.params import WINDOW_LABELS, option_index
from ui.text import cost, duration

FORM_FIELDS = ("tag", "name", "model", "user_id")  # the text filters offered; any Traces filter works in the URL
STATUSES = {"": "any", "error": "with errors", "ok": "no errors"}


def sides(query: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The two cohorts' filters from the URL's ``a.…`` and ``b.…`` parameters."""
    found: dict[str, dict[str, str]] = {"a": {}, "b": {}}
    for key, value in query.items():
        side, dot, name = key.partition(".")
        if dot and side in found and value:
            found[side][name] = value
    return found["a"], found["b"]


def form(current: tuple[dict[str, str], dict[str, str]]) -> dict[str, str] | None:
    """The two filters to compare; the URL parameters when the reader submits, else None."""
    with st.form("cohorts"):
        chosen: dict[str, str | None] = {}
        for side, given in zip("ab", current, strict=True):
            columns = st.columns([1, 3, 3, 3, 3, 3, 3], vertical_alignment="bottom")
            columns[0].markdown(f"**{side.upper()}**")
            for column, name in zip(columns[1:], FORM_FIELDS, strict=False):
                chosen[f"{side}.{name}"] = column.text_input(
                    name.replace("_", " ").capitalize(), value=given.get(name, ""), key=f"{side}-{name}"
                )
            windows = list(WINDOW_LABELS)
            chosen[f"{side}.since"] = columns[5].selectbox(
                "Time", windows, index=option_index(windows, given.get("since", "")),
                format_func=WINDOW_LABELS.__getitem__, key=f"{side}-since",
            )  # fmt: skip
            statuses = list(STATUSES)
            chosen[f"{side}.status"] = columns[6].selectbox(
                "Status", statuses, index=option_index(statuses, given.get("status", "")),
                format_func=STATUSES.__getitem__, key=f"{side}-status",
            )  # fmt: skip
        if st.form_submit_button("Compare the cohorts", type="primary"):
            kept = {key: value.strip() for key, value in chosen.items() if value and value.strip()}
            # Filters the form does not offer, set in the URL, are kept.
            for side, given in zip("ab", current, strict=True):
                kept |= {f"{side}.{k}": v for k, v in given.items() if k not in (*FORM_FIELDS, "since", "status")}
            return kept
    return None


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}" if value >= 0.0001 else "< 0.0001"


def _figures(diff: dict[str, Any]) -> pd.DataFrame:
    a, b, tests = diff["a"], diff["b"], diff["tests"]
    rows: list[tuple[str, str, str, str]] = [
        ("Traces", f"{a['traces']:,}" + (" (latest)" if a["truncated"] else ""),
         f"{b['traces']:,}" + (" (latest)" if b["truncated"] else ""), "–"),
        ("Error rate", _rate(a["error_rate"]), _rate(b["error_rate"]), _p(tests["error_rate"])),
    ]  # fmt: skip
    for label, figure, show in (("Latency", "duration_ms", duration), ("Tokens", "total_tokens", _number)):
        for point in ("p50", "p95", "p99"):
            rows.append((f"{label} {point}", show(a[figure][point]), show(b[figure][point]), _p(tests[figure])))
    rows.append(("Cost, mean", cost(a["cost_usd"]["mean"]), cost(b["cost_usd"]["mean"]), _p(tests["cost_usd"])))
    for name in sorted({*a["scores"], *b["scores"]}):
        mean_a, mean_b = (side["scores"].get(name, {}).get("mean") for side in (a, b))
        rows.append((f"Score {name}, mean", _number(mean_a, 3), _number(mean_b, 3), _p(tests["scores"].get(name))))
    return pd.DataFrame(rows, columns=["Figure", "A", "B", "p (A and B differ)"])


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _number(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def show(diff: dict[str, Any]) -> None:
    figures = _figures(diff)
    st.dataframe(figures, hide_index=True, height=table_height(len(figures), 800))
    st.caption(
        "p: two-sided; Mann-Whitney for latency, tokens, cost and scores, Fisher's exact test for the error rate. "
        "A cohort of more traces than the limit is its latest ones."
    )
    durations = [("A", value) for value in diff["a"]["values"]["duration_ms"]]
    durations += [("B", value) for value in diff["b"]["values"]["duration_ms"]]
    if durations:
        frame = pd.DataFrame(durations, columns=["cohort", "duration_ms"])
        chart = (
            alt.Chart(frame, title="Trace latency (ms)")
            .mark_boxplot(extent="min-max")
            .encode(
                x=alt.X("duration_ms:Q", title=None, scale=alt.Scale(type="symlog")), y=alt.Y("cohort:N", title=None)
            )
            .properties(height=140)
        )
        st.altair_chart(chart, use_container_width=True)
    names = diff["span_names"]
    if names:
        st.markdown("**Where the time went: span names whose own time per trace changed most**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Span": [row["name"] for row in names],
                    "Kind": [row["kind"] for row in names],
                    "Own ms / trace, A": [row["self_ms_per_trace_a"] for row in names],
                    "Own ms / trace, B": [row["self_ms_per_trace_b"] for row in names],
                    "Δ own ms": [row["self_ms_per_trace_delta"] for row in names],
                    "Spans A": [row["spans_a"] for row in names],
                    "Spans B": [row["spans_b"] for row in names],
                    "Δ cost / trace ($)": [row["cost_per_trace_delta"] for row in names],
                }
            ),
            hide_index=True,
            column_config={
                "Own ms / trace, A": st.column_config.NumberColumn(format="%.1f"),
                "Own ms / trace, B": st.column_config.NumberColumn(format="%.1f"),
                "Δ own ms": st.column_config.NumberColumn(format="%+.1f"),
                "Δ cost / trace ($)": st.column_config.NumberColumn(format="%+.6f"),
            },
        )
