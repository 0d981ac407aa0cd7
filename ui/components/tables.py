"""A table whose rows the reader selects to go somewhere: the trace list, the session list,
the span tree. Streamlit's dataframe is drawn on a canvas, so its cells are never HTML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st

from ui import client
from ui.text import plain

T = TypeVar("T")

MONEY = st.column_config.NumberColumn(format="%.5f")
MILLISECONDS = st.column_config.NumberColumn(format="%.0f")


def picked_row(
    frame: Any, key: str, column_config: Mapping[str, Any] | None = None, height: int | None = None
) -> int | None:
    """Show ``frame`` (a DataFrame or a Styler); return the index of the row selected, if any.
    ``key`` must change when the rows do, or a stale selection would pick the wrong row."""
    rows = picked_rows(frame, key, column_config, height, several=False)
    return rows[0] if rows else None


def picked_rows(
    frame: Any,
    key: str,
    column_config: Mapping[str, Any] | None = None,
    height: int | None = None,
    *,
    several: bool = True,
) -> list[int]:
    """``picked_row`` where the reader may select ``several`` rows: their indexes, in order."""
    event = st.dataframe(
        frame,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row" if several else "single-row",
        key=key,
        column_config=dict(column_config or {}),
        height=height if height is not None else "auto",
    )
    rows: list[int] = event.selection.rows
    return sorted(rows)


def chosen_item(
    what: str, back: Any, load: Callable[[str], T], normalise: Callable[[str], str] = str
) -> tuple[str, T] | None:
    """The item named by the URL's ``id``, loaded; or, when there is none or it cannot be
    loaded, None after saying why and linking back to the list."""
    identifier = normalise(st.query_params.get("id") or "")
    if not identifier:
        st.info(f"No {what} chosen.")
    else:
        try:
            return identifier, load(identifier)
        except client.ApiError as error:
            missing = error.status == 404
            st.error(f"No {what} {plain(identifier, 64)}: {plain(error, 300)}" if missing else plain(error, 500))
    st.page_link(back, label=f"Browse {what}s")
    return None


def listed(load: Callable[[], dict[str, Any]], items: str, filtered: bool, none_yet: str) -> dict[str, Any] | None:
    """A page of a list from the API, or None after saying why there is nothing to show."""
    try:
        page = load()
    except client.ApiError as error:
        st.error(plain(error, 500))
        return None
    if not page[items]:
        st.info(f"No {items} match." if filtered else none_yet)
        return None
    return page


def table_height(rows: int, limit: int) -> int:
    """Tall enough for ``rows`` rows (35 px each, plus the header), at most ``limit``."""
    return min(38 + 35 * rows, limit)
