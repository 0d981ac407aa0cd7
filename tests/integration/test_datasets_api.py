"""/api/v1/datasets on both backends, over real sockets: create, list, read, delete; versions
(every earlier version reads back as it was); JSONL and CSV import (all or nothing, the bad
line named) and export (which imports back to the same examples); another project's datasets
are as missing as datasets never created; malformed bodies are 422s naming the field."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.storage import open_store
from server.storage.datasets import NewDataset, NewExample
from tests.integration.collector_helpers import RunningCollector, running_collector
from tests.integration.conftest import Backend

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SPAN_ID = "b7ad6b7169203331"
EXAMPLES = [
    {"id": "order", "input": {"question": "Where is my order?"}, "expected_output": "It ships tomorrow."},
    {"id": "refund", "input": {"question": "Can I get a refund?"}, "expected_output": "Yes, within 30 days."},
    {
        "id": "hours",
        "input": {"question": "When are you open?"},
        "expected_output": None,
        "metadata": {"topic": "hours", "difficulty": 2},
        "source_trace_id": TRACE_ID,
        "source_span_id": SPAN_ID,
    },
]


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url, ingest_workers=0) as running:
        yield running


def created(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def detail(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["detail"]
    return message


def create(collector: RunningCollector, name: str = "support", **body: Any) -> dict[str, Any]:
    return created(collector.client.post("/api/v1/datasets", json={"name": name, **body}))


def examples(collector: RunningCollector, dataset_id: str, version: int | None = None) -> list[dict[str, Any]]:
    params = {} if version is None else {"version": version}
    found = created(collector.client.get(f"/api/v1/datasets/{dataset_id}/examples", params=params), 200)
    rows: list[dict[str, Any]] = found["examples"]
    return rows


def content(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a user gave, without what the server adds."""
    return [
        (
            row["id"],
            row["input"],
            row["expected_output"],
            row["metadata"],
            row["source_trace_id"],
            row["source_span_id"],
        )
        for row in rows
    ]


def given(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            row["id"],
            row["input"],
            row.get("expected_output"),
            row.get("metadata", {}),
            row.get("source_trace_id"),
            row.get("source_span_id"),
        )
        for row in rows
    ]


def test_a_dataset_is_created_listed_read_and_deleted(collector: RunningCollector) -> None:
    client = collector.client
    dataset = create(collector, description="Questions customers ask", metadata={"owner": "support"}, examples=EXAMPLES)
    assert (dataset["name"], dataset["description"], dataset["metadata"]) == (
        "support",
        "Questions customers ask",
        {"owner": "support"},
    )
    assert (dataset["version"], dataset["example_count"]) == (1, 3)
    empty = create(collector, "empty")
    assert (empty["version"], empty["example_count"], empty["description"], empty["metadata"]) == (0, 0, "", {})

    listed = created(client.get("/api/v1/datasets"), 200)["datasets"]
    assert [row["name"] for row in listed] == ["empty", "support"]  # by name
    assert created(client.get(f"/api/v1/datasets/{dataset['id']}"), 200) == dataset
    rows = examples(collector, dataset["id"])
    assert content(rows) == given(EXAMPLES)  # in the order given
    assert {(row["version_added"], row["version_removed"]) for row in rows} == {(1, None)}

    assert client.delete(f"/api/v1/datasets/{dataset['id']}").status_code == 204
    missing = f"no dataset {dataset['id']!r}"
    assert detail(client.get(f"/api/v1/datasets/{dataset['id']}"), 404) == missing
    assert detail(client.get(f"/api/v1/datasets/{dataset['id']}/examples"), 404) == missing
    assert detail(client.delete(f"/api/v1/datasets/{dataset['id']}"), 404) == missing
    assert [row["id"] for row in created(client.get("/api/v1/datasets"), 200)["datasets"]] == [empty["id"]]


