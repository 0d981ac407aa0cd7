"""/api/v1/runs on both backends, over real sockets: a run's life cycle (create on the latest
version, results added and replaced, completed once), its aggregates against figures worked
out by hand, its per-example results with their scores, and what deleting a run or its dataset
takes with it. Scores are written straight into ``scores``: only their rows matter here."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from server.model import SpanRecord
from server.storage import Store, open_store
from server.storage.datasets import NewDataset, NewExample
from server.storage.tables import run_results, runs, scores
from tests.integration.collector_helpers import RunningCollector, running_collector
from tests.integration.conftest import Backend

EXAMPLES = [
    {"id": f"q{number}", "input": {"question": f"question {number}"}, "expected_output": number} for number in range(4)
]
LATENCIES = [100.0, 200.0, 300.0, 400.0]
TOKENS = [10, 20, 30, 40]


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url, ingest_workers=0) as running:
        yield running


def answer(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def detail(response: Any, status: int) -> str:
    message: str = answer(response, status)["detail"]
    return message


def trace_id(number: int) -> str:
    return f"{number + 1:032x}"


def start_run(collector: RunningCollector, name: str = "prompt v1") -> tuple[dict[str, Any], dict[str, Any]]:
    client = collector.client
    dataset = answer(client.post("/api/v1/datasets", json={"name": "support", "examples": EXAMPLES}), 201)
    run = answer(
        client.post("/api/v1/runs", json={"dataset_id": dataset["id"], "name": name, "metadata": {"git": "abc"}}), 201
    )
    return dataset, run


def results(failed: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "example_id": f"q{number}",
            "trace_id": trace_id(number),
            "latency_ms": LATENCIES[number],
            **({"error": "ValueError: boom"} if number == failed else {"output": f"answer {number}"}),
        }
        for number in range(4)
    ]


def add_score(
    store: Store,
    run_id: str | None,
    number: int,
    name: str,
    value: float | None,
    *,
    label: str | None = None,
    data_type: str | None = None,
) -> None:
    row = {
        "project_id": "default",
        "id": f"{name}-{run_id}-{number}",
        "trace_id": trace_id(number),
        "span_id": None,
        "name": name,
        "data_type": data_type or ("numeric" if label is None else "categorical"),
        "value": value,
        "label": label,
        "source": "code",
        "comment": f"on q{number}",
        "author": None,
        "run_id": run_id,
        "config_id": None,
        "created_at": datetime.now(timezone.utc),
    }
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(sa.insert(scores).values(row))


def count(store: Store, table: sa.Table, run_id: str) -> int:
    column = table.c.id if table is runs else table.c.run_id
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(sa.select(sa.func.count()).where(column == run_id)).scalar_one())


def test_a_run_goes_from_running_to_completed_with_its_aggregates(
    backend: Backend, collector: RunningCollector, make_span: Callable[..., SpanRecord]
) -> None:
    client = collector.client
    dataset, run = start_run(collector)
    assert (run["status"], run["dataset_id"], run["dataset_version"], run["metadata"]) == (
        "running",
        dataset["id"],
        1,
        {"git": "abc"},
    )
    assert (run["ended_at"], run["examples_run"], run["scores"], run["total_tokens"], run["models"]) == (
        None,
        0,
        [],
        0,
        [],
    )

    store = open_store(backend.url)
    try:
        store.write(
            [
                make_span(trace=trace_id(number), total_tokens=TOKENS[number], cost_usd=0.01, model=model)
                for number, model in enumerate(["gpt-4o", "gpt-4o-mini", None, "gpt-4o"])
            ]
        )
        for number, value in enumerate([1, 0, 1, 1]):
            add_score(store, run["id"], number, "correct", value)
            add_score(store, run["id"], number, "passed", value, data_type="boolean")
        add_score(store, run["id"], 0, "tone", None, label="friendly")
        add_score(store, None, 1, "correct", 0)  # a production score: not the run's
    finally:
        store.close()

    path = f"/api/v1/runs/{run['id']}"
    stored = answer(client.post(f"{path}/results", json={"results": results(failed=1)}), 201)
    assert (stored["examples_run"], stored["examples_failed"]) == (4, 1)
    assert stored["latency_p50_ms"] == pytest.approx(250.0)  # interpolated, as percentile_cont does
    assert stored["latency_p95_ms"] == pytest.approx(300 + 0.85 * 100)
    assert stored["total_tokens"] == sum(TOKENS)
    assert stored["cost_usd"] == pytest.approx(0.04)
    assert stored["models"] == ["gpt-4o", "gpt-4o-mini"]  # of the run's traces, each once
    values = [1, 0, 1, 1]
    mean, half_width = statistics.mean(values), 1.96 * statistics.stdev(values) / math.sqrt(len(values))
    assert (mean, half_width) == (0.75, pytest.approx(0.49))
    correct, passed, tone = stored["scores"]
    assert correct == {
        "name": "correct",
        "count": 4,
        "mean": pytest.approx(mean),
        "ci_low": pytest.approx(mean - half_width),
        "ci_high": pytest.approx(mean + half_width),
    }
    # The same values as a pass rate: Wilson's interval, 0.3006 to 0.9544 for 3 of 4 (published tables).
    assert passed == {
        "name": "passed",
        "count": 4,
        "mean": pytest.approx(0.75),
        "ci_low": pytest.approx(0.3006, abs=1e-4),
        "ci_high": pytest.approx(0.9544, abs=1e-4),
    }
    assert tone == {"name": "tone", "count": 1, "mean": None, "ci_low": None, "ci_high": None}

    completed = answer(client.patch(path, json={"status": "completed"}), 200)
    assert completed["status"] == "completed"
    assert datetime.fromisoformat(completed["ended_at"]) >= datetime.fromisoformat(completed["started_at"])
    assert {key: value for key, value in completed.items() if key not in ("status", "ended_at")} == {
        key: value for key, value in stored.items() if key not in ("status", "ended_at")
    }
    assert answer(client.get(path), 200) == completed
    assert answer(client.get("/api/v1/runs", params={"dataset_id": dataset["id"]}), 200) == {"runs": [completed]}


def test_one_score_has_no_interval(backend: Backend, collector: RunningCollector) -> None:
    _, run = start_run(collector)
    store = open_store(backend.url)
    try:
        add_score(store, run["id"], 0, "correct", 1)
    finally:
        store.close()
    found = answer(collector.client.get(f"/api/v1/runs/{run['id']}"), 200)
    assert found["scores"] == [{"name": "correct", "count": 1, "mean": 1.0, "ci_low": None, "ci_high": None}]
    assert (found["examples_run"], found["latency_p50_ms"], found["cost_usd"]) == (0, None, None)


def test_results_list_each_example_with_its_output_trace_and_scores(
    backend: Backend, collector: RunningCollector, make_span: Callable[..., SpanRecord]
) -> None:
    client = collector.client
    dataset, run = start_run(collector)
    path = f"/api/v1/runs/{run['id']}"
    answer(client.post(f"{path}/results", json={"results": results()}), 201)
    # Resent for q1: it replaces the first result.
    again = {"example_id": "q1", "error": "TimeoutError", "latency_ms": 5000.0, "trace_id": trace_id(1)}
    replaced = answer(client.post(f"{path}/results", json={"results": [again]}), 201)
    assert (replaced["examples_run"], replaced["examples_failed"]) == (4, 1)
    # A change to the dataset after the run started does not change what the run ran on.
    changed = {"id": "q0", "input": "changed", "expected_output": "changed"}
    answer(client.post(f"/api/v1/datasets/{dataset['id']}/examples", json={"examples": [changed]}), 201)
    store = open_store(backend.url)
    try:
        store.write([make_span(trace=trace_id(0), total_tokens=12, cost_usd=0.5)])
        add_score(store, run["id"], 0, "correct", 1)
        add_score(store, run["id"], 0, "tone", None, label="friendly")
    finally:
        store.close()

    listed = answer(client.get(f"{path}/results"), 200)
    assert listed["run_id"] == run["id"]
    first, second = listed["results"][:2]
    assert [row["example_id"] for row in listed["results"]] == ["q0", "q1", "q2", "q3"]  # in dataset order
    assert first == {
        "example_id": "q0",
        "input": {"question": "question 0"},
        "expected_output": 0,
        "output": "answer 0",
        "error": None,
        "trace_id": trace_id(0),
        "latency_ms": 100.0,
        "total_tokens": 12,
        "cost_usd": 0.5,
        "scores": [
            {
                "name": "correct",
                "span_id": None,
                "data_type": "numeric",
                "value": 1.0,
                "label": None,
                "comment": "on q0",
                "source": "code",
            },
            {
                "name": "tone",
                "span_id": None,
                "data_type": "categorical",
                "value": None,
                "label": "friendly",
                "comment": "on q0",
                "source": "code",
            },
        ],
    }
    assert (second["output"], second["error"], second["latency_ms"], second["total_tokens"], second["scores"]) == (
        None,
        "TimeoutError",
        5000.0,
        None,
        [],
    )
    # A new run takes the latest version.
    later = answer(client.post("/api/v1/runs", json={"dataset_id": dataset["id"], "name": "prompt v2"}), 201)
    assert later["dataset_version"] == 2
    listed_runs = answer(client.get("/api/v1/runs", params={"dataset_id": dataset["id"]}), 200)["runs"]
    assert [found["id"] for found in listed_runs] == [later["id"], run["id"]]  # newest first


def test_results_for_examples_outside_the_runs_version_are_refused(collector: RunningCollector) -> None:
    client = collector.client
    dataset, run = start_run(collector)
    added = {"id": "late", "input": "added after the run started"}
    answer(client.post(f"/api/v1/datasets/{dataset['id']}/examples", json={"examples": [added]}), 201)
    path = f"/api/v1/runs/{run['id']}/results"
    good = results()[0]
    for body, message in (
        (
            [good, {"example_id": "late"}],
            f"results[1]: example 'late' is not in version 1 of dataset {dataset['id']!r}",
        ),
        (
            [good, {"example_id": "nope"}],
            f"results[1]: example 'nope' is not in version 1 of dataset {dataset['id']!r}",
        ),
        ([good, good], "results 0 and 1 are for the same example 'q0'"),
    ):
        assert detail(client.post(path, json={"results": body}), 400) == message
    assert answer(client.get(f"/api/v1/runs/{run['id']}"), 200)["examples_run"] == 0  # all or nothing


def test_only_a_running_run_completes_or_fails(collector: RunningCollector) -> None:
    client = collector.client
    _, run = start_run(collector)
    path = f"/api/v1/runs/{run['id']}"
    running = "a run is running from its start; it can only become 'completed' or 'failed'"
    assert detail(client.patch(path, json={"status": "running"}), 400) == running
    failed = answer(client.patch(path, json={"status": "failed"}), 200)
    assert failed["status"] == "failed" and failed["ended_at"] is not None
    assert detail(client.patch(path, json={"status": "completed"}), 400) == (
        f"run {run['id']!r} is failed already; only a running run can become 'completed'"
    )
    assert "body.status: Input should be 'running', 'completed' or 'failed'" in detail(
        client.patch(path, json={"status": "done"}), 422
    )
    assert detail(client.patch("/api/v1/runs/nope", json={"status": "failed"}), 404) == "no run 'nope'"
    assert answer(client.get(path), 200)["ended_at"] == failed["ended_at"]


def test_deleting_a_run_or_its_dataset_deletes_its_results_and_scores(
    backend: Backend, collector: RunningCollector
) -> None:
    client = collector.client
    dataset, first = start_run(collector)
    second = answer(client.post("/api/v1/runs", json={"dataset_id": dataset["id"], "name": "prompt v2"}), 201)
    store = open_store(backend.url)
    try:
        for run in (first, second):
            answer(client.post(f"/api/v1/runs/{run['id']}/results", json={"results": results()}), 201)
            add_score(store, run["id"], 0, "correct", 1)
        add_score(store, None, 0, "correct", 1)  # a production score on the same trace stays

        assert client.delete(f"/api/v1/runs/{first['id']}").status_code == 204
        assert detail(client.get(f"/api/v1/runs/{first['id']}"), 404) == f"no run {first['id']!r}"
        assert detail(client.get(f"/api/v1/runs/{first['id']}/results"), 404) == f"no run {first['id']!r}"
        assert [count(store, table, first["id"]) for table in (runs, run_results, scores)] == [0, 0, 0]
        assert [count(store, table, second["id"]) for table in (runs, run_results, scores)] == [1, 4, 1]

        assert client.delete(f"/api/v1/datasets/{dataset['id']}").status_code == 204
        assert [count(store, table, second["id"]) for table in (runs, run_results, scores)] == [0, 0, 0]
        assert detail(client.get("/api/v1/runs", params={"dataset_id": dataset["id"]}), 404) == (
            f"no dataset {dataset['id']!r}"
        )
        with store.engine.connect() as connection:  # type: ignore[attr-defined]
            assert connection.execute(sa.select(sa.func.count()).select_from(scores)).scalar_one() == 1
    finally:
        store.close()


def test_another_projects_runs_are_as_missing_as_unknown_ones(backend: Backend, collector: RunningCollector) -> None:
    store = open_store(backend.url)
    try:
        dataset = store.datasets.create("other", NewDataset("support"), [NewExample(input=1, id="q0")])
        theirs = store.runs.create("other", dataset["id"], "theirs", {})
    finally:
        store.close()
    client = collector.client
    path = f"/api/v1/runs/{theirs['id']}"
    assert answer(client.get("/api/v1/runs"), 200) == {"runs": []}
    for response in (
        client.get(path),
        client.get(f"{path}/results"),
        client.post(f"{path}/results", json={"results": [{"example_id": "q0", "output": 1}]}),
        client.patch(path, json={"status": "completed"}),
        client.delete(path),
    ):
        assert detail(response, 404) == f"no run {theirs['id']!r}"
    store = open_store(backend.url)
    try:
        assert store.runs.get("other", theirs["id"])["status"] == "running"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "n"}, "body.dataset_id: Field required"),
        ({"dataset_id": "d", "name": "x" * 201}, "body.name: String should have at most 200 characters"),
        ({"dataset_id": "d", "name": "n", "owner": "me"}, "body.owner: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_run_is_a_422_naming_the_field(
    collector: RunningCollector, body: dict[str, Any], field: str
) -> None:
    assert field in detail(collector.client.post("/api/v1/runs", json=body), 422)


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({"output": 1}, "body.results.0.example_id: Field required"),
        (
            {"example_id": "q0", "latency_ms": -1},
            "body.results.0.latency_ms: Input should be greater than or equal to 0",
        ),
        ({"example_id": "q0", "trace_id": "short"}, "body.results.0.trace_id: String should match pattern"),
        ({"example_id": "q0", "extra": 1}, "body.results.0.extra: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_result_is_a_422_naming_the_field(
    collector: RunningCollector, result: dict[str, Any], field: str
) -> None:
    _, run = start_run(collector)
    assert field in detail(collector.client.post(f"/api/v1/runs/{run['id']}/results", json={"results": [result]}), 422)


def test_nan_in_an_output_and_an_empty_result_list_are_refused(collector: RunningCollector) -> None:
    _, run = start_run(collector)
    path = f"/api/v1/runs/{run['id']}/results"
    nan = b'{"results": [{"example_id": "q0", "output": [NaN]}]}'
    response = collector.client.post(path, content=nan, headers={"content-type": "application/json"})
    assert "NaN and infinite numbers are not JSON" in detail(response, 422)
    infinite = b'{"results": [{"example_id": "q0", "latency_ms": Infinity}]}'
    response = collector.client.post(path, content=infinite, headers={"content-type": "application/json"})
    assert "body.results.0.latency_ms" in detail(response, 422)
    assert "body.results: List should have at least 1 item" in detail(
        collector.client.post(path, json={"results": []}), 422
    )
