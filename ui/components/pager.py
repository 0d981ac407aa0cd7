"""Cursor paging for a list page: the cursor is in the URL (a page is a link), and the
cursors seen before it are kept in the session so that "Previous" works too."""

from __future__ import annotations

import streamlit as st


def pager(name: str, cursor: str | None, next_cursor: str | None) -> None:
    history: list[str | None] = st.session_state.setdefault(f"{name}_cursors", [])
    left, _, right = st.columns([1, 6, 1])
    if cursor and left.button("‹ Previous", key=f"{name}-previous"):
        _go(history.pop() if history else None)
    if next_cursor and right.button("Next ›", key=f"{name}-next"):
        history.append(cursor)
        _go(next_cursor)


def _go(cursor: str | None) -> None:
    if cursor:
        st.query_params["cursor"] = cursor
    else:
        st.query_params.pop("cursor", None)
    st.rerun()
