"""Per-project limits on DuckDB and Postgres: spans a second at ingest (429 + Retry-After,
another project unaffected) and SQL queries at once (429 while the project's slots are busy)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from server.storage import open_store
from tests.integration.collector_helpers import RunningCollector, new_trace_id, running_collector, span, traces_request
from tests.integration.conftest import Backend
from tests.integration.sql_corpus import BOMBS


@pytest.fixture
def keys(backend: Backend) -> dict[str, str]:
    store = open_store(backend.url)
    try:
        return {
            name: store.access.create_key(store.access.create_project(name)["id"], "read")[0]
            for name in ("team-a", "team-b")
        }
    finally:
        store.close()


@pytest.fixture
def collector(backend: Backend, keys: dict[str, str]) -> Iterator[RunningCollector]:
    limits = {"ingest_spans_per_second": 10, "sql_concurrency": 1, "sql_time_limit": 3.0}
    with running_collector(backend.url, ingest_workers=0, **limits) as running:
        yield running


def send(collector: RunningCollector, key: str, spans: int) -> httpx.Response:
    trace_id = new_trace_id()
    body = traces_request(*(span(trace_id, f"step {number}") for number in range(spans)))
    return collector.client.post("/v1/traces", json=body, headers={"authorization": f"Bearer {key}"})


def test_a_project_over_its_span_rate_gets_429_and_the_others_do_not(
    collector: RunningCollector, keys: dict[str, str]
) -> None:
    assert send(collector, keys["team-a"], 20).status_code == 200  # a burst of two seconds' worth
    over = send(collector, keys["team-a"], 10)
    assert over.status_code == 429, over.text
    assert 1 <= int(over.headers["retry-after"]) <= 2
    assert "more than 10 spans a second" in over.json()["message"]
    assert send(collector, keys["team-b"], 20).status_code == 200, "another project has its own budget"
    listed = collector.client.get("/api/v1/traces", headers={"authorization": f"Bearer {keys['team-a']}"})
    assert [trace["span_count"] for trace in listed.json()["traces"]] == [20], "the refused request stored nothing"


def test_a_project_runs_one_sql_query_at_a_time_here(collector: RunningCollector, keys: dict[str, str]) -> None:
    assert send(collector, keys["team-a"], 20).status_code == 200  # 20^9 rows to count: stopped at the limit
    headers = {"authorization": f"Bearer {keys['team-a']}"}
    started = threading.Event()
    slow: list[httpx.Response] = []

    def bomb() -> None:
        started.set()
        slow.append(collector.client.post("/api/v1/sql", json={"query": BOMBS[0]}, headers=headers))

    thread = threading.Thread(target=bomb)
    thread.start()
    started.wait()
    refused = None
    for _ in range(50):  # until the bomb holds the slot
        answer = collector.client.post("/api/v1/sql", json={"query": "SELECT count(*) FROM spans"}, headers=headers)
        if answer.status_code == 429:
            refused = answer
            break
    thread.join(30)
    assert refused is not None, "a second query while the first ran was let through"
    assert refused.headers["retry-after"] == "1" and "SQL queries, the most at once" in refused.json()["detail"]
    other = {"authorization": f"Bearer {keys['team-b']}"}
    assert collector.client.post("/api/v1/sql", json={"query": "SELECT 1 AS one"}, headers=other).status_code == 200
    assert slow and slow[0].status_code == 400, "the bomb was stopped at the time limit"
    again = collector.client.post("/api/v1/sql", json={"query": "SELECT count(*) FROM spans"}, headers=headers)
    assert again.status_code == 200 and again.json()["rows"] == [[20]], "the slot is free again"
