"""Datasets and Runs in AppTest against a real collector: a production trace added to a new
dataset from the Trace page, the dataset's versions and exports, and runs compared with their
confidence intervals and read example by example."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sample import HOSTILE
from streamlit.testing.v1 import AppTest
from ui_world import UiWorld, markdown_sources


@pytest.fixture
def clean(world: UiWorld) -> Iterator[UiWorld]:
    """No datasets (so no runs) before and after the test."""
    api = world.collector.client

    def delete_all() -> None:
        for dataset in api.get("/api/v1/datasets").json()["datasets"]:
            api.delete(f"/api/v1/datasets/{dataset['id']}")

    delete_all()
    yield world
    delete_all()


def click(app: AppTest, label: str) -> AppTest:
    found = [item for item in app.button if item.label == label]
    assert found, f"no button {label!r} among {[item.label for item in app.button]}"
    return found[0].click().run()


def no_errors(app: AppTest) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]


def make_runs(world: UiWorld) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A dataset of two examples and two runs on it, with exact_match scores."""
    api = world.collector.client
    examples = [
        {"id": "q1", "input": {"question": "Where is my order?"}, "expected_output": "It ships tomorrow."},
        {"id": "q2", "input": {"question": "Can I return it?"}, "expected_output": "Within 30 days."},
    ]
    dataset = api.post("/api/v1/datasets", json={"name": "support", "examples": examples}).json()
    runs = []
    traces = world.sample.support
    for name, outcomes in (("prompt v1", (1.0, 0.0)), ("prompt v2", (1.0, 1.0))):
        run = api.post(
            "/api/v1/runs", json={"dataset_id": dataset["id"], "name": name, "metadata": {"prompt_version": name[-2:]}}
        ).json()
        results = [
            {"example_id": "q1", "output": "It ships tomorrow.", "trace_id": traces[0], "latency_ms": 800},
            {
                "example_id": "q2",
                "output": None,
                "error": "TimeoutError" if outcomes[1] == 0 else None,
                "trace_id": traces[1],
                "latency_ms": 1200,
            },
        ]
        api.post(f"/api/v1/runs/{run['id']}/results", json={"results": results}).raise_for_status()
        scores = [
            {"trace_id": trace, "name": "exact_match", "value": value, "run_id": run["id"], "source": "code"}
            for trace, value in zip(traces[:2], outcomes, strict=True)
        ]
        api.post("/api/v1/scores/batch", json={"scores": scores}).raise_for_status()
        api.patch(f"/api/v1/runs/{run['id']}", json={"status": "completed"}).raise_for_status()
        runs.append(run)
    return dataset, runs


def test_a_trace_is_added_to_a_new_dataset_from_the_trace_page(clean: UiWorld) -> None:
    world = clean
    trace_id = world.sample.support[0]
    app = world.page("trace", id=trace_id)
    form = next(item for item in app.selectbox if item.label == "Dataset")
    assert form.value == "", "no dataset yet: a new one"
    [name] = [item for item in app.text_input if item.label == "New dataset's name"]
    name.set_value("wrong answers")
    [expected] = [item for item in app.text_area if item.label == "Expected output"]
    expected.set_value("It ships on Monday.")
    app = click(app, "Add")
    no_errors(app)
    datasets = world.collector.client.get("/api/v1/datasets").json()["datasets"]
    assert [(row["name"], row["example_count"]) for row in datasets] == [("wrong answers", 1)]
    [example] = world.collector.client.get(f"/api/v1/datasets/{datasets[0]['id']}/examples").json()["examples"]
    assert example["expected_output"] == "It ships on Monday."
    assert example["source_trace_id"] == trace_id
    assert example["input"], "the root span's input"

    listing = world.page("datasets")
    no_errors(listing)
    assert list(listing.dataframe[0].value["Name"]) == ["wrong answers"]
    one = world.page("datasets", id=datasets[0]["id"])
    no_errors(one)
    table = one.dataframe[0].value
    assert list(table["Expected output"]) == ["It ships on Monday."]
    assert table["From trace"].iloc[0].endswith(trace_id)
    assert [button.label for button in one.get("download_button")] == ["Download JSONL", "Download CSV"]


def test_a_datasets_earlier_version_reads_as_it_was(clean: UiWorld) -> None:
    world = clean
    dataset, _ = make_runs(world)
    api = world.collector.client
    api.post(
        f"/api/v1/datasets/{dataset['id']}/examples", json={"examples": [{"id": "q3", "input": "Hello?"}]}
    ).raise_for_status()
    latest = world.page("datasets", id=dataset["id"])
    assert list(latest.dataframe[0].value["Example"]) == ["q1", "q2", "q3"]
    first = world.page("datasets", id=dataset["id"], version="1")
    assert list(first.dataframe[0].value["Example"]) == ["q1", "q2"]


def test_runs_are_compared_and_one_is_read_example_by_example(clean: UiWorld) -> None:
    world = clean
    dataset, runs = make_runs(world)
    app = world.page("runs", dataset_id=dataset["id"])
    no_errors(app)
    table = app.dataframe[0].value
    assert list(table["Run"]) == ["prompt v2", "prompt v1"], "newest first"
    assert list(table["exact_match (95% CI)"]) == ["1 (1–1)", "0.5 (-0.48–1.48)"]
    assert list(table["Failed"]) == [0, 1]
    assert list(table["Prompt"]) == ["v2", "v1"]

    one = world.page("runs", id=runs[0]["id"])
    no_errors(one)
    examples = next(table.value for table in one.dataframe if "Example" in table.value.columns)
    assert list(examples["Example"]) == ["q1", "q2"]
    assert list(examples["Error"]) == ["", "TimeoutError"]
    assert list(examples["Scores"]) == ["exact_match 1", "exact_match 0"]
    assert examples["Trace"].iloc[0].endswith(world.sample.support[0])
    failed = one.toggle[0].set_value(True).run()
    assert [list(t.value["Example"]) for t in failed.dataframe if "Example" in t.value.columns] == [["q2"]]


def test_hostile_dataset_and_run_text_stays_out_of_markdown(clean: UiWorld) -> None:
    world = clean
    api = world.collector.client
    examples = [{"input": payload, "expected_output": payload, "metadata": {"k": payload}} for payload in HOSTILE[:5]]
    dataset = api.post(
        "/api/v1/datasets", json={"name": HOSTILE[0][:200], "description": HOSTILE[1], "examples": examples}
    ).json()
    run = api.post(
        "/api/v1/runs", json={"dataset_id": dataset["id"], "name": HOSTILE[2][:200], "metadata": {"m": HOSTILE[3]}}
    ).json()
    pages = [
        world.page("datasets"),
        world.page("datasets", id=dataset["id"]),
        world.page("runs", dataset_id=dataset["id"]),
        world.page("runs", id=run["id"]),
    ]
    for app in pages:
        assert not app.exception
        for source in markdown_sources(app):
            for payload in HOSTILE:
                assert payload not in source, f"{payload!r} reached Markdown: {source!r}"
