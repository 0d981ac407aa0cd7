"""Compare: two traces span by span, or two runs example by example (docs/diff.md).

URLs, each shareable as it is:
- /compare?a=<trace id>&b=<trace id>: the trace diff;
- /compare?run_a=<run id>&run_b=<run id>: the run diff; selecting an example opens the diff
  of its two traces at /compare?run_a=…&run_b=…&a=…&b=…&example=…, with a way back;
- /compare?a.tag=prompt:v1&b.tag=prompt:v2: two cohorts of traces, each any Traces filter
  prefixed ``a.`` or ``b.`` (``since`` too);
- /compare alone: pick two runs of a dataset, two traces, or two cohorts.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import client
from ui.components import cohort_diff, run_diff, trace_diff
from ui.params import api_filters
from ui.text import one_line, plain


@st.cache_data(ttl=15, max_entries=8, show_spinner="Comparing the traces…")
def _trace_diff(trace_a: str, trace_b: str, project: str | None) -> dict[str, Any]:  # project: cache key
    return client.diff_traces(trace_a, trace_b)


@st.cache_data(ttl=15, max_entries=8, show_spinner="Comparing the runs…")
def _run_diff(run_a: str, run_b: str, project: str | None) -> dict[str, Any]:
    return client.diff_runs(run_a, run_b)


@st.cache_data(ttl=15, max_entries=8, show_spinner="Comparing the cohorts…")
def _cohort_diff(filters_a: dict[str, Any], filters_b: dict[str, Any], project: str | None) -> dict[str, Any]:
    return client.compare_cohorts(filters_a, filters_b)


def _go(params: dict[str, str]) -> None:
    st.query_params.from_dict(params)
    st.rerun()


def _traces(trace_a: str, trace_b: str) -> None:
    params = st.query_params.to_dict()
    if params.get("run_a") and params.get("run_b"):
        if st.button("‹ Back to the runs"):
            _go({"run_a": params["run_a"], "run_b": params["run_b"]})
        if params.get("example"):
            st.caption(plain(f"Example {params['example']}: its trace in run A against its trace in run B.", 300))
    try:
        diff = _trace_diff(trace_a, trace_b, client.current_project())
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    trace_diff.summary(diff)
    row = trace_diff.aligned_spans(diff, key=f"trace-diff-{trace_a}-{trace_b}")
    if row is None:
        row = next((found for found in diff["spans"] if found["change"] != "same"), None)
    if row is not None:
        st.divider()
        trace_diff.span_changes(row)


def _runs(run_a: str, run_b: str) -> None:
    try:
        diff = _run_diff(run_a, run_b, client.current_project())
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    run_diff.header(diff)
    run_diff.scorers(diff)
    example = run_diff.examples(diff, key=f"run-diff-{run_a}-{run_b}")
    if example is None:
        return
    if example["trace_id_a"] and example["trace_id_b"]:
        # Forget the selection, or coming back to the runs would open this example again.
        for key in [key for key in st.session_state if str(key).startswith(f"run-diff-{run_a}-{run_b}-")]:
            if not str(key).endswith("-filter"):
                del st.session_state[key]
        _go(
            {
                "run_a": run_a,
                "run_b": run_b,
                "a": example["trace_id_a"],
                "b": example["trace_id_b"],
                "example": example["example_id"],
            }
        )
    st.warning("This example has a trace in only one of the runs: there is nothing to diff.")


def _cohorts(current: tuple[dict[str, str], dict[str, str]]) -> None:
    submitted = cohort_diff.form(current)
    if submitted is not None:
        _go(submitted)
    if not (current[0] or current[1]):
        return
    try:
        # ``since`` becomes ``start_after`` now, as on Traces: the window moves with the clock.
        diff = _cohort_diff(api_filters(current[0]), api_filters(current[1]), client.current_project())
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    cohort_diff.show(diff)


def _choose() -> None:
    runs_tab, traces_tab, cohorts_tab = st.tabs(["Two runs", "Two traces", "Two cohorts"])
    with cohorts_tab:
        _cohorts(({}, {}))
    with runs_tab:
        try:
            datasets = client.datasets()
        except client.ApiError as error:
            st.error(plain(error, 500))
            datasets = []
        if not datasets:
            st.info("No datasets, so no runs to compare yet.")
        else:
            by_id = {row["id"]: row for row in datasets}
            dataset = st.selectbox("Dataset", list(by_id), format_func=lambda key: one_line(by_id[key]["name"], 120))
            runs = {row["id"]: row for row in client.runs(dataset)} if dataset else {}
            if len(runs) < 2:
                st.info("This dataset has fewer than two runs.")
            else:
                ids = list(runs)

                def label(key: str) -> str:
                    return one_line(f"{runs[key]['name']} ({runs[key]['started_at'][:19]})", 120)

                left, right = st.columns(2)
                # Runs are listed newest first: by default, the previous run is A and the latest B.
                run_a = left.selectbox("Run A (before)", ids, index=1, format_func=label)
                run_b = right.selectbox("Run B (after)", ids, index=0, format_func=label)
                if st.button("Compare the runs", type="primary") and run_a and run_b:
                    _go({"run_a": run_a, "run_b": run_b})
    with traces_tab:
        left, right = st.columns(2)
        trace_a = left.text_input("Trace A (before)", max_chars=64).strip().lower()
        trace_b = right.text_input("Trace B (after)", max_chars=64).strip().lower()
        if st.button("Compare the traces", type="primary") and trace_a and trace_b:
            _go({"a": trace_a, "b": trace_b})


def main() -> None:
    st.title("Compare", anchor=False)
    params = st.query_params
    cohorts = cohort_diff.sides(params.to_dict())
    if cohorts[0] or cohorts[1]:
        _cohorts(cohorts)
    elif params.get("a") and params.get("b"):
        _traces(str(params["a"]).lower(), str(params["b"]).lower())
    elif params.get("run_a") and params.get("run_b"):
        _runs(str(params["run_a"]), str(params["run_b"]))
    else:
        _choose()


main()
