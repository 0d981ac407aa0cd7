"""Runs: evaluations of a pipeline over a dataset, side by side, and one run example by
example.

URL: /runs?dataset_id=<id> lists the dataset's runs, newest first, with each scorer's mean and
95% confidence interval, failures, latency, tokens and cost; /runs?id=<run id> shows one run's
examples: input, expected and actual output, error, latency, scores, and a link to each trace.
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.components.compare_with import run_compare_with
from ui.components.tables import MILLISECONDS, MONEY, picked_row, table_height
from ui.navigation import COMPARE, trace_link
from ui.text import compact_json, cost, count, duration, moment, one_line, plain, score_value

# Metadata the SDK records, shown as columns when runs have them. The models are not among
# them: the run's traces say which they used (``models``), whatever the metadata claims.
METADATA_COLUMNS = {"prompt_version": "Prompt", "git_commit": "Commit"}


def _mean(score: dict[str, Any]) -> str:
    if score["mean"] is None:
        return f"{score['count']} labels"
    if score["ci_low"] is None:
        return f"{score['mean']:.3g}"
    return f"{score['mean']:.3g} ({score['ci_low']:.3g}–{score['ci_high']:.3g})"


def _runs_table(runs: list[dict[str, Any]]) -> pd.DataFrame:
    names = sorted({score["name"] for run in runs for score in run["scores"]})
    columns: dict[str, list[Any]] = {
        "Run": [run["name"] for run in runs],
        "Status": [run["status"] for run in runs],
        "Started": [moment(run["started_at"]) for run in runs],
        "Examples": [run["examples_run"] for run in runs],
        "Failed": [run["examples_failed"] for run in runs],
    }
    for name in names:
        columns[f"{name} (95% CI)"] = [
            next((_mean(score) for score in run["scores"] if score["name"] == name), "–") for run in runs
        ]
    columns["p50 (ms)"] = [run["latency_p50_ms"] for run in runs]
    columns["p95 (ms)"] = [run["latency_p95_ms"] for run in runs]
    columns["Tokens"] = [run["total_tokens"] for run in runs]
    columns["Cost ($)"] = [run["cost_usd"] for run in runs]
    columns["Models"] = [", ".join(run["models"]) for run in runs]
    for key, label in METADATA_COLUMNS.items():
        if any(key in (run["metadata"] or {}) for run in runs):
            columns[label] = [str((run["metadata"] or {}).get(key, ""))[:40] for run in runs]
    return pd.DataFrame(columns)


def _list(dataset_id: str | None) -> None:
    try:
        datasets = client.datasets()
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    if not datasets:
        st.info("No datasets yet, so no runs: create a dataset, then run tracer.evaluate over it.")
        return
    by_id = {row["id"]: row for row in datasets}
    chosen = st.selectbox(
        "Dataset",
        list(by_id),
        index=list(by_id).index(dataset_id) if dataset_id in by_id else 0,
        format_func=lambda key: one_line(f"{by_id[key]['name']} ({by_id[key]['example_count']} examples)", 120),
    )
    if chosen != dataset_id:
        st.query_params.from_dict({"dataset_id": chosen})
        st.rerun()
    try:
        runs = client.runs(chosen)
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    if not runs:
        st.info("No runs on this dataset yet: run tracer.evaluate(dataset, task, scorers=[...]).")
        return
    st.caption("Select a row to see the run example by example. Means come with a 95% confidence interval.")
    if len(runs) > 1:
        st.page_link(COMPARE, label="Compare two runs of this dataset", icon="🔀")
    picked = picked_row(
        _runs_table(runs),
        key=f"runs-{chosen}",
        column_config={"p50 (ms)": MILLISECONDS, "p95 (ms)": MILLISECONDS, "Cost ($)": MONEY},
        height=table_height(len(runs), 600),
    )
    if picked is not None:
        st.query_params.from_dict({"id": runs[picked]["id"]})
        st.rerun()


def _scores_text(scores: list[dict[str, Any]]) -> str:
    return " · ".join(
        f"{score['name']} {score_value(score['data_type'], score['value'], score['label'])}" for score in scores
    )


def _one(run_id: str) -> None:
    try:
        run = client.run(run_id)
        results = client.run_results(run_id)
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    if st.button("‹ All runs of this dataset"):
        st.query_params.from_dict({"dataset_id": run["dataset_id"]})
        st.rerun()
    st.subheader(plain(run["name"], 120), anchor=False)
    run_compare_with(run)
    facts = [f"dataset version {run['dataset_version']}", f"status {run['status']}", moment(run["started_at"])]
    facts += [f"models {', '.join(run['models'])}"] if run["models"] else []
    facts += [f"{key} {value}" for key, value in (run["metadata"] or {}).items()]
    st.caption(plain(" · ".join(facts), 600))
    figures = st.columns(5)
    figures[0].metric("Examples", count(run["examples_run"]))
    figures[1].metric("Failed", count(run["examples_failed"]))
    figures[2].metric("Latency p50", duration(run["latency_p50_ms"]))
    figures[3].metric("Tokens", count(run["total_tokens"]))
    figures[4].metric("Cost", cost(run["cost_usd"]))
    if run["scores"]:
        st.dataframe(
            pd.DataFrame(
                {
                    "Scorer": [score["name"] for score in run["scores"]],
                    "Scores": [score["count"] for score in run["scores"]],
                    "Mean": [score["mean"] for score in run["scores"]],
                    "95% CI low": [score["ci_low"] for score in run["scores"]],
                    "95% CI high": [score["ci_high"] for score in run["scores"]],
                }
            ),
            hide_index=True,
        )
    failed_only = st.toggle("Only failed examples", value=False)
    shown = [row for row in results if row["error"]] if failed_only else results
    if not shown:
        st.info("No examples to show.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Example": [row["example_id"] for row in shown],
                "Input": [compact_json(row["input"]) for row in shown],
                "Expected": [compact_json(row["expected_output"]) for row in shown],
                "Output": [compact_json(row["output"]) if row["error"] is None else "" for row in shown],
                "Error": [row["error"] or "" for row in shown],
                "Scores": [_scores_text(row["scores"]) for row in shown],
                "Latency (ms)": [row["latency_ms"] for row in shown],
                "Tokens": [row["total_tokens"] for row in shown],
                "Cost ($)": [row["cost_usd"] for row in shown],
                "Trace": [trace_link(row["trace_id"]) if row["trace_id"] else None for row in shown],
            }
        ),
        hide_index=True,
        column_config={
            "Latency (ms)": MILLISECONDS,
            "Cost ($)": MONEY,
            "Trace": st.column_config.LinkColumn(display_text="open ↗"),
        },
        height=table_height(len(shown), 700),
    )


def main() -> None:
    st.title("Runs", anchor=False)
    run_id = st.query_params.get("id")
    if run_id:
        _one(run_id)
    else:
        _list(st.query_params.get("dataset_id"))


main()
