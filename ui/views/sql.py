"""SQL: write a query over the documented views (reference on the right), run it, read the
result as a table or a chart, and save it for the project (``POST /api/v1/sql``,
``/api/v1/saved-queries``).

The URL says what is open, so it can be shared: ``/sql?saved=<id>`` opens a saved query and
runs it, ``/sql?q=<query>`` runs that query; after Run the URL carries the query run.
Ctrl+Enter in the editor runs it too (the editor is a form).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import streamlit as st

from ui import client
from ui.components import result_chart
from ui.navigation import trace_link
from ui.text import count, plain

DEFAULT_QUERY = "SELECT name, kind, count(*) AS spans\nFROM spans\nGROUP BY name, kind\nORDER BY spans DESC"
MAX_ROWS = 10_000  # the SQL endpoint's own maximum
TABLE = "table"


def _state() -> Any:
    return st.session_state


def _run(query: str, limit: int) -> None:
    """Run ``query`` and keep its result (or the error) for this and later reruns."""
    try:
        _state()["sql_result"] = {"query": query, "result": client.run_sql(query, limit)}
    except client.ApiError as error:
        _state()["sql_result"] = {"query": query, "error": str(error)}


def _open(saved_id: str | None, text: str | None) -> None:
    """Load what the URL names into the editor and run it."""
    chart = None
    _state()["sql_saved"] = None
    if saved_id:
        try:
            saved = client.saved_query(saved_id)
        except client.ApiError as error:
            _state()["sql_result"] = {"query": "", "error": str(error)}
            return
        _state()["sql_saved"] = saved
        chart = saved["chart"]
        text = text or saved["query"]
    _state()["sql_text"] = text or DEFAULT_QUERY
    _state()["sql_chart"] = chart
    _run(_state()["sql_text"], _state().get("sql_limit", 1000))


def _pick_example(examples: dict[str, str]) -> None:
    question = _state()["sql_example"]
    if question:
        st.query_params.from_dict({"q": examples[question]})
        _state()["sql_example"] = None


def _pick_saved(saved: dict[str, str]) -> None:
    name = _state()["sql_pick_saved"]
    if name:
        st.query_params.from_dict({"saved": saved[name]})
        _state()["sql_pick_saved"] = None


def _choosers() -> None:
    """Example queries and saved queries: choosing one opens it."""
    reference = _reference()
    examples = {example["question"]: example["query"] for example in reference["examples"]}
    try:
        saved = {row["name"]: row["id"] for row in client.saved_queries()}
    except client.ApiError as error:
        st.error(plain(error, 500))
        saved = {}
    left, right = st.columns(2)
    left.selectbox(
        "Examples",
        [None, *examples],
        key="sql_example",
        format_func=lambda question: "Open an example…" if question is None else question,
        on_change=_pick_example,
        args=(examples,),
    )
    right.selectbox(
        "Saved queries",
        [None, *saved],
        key="sql_pick_saved",
        format_func=lambda name: ("Open a saved query…" if saved else "No saved queries yet") if name is None else name,
        on_change=_pick_saved,
        args=(saved,),
        disabled=not saved,
    )


@st.cache_data(ttl=300, show_spinner=False)
def _reference() -> dict[str, Any]:
    return client.sql_reference()


# Our own style sheet (no trace content in it): SQL reads best in a fixed-width font.
_EDITOR_STYLE = "<style>.st-key-sql_text textarea {font-family: ui-monospace, monospace;}</style>"


def _editor() -> None:
    st.html(_EDITOR_STYLE)
    with st.form("sql_editor", border=False):
        st.text_area("Query (DuckDB dialect)", key="sql_text", height=220, label_visibility="collapsed")
        left, right = st.columns([1, 5], vertical_alignment="bottom")
        left.number_input("Row limit", min_value=1, max_value=MAX_ROWS, step=100, key="sql_limit")
        run = right.form_submit_button("Run", type="primary", icon=":material/play_arrow:")
    if run:
        text = _state()["sql_text"]
        params = {"q": text} | ({"saved": st.query_params["saved"]} if "saved" in st.query_params else {})
        _state()["sql_opened"] = (params.get("saved"), text)
        st.query_params.from_dict(params)
        _run(text, _state()["sql_limit"])


def _result() -> dict[str, Any] | None:
    shown = _state().get("sql_result")
    if shown is None:
        return None
    if "error" in shown:
        st.error(plain(shown["error"], 2000))
        return None
    result: dict[str, Any] = shown["result"]
    summary = f"{count(result['row_count'])} rows in {result['elapsed_ms']:,.0f} ms"
    if result["truncated"]:
        st.warning(
            f"{summary}: only the first {count(result['row_count'])} are shown; raise the limit or narrow the query."
        )
    else:
        st.caption(summary)
    return result


def _table(result: dict[str, Any]) -> None:
    data = result_chart.frame(result)
    csv = data.to_csv(index=False).encode()
    config: dict[str, Any] = {}
    if "trace_id" in data.columns:  # open the trace from its row
        data["trace_id"] = [trace_link(quote(str(value), safe="")) if value else None for value in data["trace_id"]]
        config["trace_id"] = st.column_config.LinkColumn("trace_id", display_text=r"id=([^&]*)")
    # Streamlit's own height fits up to ten rows; more scroll inside a taller grid.
    st.dataframe(data, hide_index=True, column_config=config, height=420 if len(data) > 10 else "auto")
    st.download_button(
        "Download CSV",
        csv,
        file_name="spanscope-query.csv",
        mime="text/csv",
        icon=":material/download:",
    )


def _chart(result: dict[str, Any]) -> None:
    types = result_chart.column_types(result)
    saved_chart = _state().get("sql_chart")
    chart = saved_chart if result_chart.usable(saved_chart, types) else result_chart.default_chart(types)
    names = list(types)
    numbers = [name for name, kind in types.items() if kind in result_chart.NUMERIC]
    if not numbers or chart is None:
        st.info("No numeric column to chart.")
        return
    # Widget keys of their own for each result shape: a new query's columns start from its
    # saved or guessed chart, not from choices made for other columns.
    shape = str(hash((tuple(types.items()), str(saved_chart))))
    left, middle, right, far = st.columns(4)
    kind = left.segmented_control("Chart", result_chart.CHART_TYPES, default=chart["type"], key=f"sql_type_{shape}")
    x = middle.selectbox("X", names, index=names.index(chart["x"]), key=f"sql_x_{shape}")
    y = right.multiselect("Y", numbers, default=[name for name in chart["y"] if name in numbers], key=f"sql_y_{shape}")
    others = [None, *[name for name in names if name != x]]
    color = far.selectbox(
        "Colour by",
        others,
        index=others.index(chart.get("color")) if chart.get("color") in others else 0,
        key=f"sql_colour_{shape}",
        format_func=lambda name: "–" if name is None else name,
    )
    if not kind or not y:
        st.info("Choose a chart type and at least one Y column.")
        return
    chosen = {"type": kind, "x": x, "y": y, "color": color}
    _state()["sql_chart_chosen"] = chosen
    st.altair_chart(result_chart.draw(result_chart.frame(result), types, chosen))


def _save_panel() -> None:
    saved = _state().get("sql_saved")
    with st.popover("Save", icon=":material/bookmark:"):
        with st.form("sql_save", border=False):
            name = st.text_input("Name", value=saved["name"] if saved else "", max_chars=200)
            description = st.text_area("Description", value=saved["description"] if saved else "", max_chars=2000)
            with_chart = st.checkbox("Save the chart with it", value=bool(saved and saved["chart"]))
            as_new = st.form_submit_button("Save as a new query")
            update = st.form_submit_button(f"Update “{plain(saved['name'])}”") if saved else False
        if as_new or update:
            body = {
                "name": name,
                "query": _state()["sql_text"],
                "description": description,
                "chart": _state().get("sql_chart_chosen") if with_chart else None,
            }
            try:
                stored = client.save_query(body, saved["id"] if update and saved else None)
            except client.ApiError as error:
                st.error(plain(error, 500))
                return
            _state()["sql_opened"] = (stored["id"], None)
            _state()["sql_saved"] = stored
            _state()["sql_chart"] = stored["chart"]
            st.query_params.from_dict({"saved": stored["id"]})
            st.rerun()
        if saved and st.button("Delete this saved query", icon=":material/delete:"):
            try:
                client.delete_saved_query(saved["id"])
            except client.ApiError as error:
                st.error(plain(error, 500))
                return
            _state()["sql_saved"] = None
            st.query_params.from_dict({"q": _state()["sql_text"]})
            st.rerun()


def _views_panel() -> None:
    st.subheader("Views", anchor=False)
    try:
        reference = _reference()
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    for view in reference["views"]:
        with st.expander(view["name"]):
            st.caption(view["description"])  # docs/sql.md, not trace content
            st.dataframe(
                [{"column": c["name"], "type": c["type"], "meaning": c["meaning"]} for c in view["columns"]],
                hide_index=True,
                column_config={"meaning": st.column_config.TextColumn(width="large")},
            )


def main() -> None:
    st.title("SQL", anchor=False)
    _state().setdefault("sql_limit", 1000)
    opened = (st.query_params.get("saved"), st.query_params.get("q"))
    if _state().get("sql_opened") != opened:
        _state()["sql_opened"] = opened
        _open(*opened)
    saved = _state().get("sql_saved")
    editor, views = st.columns([3, 1])
    with editor:
        try:
            _choosers()
        except client.ApiError as error:
            st.error(plain(error, 500))
        if saved:
            st.caption(
                f"Saved query: {plain(saved['name'])}"
                + (f" · {plain(saved['description'])}" if saved["description"] else "")
            )
        _editor()
        _save_panel()
        result = _result()
        if result is not None:
            as_table, as_chart = st.tabs(["Table", "Chart"])
            with as_table:
                _table(result)
            with as_chart:
                _chart(result)
    with views:
        _views_panel()


main()
