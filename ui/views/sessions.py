"""Sessions: conversations (traces sharing a session id), most recently active first."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.components.pager import pager
from ui.components.tables import MILLISECONDS, MONEY, listed, picked_row
from ui.navigation import open_session
from ui.params import WINDOW_LABELS, api_filters, chosen
from ui.text import moment

FILTERS = ("user_id", "since", "start_after", "start_before")


def _filter_form(current: dict[str, str]) -> None:
    with st.form("session-filters", border=False):
        left, middle, right = st.columns([3, 2, 1], vertical_alignment="bottom")
        user = left.text_input("User", current.get("user_id", ""))
        windows = list(WINDOW_LABELS)
        since = middle.selectbox(
            "Time",
            windows,
            index=windows.index(current.get("since", "")) if current.get("since", "") in windows else 0,
            format_func=WINDOW_LABELS.__getitem__,
        )
        if right.form_submit_button("Apply", type="primary"):
            st.query_params.from_dict(
                {name: value for name, value in (("user_id", user.strip()), ("since", since)) if value}
            )
            st.rerun()


def _table(sessions: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Last active": [moment(item.get("last_end")) for item in sessions],
            "Session": [item["session_id"] for item in sessions],
            "User": [", ".join(item.get("user_ids") or []) for item in sessions],
            "Turns": [item["trace_count"] for item in sessions],
            "Errors": [item["error_count"] for item in sessions],
            "Duration (ms)": [item.get("duration_ms") for item in sessions],
            "Tokens": [item.get("total_tokens") for item in sessions],
            "Cost ($)": [item.get("cost_usd") for item in sessions],
            "First message": [(item.get("first_input_preview") or "")[:200] for item in sessions],
        }
    )


def main() -> None:
    st.title("Sessions", anchor=False)
    current = chosen(st.query_params, FILTERS)
    _filter_form(current)
    cursor = st.query_params.get("cursor")
    page = listed(
        lambda: client.list_sessions(api_filters(current), cursor=cursor),
        "sessions",
        filtered=bool(current or cursor),
        none_yet="No sessions yet: traces get one from a session id.",
    )
    if page is None:
        return
    sessions = page["sessions"]
    st.caption("Select a row to read the session as a conversation.")
    picked = picked_row(
        _table(sessions), key=f"sessions-{cursor}", column_config={"Duration (ms)": MILLISECONDS, "Cost ($)": MONEY}
    )
    if picked is not None:
        open_session(sessions[picked]["session_id"])
    pager("sessions", cursor, page.get("next_cursor"))


main()