def test_names_are_unique_within_a_project(collector: RunningCollector) -> None:
    create(collector)
    response = collector.client.post("/api/v1/datasets", json={"name": " support ", "examples": EXAMPLES})
    assert detail(response, 409) == "a dataset named 'support' exists already"
    assert len(created(collector.client.get("/api/v1/datasets"), 200)["datasets"]) == 1


def test_every_version_reads_back_as_it_was(collector: RunningCollector) -> None:
    client = collector.client
    dataset = create(collector, examples=EXAMPLES)
    path = f"/api/v1/datasets/{dataset['id']}"
    changed = {"id": "order", "input": {"question": "Where is my parcel?"}, "expected_output": "Tomorrow."}
    added = {"input": "a new question"}  # the server picks its id
    version_2 = created(client.post(f"{path}/examples", json={"examples": [changed, added]}))
    assert (version_2["version"], version_2["example_count"]) == (2, 4)
    assert client.delete(f"{path}/examples/refund").status_code == 204
    assert created(client.get(path), 200)["version"] == 3

    assert content(examples(collector, dataset["id"], 1)) == given(EXAMPLES)
    assert content(examples(collector, dataset["id"], 0)) == []
    latest = examples(collector, dataset["id"])
    assert [row["id"] for row in latest[:2]] == ["hours", "order"]  # a replaced example is a new row
    assert latest[1]["input"] == changed["input"]
    assert len(latest[2]["id"]) == 32 and latest[2]["input"] == "a new question"
    assert examples(collector, dataset["id"], 3) == latest
    version_2_rows = examples(collector, dataset["id"], 2)
    assert {row["id"] for row in version_2_rows} == {"order", "refund", "hours", latest[2]["id"]}
    old_order = next(row for row in examples(collector, dataset["id"], 1) if row["id"] == "order")
    assert (old_order["version_added"], old_order["version_removed"]) == (1, 2)

    assert detail(client.get(f"{path}/examples", params={"version": 4}), 404) == (
        f"no version '4' of dataset {dataset['id']!r} (the latest is 3)"
    )
    assert detail(client.delete(f"{path}/examples/refund"), 404) == (
        f"no example 'refund' in dataset {dataset['id']!r}"
    )
    assert created(client.get(path), 200)["version"] == 3  # the refused deletion made no version
    twice = client.post(f"{path}/examples", json={"examples": [{"id": "x", "input": 1}, {"id": "x", "input": 2}]})
    assert detail(twice, 400) == "examples 0 and 1 have the same id 'x'"
    assert created(client.get(path), 200)["version"] == 3


def test_jsonl_and_csv_import_and_export_round_trip(collector: RunningCollector) -> None:
    client = collector.client
    source = create(collector, "source", examples=EXAMPLES)
    for file_format, media_type in (("jsonl", "application/x-ndjson"), ("csv", "text/csv")):
        exported = client.get(f"/api/v1/datasets/{source['id']}/export", params={"format": file_format})
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith(media_type)
        assert exported.headers["content-disposition"] == (
            f'attachment; filename="dataset-{source["id"]}-v1.{file_format}"'
        )
        copy = create(collector, f"copy {file_format}")
        imported = client.post(
            f"/api/v1/datasets/{copy['id']}/import", content=exported.content, headers={"content-type": media_type}
        )
        assert (created(imported)["version"], created(imported)["example_count"]) == (1, 3)
        assert content(examples(collector, copy["id"])) == given(EXAMPLES)


def test_a_hand_written_csv_imports_cells_as_json_or_text(collector: RunningCollector) -> None:
    dataset = create(collector)
    body = (
        "input,expected_output,metadata\n"
        'Where is my order?,42,"{""topic"": ""orders""}"\n'
        '"a question\nover two lines",true,\n'
        '"{""question"": ""Hi""}",,\n'
    )
    response = collector.client.post(
        f"/api/v1/datasets/{dataset['id']}/import",
        content=gzip.compress(body.encode()),
        headers={"content-type": "text/csv; charset=utf-8", "content-encoding": "gzip"},
    )
    assert created(response)["example_count"] == 3
    rows = examples(collector, dataset["id"])
    assert [(row["input"], row["expected_output"], row["metadata"]) for row in rows] == [
        ("Where is my order?", 42, {"topic": "orders"}),
        ("a question\nover two lines", True, {}),
        ({"question": "Hi"}, None, {}),
    ]


