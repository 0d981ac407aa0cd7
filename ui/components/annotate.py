"""Scores on a trace: the ones given so far, and a form to add one (docs/evaluation.md).

A reviewer scores the whole trace or the selected span: thumbs up or down in one click, or a
score defined by a score config (a number in its range, yes or no, one of its categories), or
a free-form one, each with an optional comment. Scores given here have ``source`` ``human``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.text import moment, one_line, plain, score_value

THUMBS = "thumbs_up"  # the quick score's name: true for 👍, false for 👎
FREE_FORM = ""  # the config choice for a score of any name


def scores_section(trace_id: str, span: dict[str, Any] | None, span_names: dict[str, str]) -> None:
    """The trace's scores and the form to add one; ``span`` is the selected span (or None)."""
    try:
        given = client.scores(trace_id)
        configs = client.score_configs()
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    with st.expander(f"Scores · {len(given)}", expanded=True):
        listing, form = st.columns([3, 2])
        with listing:
            _listing(given, span_names)
        with form:
            _annotate(trace_id, span, configs)


def _listing(given: list[dict[str, Any]], span_names: dict[str, str]) -> None:
    if not given:
        st.caption("No scores yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "On": [span_names.get(row["span_id"], row["span_id"]) if row["span_id"] else "trace" for row in given],
                "Name": [row["name"] for row in given],
                "Value": [score_value(row["data_type"], row["value"], row["label"]) for row in given],
                "Source": [row["source"] for row in given],
                "By": [row["author"] or "" for row in given],
                "Comment": [row["comment"] or "" for row in given],
                "When": [moment(row["created_at"]) for row in given],
            }
        ),
        hide_index=True,
        height=min(36 + 35 * len(given), 320),
    )
    with st.popover("Delete a score", icon=":material/delete:"):
        labels = {
            row["id"]: f"{row['name']} = {score_value(row['data_type'], row['value'], row['label'])}"
            f" ({row['source']}, {moment(row['created_at'])})"
            for row in given
        }
        chosen = st.selectbox("Score", list(labels), format_func=lambda key: one_line(labels[key], 200))
        if st.button("Delete", type="primary") and chosen:
            _call(client.delete_score, chosen, done="Score deleted.")


def _annotate(trace_id: str, span: dict[str, Any] | None, configs: list[dict[str, Any]]) -> None:
    targets = ["trace"] + (["span"] if span else [])
    target = st.radio(
        "Score",
        targets,
        horizontal=True,
        format_func=lambda key: "this trace" if key == "trace" else f"span {plain((span or {}).get('name'), 60)}",
        key=f"score_target_{trace_id}",
    )
    base: dict[str, Any] = {"trace_id": trace_id, "source": "human"}
    if target == "span" and span:
        base["span_id"] = span["span_id"]
    author = st.text_input("Reviewer", key="reviewer", max_chars=200, placeholder="your name (optional)")
    if author:
        base["author"] = author
    up, down, _ = st.columns([1, 1, 3])
    if up.button("👍", key=f"thumbs_up_{trace_id}", help="Score it good (thumbs_up = true)"):
        _call(client.add_score, {**base, "name": THUMBS, "value": True}, done="Scored 👍")
    if down.button("👎", key=f"thumbs_down_{trace_id}", help="Score it bad (thumbs_up = false)"):
        _call(client.add_score, {**base, "name": THUMBS, "value": False}, done="Scored 👎")
    by_id = {config["id"]: config for config in configs}
    config_id = st.selectbox(
        "Score config",
        [*by_id, FREE_FORM],
        format_func=lambda key: one_line(by_id[key]["name"], 100) if key else "another name…",
        key=f"score_config_{trace_id}",
    )
    config = by_id.get(config_id or "")
    with st.form(f"annotate_{trace_id}_{config_id}", clear_on_submit=True, border=False):
        if config is None:
            name = st.text_input("Name", max_chars=200)
            raw = st.text_input("Value", help="A number, true or false, or a label")
        else:
            if config["description"]:
                st.caption(plain(config["description"], 300))
            name, raw = config["name"], _config_value(config)
        comment = st.text_area("Comment", max_chars=10_000, height=80)
        submitted = st.form_submit_button("Add score", type="primary")
    if submitted:
        value = _parsed(raw) if config is None else raw
        if not name or value in (None, ""):
            st.error("Give the score a name and a value.")
            return
        body = {**base, "name": name, "value": value} | ({"comment": comment} if comment else {})
        if config is not None:
            body["config_id"] = config["id"]
        _call(client.add_score, body, done=f"Scored {plain(name, 60)}")


def _config_value(config: dict[str, Any]) -> Any:
    if config["data_type"] == "boolean":
        return st.radio("Value", [True, False], horizontal=True, format_func=lambda yes: "yes" if yes else "no")
    if config["data_type"] == "categorical":
        return st.radio("Value", config["categories"], horizontal=True, format_func=lambda label: plain(label, 60))
    low, high = config["min_value"], config["max_value"]
    if low is not None and high is not None:
        step = 1.0 if float(low).is_integer() and float(high).is_integer() else (high - low) / 100
        return st.slider("Value", float(low), float(high), float(low), step=step)
    return st.number_input("Value", min_value=low, max_value=high, value=low or 0.0)


def _parsed(raw: str) -> Any:
    """A free-form value: a number, a boolean, or else a label."""
    text = raw.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        return text


def _call(action: Any, argument: Any, done: str) -> None:
    try:
        action(argument)
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    st.toast(done)
    st.rerun()
