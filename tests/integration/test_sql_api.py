"""POST /api/v1/sql on both backends, over real sockets, with auth on and a read key of the
data's project: ordinary queries give the same answer on DuckDB and Postgres, no query reaches
another project, every adversarial query is refused with its construct named or stopped at a
limit, the database is left as it was, and the collector keeps answering while a query runs to
its time limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from server.sql import run_postgres
from server.storage import open_store
from server.storage.urls import engine_url
from tests.integration import sql_views_data
from tests.integration.collector_helpers import RunningCollector, new_trace_id, running_collector, span, traces_request
from tests.integration.sql_corpus import BOMBS, REFUSED

TIME_LIMIT_S = 1.0
# Tables the corpus must leave as they are (and the catalog: no table or view added or dropped).
TABLES = ("spans", "traces", "span_log_messages")


def read_key(url: str) -> str:
    """A read key of the project the stored data is in (the other project's rows must stay hidden)."""
    store = open_store(url)
    try:
        return store.access.create_key("default", "read", "sql tests")[0]
    finally:
        store.close()


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def collector(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    url = sql_views_data.stored_database(request.param, tmp_path_factory, request)
    with running_collector(url, ingest_workers=0, sql_time_limit=TIME_LIMIT_S, auth=True) as running:
        running.app.state.test_url = url
        running.client.headers["authorization"] = f"Bearer {read_key(url)}"
        yield running


def sql(collector: RunningCollector, query: str, **body: Any) -> dict[str, Any]:
    response = collector.client.post("/api/v1/sql", json={"query": query, **body})
    assert response.status_code == 200, f"{query}: {response.status_code} {response.text}"
    result: dict[str, Any] = response.json()
    return result


def refusal(collector: RunningCollector, query: str) -> str:
    response = collector.client.post("/api/v1/sql", json={"query": query})
    assert response.status_code == 400, f"{query}: {response.status_code} {response.text}"
    detail: str = response.json()["detail"]
    return detail


def snapshot(url: str) -> dict[str, Any]:
    """Row counts of the stored tables and the names in the catalog."""
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES
            }
            names = connection.execute(
                sa.text("SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2")
            ).all()
    finally:
        engine.dispose()
    return {"counts": counts, "catalog": [tuple(name) for name in names if name[0] != "pg_catalog"]}


# Ordinary queries, compared across backends by test_the_same_query_answers_the_same_on_both.
ORDINARY = [
    "SELECT kind, count(*) AS spans FROM spans GROUP BY kind ORDER BY kind",
    "SELECT name, span_count, error_count, total_tokens FROM traces ORDER BY trace_id",
    "SELECT model, sum(input_tokens) AS input, round(avg(duration_ms), 3) AS ms FROM llm_calls"
    " GROUP BY model ORDER BY model",
    "SELECT document_id, rank, score FROM retrievals ORDER BY trace_id, span_id, rank",
    "SELECT tool_name, status, arguments FROM tool_calls ORDER BY start_time, span_id",
    "SELECT session_id, trace_count, user_ids FROM sessions ORDER BY session_id",
    "WITH t AS (SELECT trace_id, count(*) AS n FROM spans GROUP BY trace_id)"
    " SELECT max(n) AS most, min(n) AS least FROM t",
    "SELECT s.name, t.name AS trace FROM spans AS s JOIN traces AS t USING (trace_id)"
    " WHERE s.status = 'error' ORDER BY s.span_id",
    "SELECT name FROM spans WHERE kind = 'llm' UNION SELECT name FROM traces ORDER BY name",
    "SELECT name, attributes ->> '$.missing' AS missing, coalesce(model, '-') AS model,"
    " CASE WHEN duration_ms > 100 THEN 'slow' ELSE 'fast' END AS speed FROM spans ORDER BY span_id LIMIT 5",
    "SELECT span_id, start_time, CAST(start_time AS DATE) AS day, end_time - start_time AS took, tags"
    " FROM spans ORDER BY span_id LIMIT 4",
    "SELECT date_trunc('day', start_time) = date_trunc('day', now()) AS today, count(*) AS n FROM spans"
    " GROUP BY 1 ORDER BY 1",
]


@pytest.mark.postgres
def test_the_same_query_answers_the_same_on_both(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> None:
    answers = {}
    for backend in ("duckdb", "postgres"):
        url = sql_views_data.stored_database(backend, tmp_path_factory, request)
        with running_collector(url, ingest_workers=0) as running:
            answers[backend] = [
                {key: sql(running, query)[key] for key in ("columns", "rows", "truncated")} for query in ORDINARY
            ]
    for query, on_duckdb, on_postgres in zip(ORDINARY, answers["duckdb"], answers["postgres"], strict=True):
        assert on_duckdb["rows"], query  # an empty answer would match trivially
        assert on_duckdb == on_postgres, query


def test_a_result_has_typed_columns_rows_and_its_dialect(collector: RunningCollector) -> None:
    result = sql(collector, "SELECT name, duration_ms, start_time, attributes, status = 'ok' AS ok FROM spans LIMIT 1")
    assert [column["type"] for column in result["columns"]] == ["text", "number", "timestamp", "json", "boolean"]
    assert result["row_count"] == 1 and len(result["rows"]) == 1
    assert result["dialect"] == "duckdb"
    assert result["elapsed_ms"] >= 0


@pytest.mark.parametrize(
    "query",
    [
        "SELECT DISTINCT project_id FROM spans",
        "SELECT DISTINCT project_id FROM spans WHERE project_id = 'other' OR true",
        "SELECT project_id FROM traces UNION SELECT project_id FROM sessions UNION SELECT project_id FROM llm_calls"
        " UNION SELECT project_id FROM retrievals UNION SELECT project_id FROM tool_calls"
        " UNION SELECT project_id FROM span_tags",
        "WITH o AS (SELECT * FROM spans WHERE project_id <> 'default') SELECT DISTINCT project_id FROM spans"
        " UNION ALL SELECT project_id FROM o",
        "SELECT DISTINCT x.project_id FROM spans AS x(project_id)",
    ],
)
def test_no_query_returns_another_projects_rows(collector: RunningCollector, query: str) -> None:
    result = sql(collector, query)
    assert {row[0] for row in result["rows"]} == {"default"}, query


def test_the_other_project_has_rows_to_hide(collector: RunningCollector) -> None:
    # Without this, the test above would pass on a database with one project.
    counts = snapshot(collector.app.state.test_url)["counts"]
    engine = sa.create_engine(engine_url(collector.app.state.test_url), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        other = connection.execute(sa.text("SELECT count(*) FROM spans WHERE project_id = 'other'")).scalar_one()
    engine.dispose()
    assert other > 0 and counts["spans"] > other


@pytest.mark.parametrize(("query", "named"), REFUSED, ids=[query[:60] for query, _ in REFUSED])
def test_an_adversarial_query_is_refused_by_name(collector: RunningCollector, query: str, named: str) -> None:
    before = snapshot(collector.app.state.test_url)
    assert named.lower() in refusal(collector, query).lower()
    assert snapshot(collector.app.state.test_url) == before


def test_the_corpus_is_large() -> None:
    assert len(REFUSED) + len(BOMBS) >= 40


def test_comments_cannot_smuggle_a_statement(collector: RunningCollector) -> None:
    before = snapshot(collector.app.state.test_url)
    result = sql(collector, "SELECT 1 AS x -- */ ; DELETE FROM spans")
    assert result["rows"] == [[1]]
    assert snapshot(collector.app.state.test_url) == before


@pytest.mark.parametrize("query", BOMBS)
def test_a_bomb_is_stopped_while_the_collector_answers(collector: RunningCollector, query: str) -> None:
    before = snapshot(collector.app.state.test_url)
    outcome: dict[str, Any] = {}

    def bomb() -> None:
        started = time.monotonic()
        outcome["response"] = collector.client.post("/api/v1/sql", json={"query": query})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=bomb)
    thread.start()
    time.sleep(TIME_LIMIT_S / 3)
    started = time.monotonic()
    collector.health()
    health_seconds = time.monotonic() - started
    thread.join(30)
    response = outcome["response"]
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    # Stopped at the time limit, or (DuckDB's recursive CTE) at the memory limit first.
    assert f"time limit of {TIME_LIMIT_S:g} s" in detail or "memory" in detail.lower(), detail
    assert outcome["seconds"] < TIME_LIMIT_S * 2 + 2
    assert health_seconds < 2.0
    assert sql(collector, "SELECT count(*) AS n FROM spans")["rows"][0][0] > 0  # the next query works
    assert snapshot(collector.app.state.test_url) == before


def test_rows_are_capped_and_truncation_flagged(collector: RunningCollector) -> None:
    total = sql(collector, "SELECT count(*) FROM spans")["rows"][0][0]
    capped = sql(collector, "SELECT span_id FROM spans ORDER BY span_id", limit=total - 1)
    assert (capped["row_count"], capped["truncated"]) == (total - 1, True)
    whole = sql(collector, "SELECT span_id FROM spans ORDER BY span_id", limit=total)
    assert (whole["row_count"], whole["truncated"]) == (total, False)
    assert whole["rows"][: total - 1] == capped["rows"]


def test_bad_requests_get_their_status(collector: RunningCollector) -> None:
    syntax = collector.client.post("/api/v1/sql", json={"query": "SELECT name\nFROM spans WHERE"})
    assert syntax.status_code == 400 and "line 2, column 16" in syntax.json()["detail"]
    oversized = collector.client.post("/api/v1/sql", json={"query": "SELECT 1" + " " * 100_000})
    assert oversized.status_code == 413
    assert collector.client.post("/api/v1/sql", json={"query": "SELECT 1", "limit": 10_001}).status_code == 422
    unknown = collector.client.post("/api/v1/sql", json={"query": "SELECT no_such_column FROM spans"})
    assert unknown.status_code == 400 and "no_such_column" in unknown.json()["detail"]


def test_the_default_row_limit_is_a_setting(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'spanscope.duckdb'}"
    with running_collector(url, ingest_workers=0, sql_row_limit=3) as running:
        result = sql(running, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4")
    assert (result["row_count"], result["truncated"]) == (3, True)


# Past the memory cap: one string of 4,913 x 100 KB (491 MB), which cannot spill; and a GROUP BY
# of 1.4M distinct 200-byte keys (about 280 MB), which spills until the disk cap stops it.
HUNGRY = "SELECT length(string_agg(lpad(a.name, 100000, 'x'), ',')) AS n FROM spans a, spans b, spans c"
SPILLING = (
    "SELECT count(*) AS n FROM (SELECT lpad(a.span_id || b.span_id || c.span_id || d.span_id || e.span_id, 200, 'y')"
    " AS k, count(*) AS c FROM spans a, spans b, spans c, spans d, spans e GROUP BY k) AS t"
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (HUNGRY, "the query needed more memory than the limit (memory_limit 64MB, shared with the collector)"),
        (SPILLING, "more disk to spill to than the limit (max_temp_directory_size 16MB)"),
    ],
    ids=["memory", "spill"],
)
def test_duckdb_a_query_past_the_memory_cap_is_stopped_and_the_collector_goes_on(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, query: str, expected: str
) -> None:
    # Caps lowered through the URL, as an operator would, so that a small query passes them.
    url = (
        sql_views_data.stored_database("duckdb", tmp_path_factory, request)
        + "?memory_limit=64MB&max_temp_directory_size=16MB"
    )
    with running_collector(url, ingest_workers=0, sql_time_limit=30.0) as running:
        before = sql(running, "SELECT count(*) FROM spans")["rows"][0][0]
        response = running.client.post("/api/v1/sql", json={"query": query})
        assert response.status_code == 400, response.text
        assert expected in response.json()["detail"]
        running.health()
        ingested = running.post_json(traces_request(span(new_trace_id())))
        assert ingested.status_code == 200, ingested.text
        assert sql(running, "SELECT count(*) FROM spans")["rows"][0][0] == before + 1


@pytest.fixture(scope="module")
def postgres_collector(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCollector]:
    url = sql_views_data.stored_database("postgres", tmp_path_factory, request)
    with running_collector(url, ingest_workers=0, auth=True) as running:
        running.app.state.test_url = url
        running.client.headers["authorization"] = f"Bearer {read_key(url)}"
        yield running


@pytest.mark.postgres
def test_postgres_a_query_past_the_spill_cap_is_stopped(
    postgres_collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector = postgres_collector
    # Caps lowered so that a small sort (83,521 rows of about 100 bytes) spills past them.
    monkeypatch.setattr(run_postgres, "WORK_MEM", "64kB")
    monkeypatch.setattr(run_postgres, "TEMP_FILE_LIMIT", "1MB")
    query = (
        "SELECT max(k) AS k FROM (SELECT row_number() OVER (ORDER BY lpad(a.span_id || b.span_id || c.span_id"
        " || d.span_id, 100, 'y')) AS k FROM spans a, spans b, spans c, spans d) AS t"
    )
    response = collector.client.post("/api/v1/sql", json={"query": query})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "the query needed more memory than the limit (work_mem 64kB per sort or hash)" in detail
    assert "temp_file_limit (1024kB)" in detail
    monkeypatch.undo()
    assert sql(collector, query)["rows"][0][0] == 16**4  # the same query, under the real caps


@pytest.mark.postgres
def test_postgres_a_lost_connection_is_a_503_to_retry(postgres_collector: RunningCollector) -> None:
    collector = postgres_collector
    outcome: dict[str, Any] = {}

    def long_query() -> None:
        outcome["response"] = collector.client.post("/api/v1/sql", json={"query": BOMBS[0]})

    thread = threading.Thread(target=long_query)
    thread.start()
    url = collector.app.state.test_url.replace("+psycopg", "")
    # The database server drops the query's connection (a restart or failover looks the same).
    with psycopg.connect(url, autocommit=True) as admin:
        deadline = time.monotonic() + 10
        while not admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
        ).fetchall():
            assert time.monotonic() < deadline, "the query never started"
            time.sleep(0.02)
    thread.join(30)
    response = outcome["response"]
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert response.json()["detail"].startswith("database unavailable, retry: postgresql: terminating connection")
    assert sql(collector, "SELECT count(*) AS n FROM spans")["rows"] == [[16]]  # the retry works