@pytest.mark.parametrize(
    ("media_type", "body", "message"),
    [
        ("application/x-ndjson", '{"input": 1}\n\n{"input": 2\n', "line 3: not JSON: "),
        ("application/x-ndjson", '{"input": 1}\n[1, 2]\n', "line 2: Input should be a valid dictionary"),
        ("application/x-ndjson", '{"input": 1}\n{"input": 2, "owner": "me"}\n', "line 2: owner: Extra inputs"),
        ("application/x-ndjson", '{"input": NaN}\n', "line 1: not JSON: NaN is not JSON"),
        ("application/x-ndjson", '{"expected_output": 1}\n', "line 1: input: Field required"),
        ("application/x-ndjson", '{"input": 1, "id": "a"}\n{"input": 2, "id": "a"}\n', "examples 0 and 1 have"),
        ("application/x-ndjson", "\n\n", "the file holds no examples"),
        ("application/x-ndjson", b"\xff\xfe", "the file is not UTF-8 text (byte 0)"),
        ("text/csv", "input,answer\n1,2\n", "line 1: unknown column 'answer'; the columns are id, input"),
        ("text/csv", "expected_output\n1\n", "line 1: no 'input' column"),
        ("text/csv", 'input\n1\n"two\nlines",3\n', "line 3: 2 cells; the header names 1 columns"),
        ("text/csv", "input,metadata\n1,[1]\n", "line 2: metadata: Input should be a valid dictionary"),
        ("text/csv", "input,source_trace_id\n1,nothex\n", "line 2: source_trace_id: String should match pattern"),
    ],
)
def test_a_malformed_file_is_a_400_naming_its_line_and_nothing_is_stored(
    collector: RunningCollector, media_type: str, body: str | bytes, message: str
) -> None:
    dataset = create(collector, examples=EXAMPLES[:1])
    path = f"/api/v1/datasets/{dataset['id']}"
    content_ = body if isinstance(body, bytes) else body.encode()
    response = collector.client.post(f"{path}/import", content=content_, headers={"content-type": media_type})
    assert detail(response, 400).startswith(message)
    assert created(collector.client.get(path), 200)["version"] == 1
    assert len(examples(collector, dataset["id"])) == 1


def test_an_import_of_another_type_is_a_415_and_of_another_dataset_a_404(collector: RunningCollector) -> None:
    dataset = create(collector)
    line = json.dumps({"input": 1}).encode()
    response = collector.client.post(
        f"/api/v1/datasets/{dataset['id']}/import", content=line, headers={"content-type": "application/json"}
    )
    assert detail(response, 415) == "content-type 'application/json': send application/x-ndjson or text/csv"
    response = collector.client.post(
        "/api/v1/datasets/nope/import", content=line, headers={"content-type": "application/x-ndjson"}
    )
    assert detail(response, 404) == "no dataset 'nope'"


