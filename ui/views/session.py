"""One session as a conversation across its traces, turn by turn, with each turn's latency,
tokens and cost and a way into its trace. URL: /session?id=<session id>."""

from __future__ import annotations

from typing import Any

import orjson
import streamlit as st

from ui import client
from ui.components.tables import chosen_item
from ui.navigation import SESSIONS, open_trace
from ui.text import cost, count, duration, moment, plain

FULL_TEXT_TURNS = 50  # turns whose whole root input/output is fetched; later ones show previews


@st.cache_data(ttl=15, max_entries=16, show_spinner=False)
def _load(session_id: str, project: str | None) -> dict[str, Any]:  # project: in the cache key
    return client.get_session(session_id)


@st.cache_data(ttl=60, max_entries=512, show_spinner=False)
def _root_span(trace_id: str, span_id: str, project: str | None) -> dict[str, Any] | None:
    try:
        return client.get_span(trace_id, span_id)
    except client.ApiError:
        return None  # the preview stands in


def _readable(text: str | None) -> str:
    """An input recorded as the call's arguments ({"question": "..."}) reads as its one text."""
    if not text:
        return ""
    if text[:1] == "{":
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
        strings = [value for value in decoded.values() if isinstance(value, str)] if isinstance(decoded, dict) else []
        if len(strings) == 1:
            return strings[0]
    return text


def _turn(number: int, trace: dict[str, Any]) -> None:
    root = None
    if number <= FULL_TEXT_TURNS and trace.get("root_span_id"):
        root = _root_span(trace["trace_id"], trace["root_span_id"], client.current_project())
    asked = _readable(root.get("input") if root else trace.get("input_preview"))
    answered = _readable(root.get("output") if root else trace.get("output_preview"))
    with st.chat_message("user"):
        st.text(asked or "(no input recorded)")
    with st.chat_message("assistant"):
        st.text(answered or ("(failed)" if trace["error_count"] else "(no output recorded)"))
        figures = [
            f"turn {number}",
            moment(trace["start_time"]),
            duration(trace["duration_ms"]),
            f"{count(trace.get('total_tokens'))} tokens",
            cost(trace.get("cost_usd")),
        ]
        if trace["error_count"]:
            figures.append(f"**{trace['error_count']} failed spans**")
        left, right = st.columns([5, 1])
        left.caption(" · ".join(figures))
        if right.button("Open trace ›", key=f"open-{trace['trace_id']}"):
            open_trace(trace["trace_id"])


def main() -> None:
    project = client.current_project()
    found = chosen_item("session", SESSIONS, lambda session_id: _load(session_id, project))
    if found is None:
        return
    session_id, data = found
    summary, traces = data["session"], data["traces"]
    st.title(f"Session {plain(session_id, 80)}", anchor=False)
    columns = st.columns(5)
    columns[0].metric("Turns", count(summary["trace_count"]))
    columns[1].metric("Errors", count(summary["error_count"]))
    columns[2].metric("Time in calls", duration(summary.get("duration_ms")))
    columns[3].metric("Tokens", count(summary.get("total_tokens")))
    columns[4].metric("Cost", cost(summary.get("cost_usd")))
    users = ", ".join(summary.get("user_ids") or [])
    st.caption(
        plain(f"user {users or '–'} · {moment(summary.get('first_start'))} to {moment(summary.get('last_end'))}")
    )
    if data.get("truncated"):
        st.warning(f"Showing the first {len(traces):,} turns only.")
    for number, trace in enumerate(traces, start=1):
        _turn(number, trace)


main()
