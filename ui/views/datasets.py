"""Datasets: named, versioned collections of examples to evaluate a pipeline on.

URL: /datasets lists them (and creates one); /datasets?id=<dataset id>[&version=N] shows one
version's examples, imports a JSONL or CSV file (all or nothing) and exports either format.
Examples also come from traces (*Add to a dataset* on the Trace page) and from the SDK.
"""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from ui import client
from ui.components.tables import picked_row, table_height
from ui.navigation import RUNS, trace_link
from ui.text import compact_json, count, moment, plain

IMPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


def _list() -> None:
    try:
        found = client.datasets()
    except client.ApiError as error:
        st.error(plain(error, 500))
        return
    with st.expander("New dataset", expanded=not found), st.form("new_dataset", border=False):
        name = st.text_input("Name", max_chars=200)
        description = st.text_area("Description", max_chars=2000, height=80)
        if st.form_submit_button("Create", type="primary"):
            try:
                made = client.create_dataset({"name": name.strip(), "description": description})
            except client.ApiError as error:
                st.error(plain(error, 500))
            else:
                st.query_params.from_dict({"id": made["id"]})
                st.rerun()
    if not found:
        st.info("No datasets yet: create one here, add traces from the Trace page, or use tracer.datasets.create.")
        return
    table = pd.DataFrame(
        {
            "Name": [row["name"] for row in found],
            "Examples": [row["example_count"] for row in found],
            "Version": [row["version"] for row in found],
            "Updated": [moment(row["updated_at"]) for row in found],
            "Description": [row["description"] for row in found],
        }
    )
    st.caption("Select a row to open the dataset.")
    picked = picked_row(table, key="datasets", height=table_height(len(found), 600))
    if picked is not None:
        st.query_params.from_dict({"id": found[picked]["id"]})
        st.rerun()


def _one(dataset_id: str) -> None:
    wanted = st.query_params.get("version")
    try:
        version = int(wanted) if wanted else None
        examples = client.dataset_examples(dataset_id, version)
        dataset = next((row for row in client.datasets() if row["id"] == dataset_id), None)
    except (client.ApiError, ValueError) as error:
        st.error(plain(error, 500))
        return
    if dataset is None:
        st.error(plain(f"no dataset {dataset_id!r}"))
        return
    st.subheader(plain(dataset["name"], 120), anchor=False)
    if dataset["description"]:
        st.caption(plain(dataset["description"], 600))
    left, middle, right = st.columns([2, 2, 3], vertical_alignment="bottom")
    versions = list(range(dataset["version"], 0, -1)) or [0]
    shown = left.selectbox(
        "Version",
        versions,
        index=versions.index(examples["version"]) if examples["version"] in versions else 0,
        format_func=lambda number: f"{number} (latest)" if number == dataset["version"] else str(number),
    )
    if shown != examples["version"]:
        st.query_params["version"] = str(shown)
        st.rerun()
    middle.metric("Examples", count(len(examples["examples"])))
    if right.button("Runs on this dataset ›"):
        st.switch_page(RUNS, query_params={"dataset_id": dataset_id})
    _examples(examples["examples"])
    _transfer(dataset_id, examples["version"])


def _examples(rows: list[dict[str, Any]]) -> None:
    if not rows:
        st.info("This version has no examples.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Example": [row["id"] for row in rows],
                "Input": [compact_json(row["input"]) for row in rows],
                "Expected output": [compact_json(row["expected_output"]) for row in rows],
                "Metadata": [compact_json(row["metadata"]) if row["metadata"] else "" for row in rows],
                "From trace": [trace_link(row["source_trace_id"]) if row["source_trace_id"] else None for row in rows],
            }
        ),
        hide_index=True,
        column_config={"From trace": st.column_config.LinkColumn(display_text="open ↗")},
        height=table_height(len(rows), 600),
    )


def _transfer(dataset_id: str, version: int) -> None:
    upload, download = st.columns(2)
    with upload.form("import", border=True, clear_on_submit=True):
        st.markdown("**Import examples**")
        file = st.file_uploader("A JSONL or CSV file", type=list(IMPORT_TYPES))
        st.caption("Columns: input (required), expected_output, metadata, id, source_trace_id, source_span_id.")
        if st.form_submit_button("Import") and file is not None:
            kind = IMPORT_TYPES[file.name.rsplit(".", 1)[-1].lower()]
            try:
                client.import_examples(dataset_id, file.getvalue(), kind)
            except client.ApiError as error:
                st.error(plain(error, 500))
            else:
                st.query_params.pop("version", None)
                st.toast("Imported: a new version.")
                st.rerun()
    with download.container(border=True):
        st.markdown("**Export this version**")
        for format in ("jsonl", "csv"):
            try:
                data = client.export_examples(dataset_id, format, version)
            except client.ApiError as error:
                st.error(plain(error, 500))
                continue
            st.download_button(
                f"Download {format.upper()}",
                data,
                file_name=f"dataset-{dataset_id}-v{version}.{format}",
                mime=IMPORT_TYPES[format],
                key=f"export_{format}",
            )


def main() -> None:
    st.title("Datasets", anchor=False)
    dataset_id = st.query_params.get("id")
    if dataset_id:
        if st.button("‹ All datasets"):
            st.query_params.clear()
            st.rerun()
        _one(dataset_id)
    else:
        _list()


main()
