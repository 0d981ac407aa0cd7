"""Two runs over one dataset compared (``GET /api/v1/diff/runs``): per scorer the change with
its interval and a paired test, then every example side by side, regressions first to find.
Selecting an example opens the diff of its two traces."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui.components.tables import MILLISECONDS, MONEY, picked_row, table_height
from ui.text import compact_json, plain

VERDICTS = {
    "regressed": "▼ regressed",
    "improved": "▲ improved",
    "mixed": "◆ mixed",
    "same": "",
    "only_a": "only in A",
    "only_b": "only in B",
}
FILTERS = {"all": "every example", "regressed": "regressions", "improved": "improvements", "changed": "any change"}


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def scorers(diff: dict[str, Any]) -> None:
    rows = diff["scorers"]
    if not rows:
        st.caption("Neither run has scores.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Scorer": [row["name"] for row in rows],
                "Pairs": [row["pairs"] for row in rows],
                "A": [row["mean_a"] for row in rows],
                "B": [row["mean_b"] for row in rows],
                "Δ (95% CI)": [
                    f"{row['delta']:+.3g} ({_number(row['ci_low'])} to {_number(row['ci_high'])})"
                    if row["delta"] is not None
                    else "–"
                    for row in rows
                ],
                "Wins / losses / ties": [f"{row['wins']} / {row['losses']} / {row['ties']}" for row in rows],
                "p": [row["p_value"] for row in rows],
                "Test": [row["test"] for row in rows],
            }
        ),
        hide_index=True,
        column_config={
            "A": st.column_config.NumberColumn(format="%.3f"),
            "B": st.column_config.NumberColumn(format="%.3f"),
            "p": st.column_config.NumberColumn(format="%.4f", help="Two-sided; McNemar for pass rates, else Wilcoxon"),
        },
    )


def _scores_text(scores: dict[str, Any]) -> str:
    parts = []
    for name, score in scores.items():
        if score["delta"] is not None and score["delta"] != 0:
            parts.append(f"{name} {score['delta']:+.3g}")
        elif score["a"] is None and score["b"] is None and score["label_a"] != score["label_b"]:
            parts.append(f"{name} {score['label_a']} → {score['label_b']}")
    return " · ".join(parts)


def _keep(row: dict[str, Any], shown: str) -> bool:
    if shown == "all":
        return True
    if shown == "changed":
        return bool(row["verdict"] != "same" or row["output_changed"])
    return bool(row["verdict"] in (shown, "mixed"))


def examples(diff: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The examples, filtered as the reader chooses; returns the one selected."""
    counts = diff["summary"]
    st.caption(
        f"{counts['regressed']} regressed, {counts['improved']} improved, {counts['mixed']} mixed, "
        f"{counts['same']} the same; {counts['outputs_changed']} outputs changed; "
        f"{counts['failed_a']} failed in A, {counts['failed_b']} in B. Select an example to diff its traces."
    )
    shown = st.segmented_control(
        "Show", list(FILTERS), format_func=FILTERS.__getitem__, default="all", key=f"{key}-filter"
    )
    rows = [row for row in diff["examples"] if _keep(row, shown or "all")]
    if not rows:
        st.info(f"No {FILTERS[shown or 'all']}.")
        return None
    frame = pd.DataFrame(
        {
            "Example": [row["example_id"] for row in rows],
            "Verdict": [VERDICTS[row["verdict"]] for row in rows],
            "Score changes": [_scores_text(row["scores"]) for row in rows],
            "Input": [compact_json(row["input"]) for row in rows],
            "Expected": [compact_json(row["expected_output"]) for row in rows],
            "Output A": [compact_json(row["output_a"]) if row["error_a"] is None else "" for row in rows],
            "Output B": [compact_json(row["output_b"]) if row["error_b"] is None else "" for row in rows],
            "Error B": [row["error_b"] or "" for row in rows],
            "Δ ms": [row["latency_ms_delta"] for row in rows],
            "Δ cost ($)": [row["cost_usd_delta"] for row in rows],
        }
    )
    picked = picked_row(
        frame,
        key=f"{key}-{shown}",
        column_config={"Δ ms": MILLISECONDS, "Δ cost ($)": MONEY},
        height=table_height(len(rows), 640),
    )
    return None if picked is None else rows[picked]


def header(diff: dict[str, Any]) -> None:
    a, b = diff["a"], diff["b"]
    st.subheader(f"{plain(a['name'], 80)} → {plain(b['name'], 80)}", anchor=False)
    st.caption(
        plain(
            f"A: {a['name']} ({a['id']}, dataset version {a['dataset_version']}) · "
            f"B: {b['name']} ({b['id']}, dataset version {b['dataset_version']})",
            600,
        )
    )
    columns = st.columns(4)
    columns[0].metric("Regressed", diff["summary"]["regressed"])
    columns[1].metric("Improved", diff["summary"]["improved"])
    latency_a, latency_b = a.get("latency_p50_ms"), b.get("latency_p50_ms")
    if latency_a is not None and latency_b is not None:
        columns[2].metric("Latency p50", f"{latency_b:,.0f} ms", f"{latency_b - latency_a:+,.0f} ms", "inverse")
    cost_a, cost_b = a.get("cost_usd"), b.get("cost_usd")
    if cost_a is not None and cost_b is not None:
        columns[3].metric("Cost", f"${cost_b:.4f}", f"{cost_b - cost_a:+.4f}", "inverse")
