"""*Add to a dataset*: a trace's input and output become a dataset example, with a link back to
the trace, so that a production answer that went wrong can be evaluated again after a fix."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from ui import client
from ui.text import one_line, plain

NEW = ""  # the dataset choice that creates one


def add_to_dataset(trace_id: str, root: dict[str, Any]) -> None:
    """A popover that adds the trace (its root span's input and output) to a dataset."""
    with st.popover("Add to a dataset", icon=":material/playlist_add:"):
        try:
            datasets = {row["id"]: row["name"] for row in client.datasets()}
        except client.ApiError as error:
            st.error(plain(error, 500))
            return
        with st.form(f"add_to_dataset_{trace_id}", border=False):
            chosen = st.selectbox(
                "Dataset",
                [*datasets, NEW],
                format_func=lambda key: one_line(datasets[key], 100) if key else "a new dataset…",
            )
            name = st.text_input("New dataset's name", max_chars=200, help="Only for a new dataset")
            asked = st.text_area("Input", root.get("input") or "", height=120, help="JSON or text")
            expected = st.text_area(
                "Expected output", root.get("output") or "", height=120, help="Correct it if the answer was wrong"
            )
            submitted = st.form_submit_button("Add", type="primary")
        if not submitted:
            return
        example = {
            "input": _value(asked),
            "expected_output": _value(expected),
            "source_trace_id": trace_id,
            "source_span_id": root["span_id"],
        }
        try:
            if chosen:
                client.add_examples(chosen, [example])
                where = datasets[chosen]
            else:
                where = name.strip()
                client.create_dataset({"name": where, "examples": [example]})
        except client.ApiError as error:
            st.error(plain(error, 500))
            return
        st.success(f"Added to {plain(where, 100)}.")


def _value(text: str) -> Any:
    """JSON text as its value (an object, a list, a number...), anything else as the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text