def test_another_projects_datasets_are_as_missing_as_uncreated_ones(
    backend: Backend, collector: RunningCollector
) -> None:
    store = open_store(backend.url)
    try:
        theirs = store.datasets.create("other", NewDataset("support"), [NewExample(input=1, id="order")])
    finally:
        store.close()
    client = collector.client
    assert created(client.get("/api/v1/datasets"), 200) == {"datasets": []}
    mine = create(collector)  # the same name in another project is no conflict
    assert mine["id"] != theirs["id"]
    path = f"/api/v1/datasets/{theirs['id']}"
    jsonl = {"content-type": "application/x-ndjson"}
    for response in (
        client.get(path),
        client.get(f"{path}/examples"),
        client.get(f"{path}/export"),
        client.post(f"{path}/examples", json={"examples": [{"input": 2}]}),
        client.post(f"{path}/import", content=b'{"input": 2}\n', headers=jsonl),
        client.delete(f"{path}/examples/order"),
        client.delete(path),
        client.post("/api/v1/runs", json={"dataset_id": theirs["id"], "name": "mine"}),
    ):
        assert detail(response, 404) == f"no dataset {theirs['id']!r}"
    store = open_store(backend.url)
    try:
        assert store.datasets.get("other", theirs["id"]) == theirs
    finally:
        store.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.name: Field required"),
        ({"name": "   "}, "body.name: String should have at least 1 character"),
        ({"name": "x" * 201}, "body.name: String should have at most 200 characters"),
        ({"name": "n", "owner": "me"}, "body.owner: Extra inputs are not permitted"),
        ({"name": "n", "metadata": [1]}, "body.metadata: Input should be a valid dictionary"),
        ({"name": "n", "examples": [{"expected_output": 1}]}, "body.examples.0.input: Field required"),
        ({"name": "n", "examples": [{"input": 1, "id": ""}]}, "body.examples.0.id: String should have at least 1"),
        ({"name": "n", "examples": [{"input": 1, "source_span_id": "xyz"}]}, "body.examples.0.source_span_id"),
        ({"name": "n", "examples": [{"input": 1}] * 10_001}, "body.examples: List should have at most 10000 items"),
    ],
)
def test_a_malformed_body_is_a_422_naming_the_field(
    collector: RunningCollector, body: dict[str, Any], field: str
) -> None:
    assert field in detail(collector.client.post("/api/v1/datasets", json=body), 422)
    assert created(collector.client.get("/api/v1/datasets"), 200) == {"datasets": []}


def test_nan_an_empty_example_list_and_a_bad_version_are_refused(collector: RunningCollector) -> None:
    dataset = create(collector, examples=EXAMPLES[:1])
    path = f"/api/v1/datasets/{dataset['id']}"
    # Python's JSON reader takes NaN and Infinity; the API must not.
    nan = b'{"examples": [{"input": {"score": NaN}}]}'
    response = collector.client.post(f"{path}/examples", content=nan, headers={"content-type": "application/json"})
    assert "NaN and infinite numbers are not JSON" in detail(response, 422)
    infinite = b'{"name": "n", "metadata": {"weight": [Infinity]}}'
    response = collector.client.post("/api/v1/datasets", content=infinite, headers={"content-type": "application/json"})
    assert "body.metadata: Value error, NaN and infinite numbers are not JSON" in detail(response, 422)
    empty = collector.client.post(f"{path}/examples", json={"examples": []})
    assert "body.examples: List should have at least 1 item" in detail(empty, 422)
    assert "query.version" in detail(collector.client.get(f"{path}/examples", params={"version": -1}), 422)
    assert "query.format" in detail(collector.client.get(f"{path}/export", params={"format": "xml"}), 422)
    assert created(collector.client.get(path), 200)["version"] == 1


def test_json_the_database_cannot_hold_is_refused_or_made_storable(collector: RunningCollector) -> None:
    """A lone UTF-16 surrogate becomes U+FFFD (a pair stays one character); an integer beyond
    64 bits is a 422 that says how to send it."""
    body = '{"name": "odd", "examples": [{"input": "\\ud800 and \\ud83d\\ude0d", "metadata": {"\\udc00": 1}}]}'
    created = collector.client.post("/api/v1/datasets", content=body, headers={"content-type": "application/json"})
    assert created.status_code == 201, created.text
    [example] = collector.client.get(f"/api/v1/datasets/{created.json()['id']}/examples").json()["examples"]
    assert (example["input"], example["metadata"]) == ("\ufffd and \U0001f60d", {"\ufffd": 1})
    huge = '{"name": "huge", "examples": [{"input": 102035820899036183332632133632}]}'
    refused = collector.client.post("/api/v1/datasets", content=huge, headers={"content-type": "application/json"})
    assert refused.status_code == 422
    assert "integers must fit in 64 bits; send 102035820899036183332632133632 as a string" in refused.json()["detail"]
