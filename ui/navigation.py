"""The pages and the links between them (apart from ui/app.py, which runs them)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_PAGES = Path(__file__).parent / "views"  # not "pages": Streamlit would also serve that folder on its own
TRACES = st.Page(_PAGES / "traces.py", title="Traces", icon="🧵", url_path="traces")
SESSIONS = st.Page(_PAGES / "sessions.py", title="Sessions", icon="💬", url_path="sessions")
OVERVIEW = st.Page(_PAGES / "overview.py", title="Overview", icon="📈", url_path="overview")
SQL = st.Page(_PAGES / "sql.py", title="SQL", icon="🗄️", url_path="sql")
REVIEW = st.Page(_PAGES / "review.py", title="Review", icon="✅", url_path="review")
DATASETS = st.Page(_PAGES / "datasets.py", title="Datasets", icon="🗂️", url_path="datasets")
RUNS = st.Page(_PAGES / "runs.py", title="Runs", icon="🧪", url_path="runs")
COMPARE = st.Page(_PAGES / "compare.py", title="Compare", icon="🔀", url_path="compare")
PROJECT = st.Page(_PAGES / "project.py", title="Project", icon="🔑", url_path="project")
TRACE = st.Page(_PAGES / "trace.py", title="Trace", icon="🧵", url_path="trace", visibility="hidden")
SESSION = st.Page(_PAGES / "session.py", title="Session", icon="💬", url_path="session", visibility="hidden")
ALL = [TRACES, SESSIONS, OVERVIEW, REVIEW, DATASETS, RUNS, COMPARE, SQL, PROJECT, TRACE, SESSION]


def trace_link(trace_id: str, span_id: str | None = None) -> str:
    """A relative link to a trace (for table link columns), shareable as it is."""
    return f"./trace?id={trace_id}" + (f"&span={span_id}" if span_id else "")


def open_trace(trace_id: str, span_id: str | None = None) -> None:
    params = {"id": trace_id} | ({"span": span_id} if span_id else {})
    st.switch_page(TRACE, query_params=params)


def open_session(session_id: str) -> None:
    st.switch_page(SESSION, query_params={"id": session_id})


def compare_traces(trace_a: str, trace_b: str) -> None:
    st.switch_page(COMPARE, query_params={"a": trace_a, "b": trace_b})


def compare_runs(run_a: str, run_b: str) -> None:
    st.switch_page(COMPARE, query_params={"run_a": run_a, "run_b": run_b})
