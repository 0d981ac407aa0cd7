"""Review: an annotation queue. The traces that match a filter, one at a time, to score.

URL: /review?<any Traces filter>, e.g. /review?status=error&without_score=thumbs_up walks the
failed traces nobody has given a thumbs_up score yet. The queue is the list as it was when the
reviewer opened it (up to ``QUEUE_SIZE`` traces), so scoring a trace does not shift the ones
after it; *Reload* takes the list again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import client
from ui.components.annotate import THUMBS, scores_section
from ui.navigation import open_trace
from ui.params import CHOICE_FILTERS, WINDOW_LABELS, api_filters, chosen, option_index
from ui.text import cost, count, duration, moment, plain

QUEUE_SIZE = 200  # the API's page limit is 500; a review session rarely gets through more


def _queue(filters: dict[str, str]) -> dict[str, Any]:
    """The queue for these filters: trace summaries and the position, kept for the session."""
    queues: dict[str, dict[str, Any]] = st.session_state.setdefault("review_queues", {})
    key = repr(sorted(filters.items()))
    if key not in queues:
        page = client.list_traces(api_filters(filters), limit=QUEUE_SIZE)
        queues[key] = {"traces": page["traces"], "position": 0}
    return queues[key]


def _filter_form(current: dict[str, str]) -> None:
    with st.form("review_filters", border=False):
        columns = st.columns([2, 2, 2, 3])
        since = columns[0].selectbox(
            "Time",
            list(WINDOW_LABELS),
            index=list(WINDOW_LABELS).index(current.get("since", ""))
            if current.get("since", "") in WINDOW_LABELS
            else 0,
            format_func=WINDOW_LABELS.__getitem__,
        )
        statuses = CHOICE_FILTERS["status"]
        status = columns[1].selectbox(
            "Status",
            statuses,
            index=option_index(statuses, current.get("status", "")),
            format_func=lambda value: {"": "any", "error": "with errors", "ok": "no errors"}[value],
        )
        tag = columns[2].text_input("Tag", current.get("tag", ""))
        without = columns[3].text_input(
            "Skip traces already scored with", current.get("without_score", THUMBS), help="A score name; empty: none"
        )
        if st.form_submit_button("Start the queue", type="primary"):
            picked = {"since": since, "status": status, "tag": tag.strip(), "without_score": without.strip()}
            st.query_params.from_dict({name: value for name, value in picked.items() if value})
            st.rerun()


def _trace(summary: dict[str, Any]) -> None:
    st.subheader(plain(summary.get("name") or "(no root span yet)", 120), anchor=False)
    columns = st.columns(5)
    columns[0].metric("Started", moment(summary["start_time"])[11:], help=f"{moment(summary['start_time'])} UTC")
    columns[1].metric("Duration", duration(summary["duration_ms"]))
    columns[2].metric("Errors", count(summary["error_count"]))
    columns[3].metric("Tokens", count(summary.get("total_tokens")))
    columns[4].metric("Cost", cost(summary.get("cost_usd")))
    asked, answered = st.columns(2)
    with asked.container(border=True):
        st.caption("Input")
        st.text(summary.get("input_preview") or "–")
    with answered.container(border=True):
        st.caption("Output")
        st.text(summary.get("output_preview") or "–")


def main() -> None:
    st.title("Review", anchor=False)
    current = chosen(st.query_params)
    _filter_form(current)
    try:
        queue = _queue(current)
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    traces, position = queue["traces"], queue["position"]
    if not traces:
        st.info("No traces match: nothing to review.")
        return
    position = min(position, len(traces) - 1)
    summary = traces[position]
    back, where, forward, reload, open_it = st.columns([1, 2, 1, 1, 2], vertical_alignment="center")
    if back.button("‹ Previous", disabled=position == 0):
        queue["position"] = position - 1
        st.rerun()
    where.markdown(f"**Trace {position + 1:,} of {len(traces):,}**")
    if forward.button("Next ›", type="primary", disabled=position == len(traces) - 1):
        queue["position"] = position + 1
        st.rerun()
    if reload.button("Reload", help="Take the list again: traces scored since then drop out"):
        st.session_state["review_queues"].pop(repr(sorted(current.items())), None)
        st.rerun()
    if open_it.button("Open the whole trace ↗"):
        open_trace(summary["trace_id"])
    _trace(summary)
    scores_section(summary["trace_id"], None, {})


main()
