"""Project: which project the UI shows, its retention and its API keys (docs/security.md).

A server admin (the UI's key is an admin key of the server's own project, or the collector
runs without auth on 127.0.0.1) may switch to any project: every page then shows that one.
An admin key manages the project's keys; a new key is shown once, here, and never again.
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.text import moment, one_line, plain

ROLES = {"ingest": "ingest: send spans and scores", "read": "read: also query", "admin": "admin: everything"}


def _switcher(current: dict[str, Any]) -> None:
    try:
        every = client.projects()
    except client.ApiError as error:
        if error.status != 403:
            st.error(plain(error, 300))
        return  # a project's own key: this project only
    by_id = {row["id"]: row for row in every}
    chosen = st.selectbox(
        "Show the project",
        list(by_id),
        index=list(by_id).index(current["id"]) if current["id"] in by_id else 0,
        format_func=lambda key: one_line(by_id[key]["name"], 100),
        help="Every page shows this project's traces, scores, datasets and runs.",
    )
    if chosen and chosen != current["id"]:
        st.session_state["project"] = chosen
        st.rerun()


def _retention(current: dict[str, Any]) -> None:
    days = current.get("retention_days")
    st.caption("Traces are kept for ever." if days is None else f"Traces older than {days} days are deleted.")
    with st.form("retention", border=False):
        keep = st.toggle("Keep traces for ever", value=days is None)
        chosen = st.number_input("Days to keep traces", min_value=1, max_value=36_500, value=days or 30, step=1)
        if st.form_submit_button("Save the retention"):
            try:
                client.set_retention(None if keep else int(chosen))
            except client.ApiError as error:
                st.error(plain(error, 300))
                return
            st.toast("Retention saved")
            st.rerun()


def _keys() -> None:
    try:
        rows = client.keys()
    except client.ApiError as error:
        if error.status == 403:
            st.info("Managing this project's keys needs an admin key.")
        else:
            st.error(plain(error, 300))
        return
    new = st.session_state.pop("new_key", None)
    if new:
        st.warning("Copy the new key now: it is stored only as a hash and never shown again.")
        st.code(new, language=None)
    if rows:
        st.dataframe(
            pd.DataFrame(
                {
                    "Id": [row["id"] for row in rows],
                    "Role": [row["role"] for row in rows],
                    "Name": [row["name"] for row in rows],
                    "Created": [moment(row["created_at"]) for row in rows],
                    "Last used": [moment(row["last_used_at"]) for row in rows],
                    "Revoked": [moment(row["revoked_at"]) if row["revoked_at"] else "" for row in rows],
                }
            ),
            hide_index=True,
        )
    else:
        st.caption("No keys yet.")
    with st.form("new-key", clear_on_submit=True):
        role = st.selectbox("Role", list(ROLES), format_func=ROLES.__getitem__)
        name = st.text_input("What it is for", max_chars=200)
        if st.form_submit_button("Create a key", type="primary") and role:
            try:
                st.session_state["new_key"] = client.create_key(role, name)["key"]
            except client.ApiError as error:
                st.error(plain(error, 300))
                return
            st.rerun()
    live = {row["id"]: row for row in rows if not row["revoked_at"]}
    if live:
        chosen = st.selectbox(
            "Revoke a key",
            [None, *live],
            format_func=lambda key: (
                "–" if key is None else one_line(f"{key} ({live[key]['role']}) {live[key]['name']}")
            ),
        )
        if st.button("Revoke", disabled=chosen is None) and chosen:
            try:
                client.revoke_key(chosen)
            except client.ApiError as error:
                st.error(plain(error, 300))
                return
            st.toast("Key revoked")
            st.rerun()


def main() -> None:
    st.title("Project", anchor=False)
    try:
        current = client.own_project()
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    st.subheader(plain(current["name"], 100), anchor=False)
    st.caption(plain(f"id {current['id']} · created {moment(current['created_at'])}", 300))
    _switcher(current)
    st.markdown("**Retention**")
    _retention(current)
    st.markdown("**API keys**")
    _keys()


main()
