"""/api/v1/saved-queries and /api/v1/sql/reference on both backends, over real sockets: save,
list, read, replace and delete; names unique per project; a query the SQL endpoint would refuse
is not saved; another project's queries are as missing as queries never saved; a database
fault is a 503 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest

from server.sql import reference
from server.sql.policy import VIEWS
from server.storage import open_store
from server.storage.saved_queries import SavedQuery
from tests.integration.collector_helpers import RunningCollector, running_collector
from tests.integration.conftest import Backend

SLOW_TOOLS = "SELECT tool_name, quantile_cont(duration_ms, 0.95) AS p95_ms FROM tool_calls GROUP BY tool_name"
CHART = {"type": "bar", "x": "tool_name", "y": ["p95_ms"], "color": None}


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url, ingest_workers=0) as running:
        yield running


def save(collector: RunningCollector, **body: Any) -> dict[str, Any]:
    response = collector.client.post("/api/v1/saved-queries", json={"name": "Slow tools", "query": SLOW_TOOLS, **body})
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def detail(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["detail"]
    return message


def test_a_saved_query_is_listed_read_replaced_and_deleted(collector: RunningCollector) -> None:
    client = collector.client
    saved = save(collector, description="p95 by tool", chart=CHART)
    assert saved["name"] == "Slow tools"
    assert saved["query"] == SLOW_TOOLS
    assert saved["description"] == "p95 by tool"
    assert saved["chart"] == CHART
    assert saved["created_at"] == saved["updated_at"]
    other = save(collector, name="All spans", query="SELECT count(*) AS spans FROM spans")

    listed = client.get("/api/v1/saved-queries").json()["saved_queries"]
    assert [row["name"] for row in listed] == ["All spans", "Slow tools"]  # by name
    assert client.get(f"/api/v1/saved-queries/{saved['id']}").json() == saved

    replaced = client.put(
        f"/api/v1/saved-queries/{saved['id']}",
        json={"name": "Slowest tools", "query": SLOW_TOOLS + " ORDER BY p95_ms DESC"},
    )
    assert replaced.status_code == 200, replaced.text
    changed = replaced.json()
    assert (changed["id"], changed["name"], changed["chart"], changed["description"]) == (
        saved["id"],
        "Slowest tools",
        None,
        "",
    )
    assert changed["created_at"] == saved["created_at"]
    assert datetime.fromisoformat(changed["updated_at"]) > datetime.fromisoformat(saved["updated_at"])
    # Saving under its own name again is not a conflict.
    same_name = client.put(f"/api/v1/saved-queries/{saved['id']}", json={"name": "Slowest tools", "query": "SELECT 1"})
    assert same_name.status_code == 200, same_name.text

    assert client.delete(f"/api/v1/saved-queries/{saved['id']}").status_code == 204
    assert detail(client.get(f"/api/v1/saved-queries/{saved['id']}"), 404) == f"no saved query {saved['id']!r}"
    assert detail(client.delete(f"/api/v1/saved-queries/{saved['id']}"), 404) == f"no saved query {saved['id']!r}"
    assert [row["id"] for row in client.get("/api/v1/saved-queries").json()["saved_queries"]] == [other["id"]]


def test_names_are_unique_within_a_project(collector: RunningCollector) -> None:
    first = save(collector)
    second = save(collector, name="Other")
    message = "a saved query named 'Slow tools' exists already"
    assert (
        detail(collector.client.post("/api/v1/saved-queries", json={"name": "Slow tools", "query": "SELECT 1"}), 409)
        == message
    )
    renamed = collector.client.put(
        f"/api/v1/saved-queries/{second['id']}", json={"name": " Slow tools ", "query": "SELECT 1"}
    )
    assert detail(renamed, 409) == message  # surrounding spaces do not make a new name
    assert collector.client.get(f"/api/v1/saved-queries/{first['id']}").json()["name"] == "Slow tools"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("SELEC 1", 400, "not saved: syntax error at line 1"),
        ("DELETE FROM spans", 400, "not saved: DELETE is not allowed"),
        ("SELECT * FROM main.spans", 400, "not saved: qualified table name main.spans is not allowed"),
        ("SELECT pg_sleep(60)", 400, "not saved: function pg_sleep is not allowed"),
        ("SELECT 1" + " " * 100_000, 413, "query is 100,008 characters; the most is 100,000"),
    ],
)
def test_a_query_the_sql_endpoint_would_refuse_is_not_saved(
    collector: RunningCollector, query: str, status: int, message: str
) -> None:
    response = collector.client.post("/api/v1/saved-queries", json={"name": "Bad", "query": query})
    assert detail(response, status).startswith(message)
    assert collector.client.get("/api/v1/saved-queries").json() == {"saved_queries": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "SELECT 1"}, "body.name: Field required"),
        ({"name": "   ", "query": "SELECT 1"}, "body.name: String should have at least 1 character"),
        ({"name": "x" * 201, "query": "SELECT 1"}, "body.name: String should have at most 200 characters"),
        ({"name": "n", "query": "SELECT 1", "chart": {"type": "pie", "x": "a", "y": ["b"]}}, "body.chart.type"),
        ({"name": "n", "query": "SELECT 1", "chart": {"type": "bar", "x": "a", "y": []}}, "body.chart.y"),
        ({"name": "n", "query": "SELECT 1", "owner": "someone"}, "body.owner: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_body_is_a_422_naming_the_field(
    collector: RunningCollector, body: dict[str, Any], field: str
) -> None:
    assert field in detail(collector.client.post("/api/v1/saved-queries", json=body), 422)


def test_another_projects_queries_are_as_missing_as_unsaved_ones(backend: Backend, collector: RunningCollector) -> None:
    store = open_store(backend.url)
    try:
        theirs = store.saved_queries.create("other", SavedQuery("Slow tools", SLOW_TOOLS))
    finally:
        store.close()
    client = collector.client
    assert client.get("/api/v1/saved-queries").json() == {"saved_queries": []}
    mine = save(collector)  # the same name in another project is no conflict
    assert mine["id"] != theirs["id"]
    for response in (
        client.get(f"/api/v1/saved-queries/{theirs['id']}"),
        client.put(f"/api/v1/saved-queries/{theirs['id']}", json={"name": "Mine now", "query": "SELECT 1"}),
        client.delete(f"/api/v1/saved-queries/{theirs['id']}"),
    ):
        assert detail(response, 404) == f"no saved query {theirs['id']!r}"
    store = open_store(backend.url)
    try:
        assert store.saved_queries.get("other", theirs["id"]) == theirs
    finally:
        store.close()


@pytest.mark.postgres
def test_a_database_fault_is_a_503_with_retry_after(postgres_url: str) -> None:
    # The collector's database disappears under it: every read is a transient fault.
    with psycopg.connect(postgres_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/test", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS spanscope_gone WITH (FORCE)")
        admin.execute("CREATE DATABASE spanscope_gone")
        url = postgres_url.rsplit("/", 1)[0] + "/spanscope_gone"
        try:
            with running_collector(url, ingest_workers=0) as collector:
                admin.execute("DROP DATABASE spanscope_gone WITH (FORCE)")
                response = collector.client.get("/api/v1/saved-queries")
                assert detail(response, 503).startswith("database unavailable, retry: postgresql: ")
                assert response.headers["retry-after"] == "1"
                assert collector.client.get("/api/v1/traces").status_code == 503  # any route
        finally:
            admin.execute("DROP DATABASE IF EXISTS spanscope_gone WITH (FORCE)")


def test_the_reference_is_the_documented_views_and_examples(collector: RunningCollector) -> None:
    found = collector.client.get("/api/v1/sql/reference").json()
    assert [view["name"] for view in found["views"]] == list(VIEWS), "every view the sandbox allows, in order"
    spans = found["views"][0]
    assert spans["description"] == "Every span, one row each."
    assert spans["columns"][1] == {"name": "trace_id", "type": "text", "meaning": "The trace the span belongs to."}
    assert len(found["examples"]) == len(reference.examples()) >= 12
    slower = [example for example in found["examples"] if example["question"].startswith("Which tool got slower")]
    assert len(slower) == 1
    assert "FROM tool_calls" in slower[0]["query"]
