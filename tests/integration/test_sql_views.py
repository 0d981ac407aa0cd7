"""The sql_v1 views (migration c0c39d6903c3, docs/sql.md) on real DuckDB and Postgres: their
columns and types as documented, exact values over known spans, and every example query of
docs/sql.md run on both backends with the same answers."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from server.sql import reference
from server.storage import migrate, open_store
from server.storage.urls import engine_url
from tests.integration import sql_views_data
from tests.integration.conftest import DATA_TABLES, Backend

SCHEMA = "sql_v1"

# Each view's columns in order, with their type as one word for both backends.
TEXT, INTEGER, DOUBLE, TIMESTAMP, JSON = "text", "integer", "double", "timestamp", "json"
SPAN_IDS = {"project_id": TEXT, "trace_id": TEXT, "span_id": TEXT, "parent_span_id": TEXT, "name": TEXT}
TIMES = {"start_time": TIMESTAMP, "end_time": TIMESTAMP, "duration_ms": DOUBLE}
TOKENS = {"input_tokens": INTEGER, "output_tokens": INTEGER, "total_tokens": INTEGER}
MORE_TOKENS = {"cache_read_tokens": INTEGER, "cache_write_tokens": INTEGER, "reasoning_tokens": INTEGER}
WHO = {"session_id": TEXT, "user_id": TEXT}
COLUMNS: dict[str, dict[str, str]] = {
    "spans": {
        **SPAN_IDS,
        "kind": TEXT,
        "status": TEXT,
        "status_message": TEXT,
        **TIMES,
        "service_name": TEXT,
        "scope_name": TEXT,
        "model": TEXT,
        "provider": TEXT,
        **TOKENS,
        **MORE_TOKENS,
        "cost_usd": DOUBLE,
        **WHO,
        "tags": JSON,
        "metadata": JSON,
        "input": TEXT,
        "input_mime_type": TEXT,
        "output": TEXT,
        "output_mime_type": TEXT,
        "tool_name": TEXT,
        "attributes": JSON,
        "resource_attributes": JSON,
    },
    "traces": {
        "project_id": TEXT,
        "trace_id": TEXT,
        "root_span_id": TEXT,
        "name": TEXT,
        **TIMES,
        "span_count": INTEGER,
        "error_count": INTEGER,
        **TOKENS,
        "cost_usd": DOUBLE,
        **WHO,
        "tags": JSON,
        "models": JSON,
        "kinds": JSON,
        "input_preview": TEXT,
        "output_preview": TEXT,
    },
    "llm_calls": {
        **SPAN_IDS,
        "status": TEXT,
        "status_message": TEXT,
        **TIMES,
        "service_name": TEXT,
        "model": TEXT,
        "provider": TEXT,
        **TOKENS,
        **MORE_TOKENS,
        "cost_usd": DOUBLE,
        **WHO,
        "tags": JSON,
        "metadata": JSON,
        "input": TEXT,
        "output": TEXT,
        "input_messages": JSON,
        "output_messages": JSON,
    },
    "retrievals": {
        **SPAN_IDS,
        "kind": TEXT,
        "status": TEXT,
        **TIMES,
        **WHO,
        "query": TEXT,
        "rank": INTEGER,
        "document_id": TEXT,
        "score": DOUBLE,
        "content": TEXT,
        "document_metadata": JSON,
    },
    "tool_calls": {
        **SPAN_IDS,
        "tool_name": TEXT,
        "arguments": TEXT,
        "result": TEXT,
        "status": TEXT,
        "status_message": TEXT,
        **TIMES,
        "service_name": TEXT,
        **WHO,
        "tags": JSON,
        "metadata": JSON,
    },
    "sessions": {
        "project_id": TEXT,
        "session_id": TEXT,
        "user_id": TEXT,
        "user_ids": JSON,
        "trace_count": INTEGER,
        "first_start": TIMESTAMP,
        "last_end": TIMESTAMP,
        "duration_ms": DOUBLE,
        "error_count": INTEGER,
        **TOKENS,
        "cost_usd": DOUBLE,
    },
    "span_tags": {"project_id": TEXT, "trace_id": TEXT, "span_id": TEXT, "tag": TEXT},
    "scores": {
        "project_id": TEXT,
        "score_id": TEXT,
        "trace_id": TEXT,
        "span_id": TEXT,
        "name": TEXT,
        "data_type": TEXT,
        "value": DOUBLE,
        "label": TEXT,
        "source": TEXT,
        "comment": TEXT,
        "author": TEXT,
        "run_id": TEXT,
        "config_id": TEXT,
        "created_at": TIMESTAMP,
    },
    "score_configs": {
        "project_id": TEXT,
        "config_id": TEXT,
        "name": TEXT,
        "data_type": TEXT,
        "min_value": DOUBLE,
        "max_value": DOUBLE,
        "categories": JSON,
        "description": TEXT,
        "created_at": TIMESTAMP,
    },
    "datasets": {
        "project_id": TEXT,
        "dataset_id": TEXT,
        "name": TEXT,
        "description": TEXT,
        "metadata": JSON,
        "version": INTEGER,
        "example_count": INTEGER,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "dataset_examples": {
        "project_id": TEXT,
        "dataset_id": TEXT,
        "example_id": TEXT,
        "version_added": INTEGER,
        "version_removed": INTEGER,
        "input": JSON,
        "expected_output": JSON,
        "metadata": JSON,
        "source_trace_id": TEXT,
        "source_span_id": TEXT,
        "created_at": TIMESTAMP,
    },
    "runs": {
        "project_id": TEXT,
        "run_id": TEXT,
        "dataset_id": TEXT,
        "dataset_version": INTEGER,
        "name": TEXT,
        "metadata": JSON,
        "status": TEXT,
        "started_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
    },
    "run_results": {
        "project_id": TEXT,
        "run_id": TEXT,
        "example_id": TEXT,
        "trace_id": TEXT,
        "input": JSON,
        "expected_output": JSON,
        "output": JSON,
        "error": TEXT,
        "latency_ms": DOUBLE,
        "created_at": TIMESTAMP,
    },
}
TYPE_WORDS = {
    "varchar": TEXT,
    "text": TEXT,
    "bigint": INTEGER,
    "double": DOUBLE,
    "double precision": DOUBLE,
    "timestamp with time zone": TIMESTAMP,
    "json": JSON,
}


def populate(url: str) -> None:
    store = open_store(url)
    try:
        store.write(sql_views_data.build())
        store.write_log_messages(sql_views_data.log_messages())
        # DuckDB queues summary changes: traces (and so sql_v1.traces, sql_v1.sessions) show
        # them once folded. The SQL endpoint folds before every query, as the read API does.
        fold = getattr(store, "fold_summaries", None)
        if fold is not None:
            fold()
    finally:
        store.close()
    sql_views_data.write_evaluation(url)


@contextlib.contextmanager
def connected(url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET TimeZone = 'UTC'")  # as the collector's connections
            yield connection
    finally:
        engine.dispose()


@pytest.fixture
def connection(backend: Backend) -> Iterator[sa.Connection]:
    populate(backend.url)
    with connected(backend.url) as connection:
        yield connection


def plain(value: Any) -> Any:
    """A value as both backends' drivers should agree on it: UTC ISO times, rounded floats,
    parsed JSON (DuckDB's driver returns JSON as text, psycopg parses it)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, decimal.Decimal)):
        return round(float(value), 6)
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return plain(json.loads(value))
        except json.JSONDecodeError:
            return value
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def rows(connection: sa.Connection, query: str) -> list[dict[str, Any]]:
    # The driver's own cursor, with no parameters: psycopg would read a "%" in a query as a
    # placeholder, SQLAlchemy's text() a ":name".
    cursor = connection.connection.cursor()
    try:
        cursor.execute(query)
        names = [column[0] for column in cursor.description]
        return [{name: plain(value) for name, value in zip(names, row, strict=True)} for row in cursor.fetchall()]
    finally:
        cursor.close()


def test_every_view_has_its_documented_columns_and_types(connection: sa.Connection) -> None:
    found = rows(
        connection,
        "SELECT table_name, column_name, lower(data_type) AS type FROM information_schema.columns "
        f"WHERE table_schema = '{SCHEMA}' ORDER BY table_name, ordinal_position",
    )
    views: dict[str, dict[str, str]] = {}
    for row in found:
        views.setdefault(row["table_name"], {})[row["column_name"]] = TYPE_WORDS.get(row["type"], row["type"])
    assert views == COLUMNS
    assert {name: list(columns) for name, columns in views.items()} == {
        name: list(columns) for name, columns in COLUMNS.items()
    }
    assert all(next(iter(columns)) == "project_id" for columns in views.values())


def test_spans_keep_every_span_with_its_project(connection: sa.Connection) -> None:
    counts = rows(connection, f"SELECT project_id, count(*) AS spans FROM {SCHEMA}.spans GROUP BY 1 ORDER BY 1")
    assert counts == [{"project_id": "default", "spans": 16}, {"project_id": "other", "spans": 1}]
    [chat] = rows(
        connection,
        f"SELECT * FROM {SCHEMA}.spans WHERE trace_id = '{1:032x}' AND kind = 'llm'",
    )
    start = dt.datetime.fromtimestamp(sql_views_data.today_ns() / 1e9 + 60.1, dt.timezone.utc)
    assert chat == {
        "project_id": "default",
        "trace_id": f"{1:032x}",
        "span_id": f"{4:016x}",
        "parent_span_id": f"{1:016x}",
        "name": "chat",
        "kind": "llm",
        "status": "ok",
        "status_message": None,
        "start_time": start.isoformat(),
        "end_time": (start + dt.timedelta(milliseconds=700)).isoformat(),
        "duration_ms": 700.0,
        "service_name": "support",
        "scope_name": None,
        "model": "gpt-4o",
        "provider": "openai",
        "input_tokens": 100,
        "output_tokens": 20,
        "total_tokens": 120,
        "cache_read_tokens": None,
        "cache_write_tokens": None,
        "reasoning_tokens": None,
        "cost_usd": 0.01,
        "session_id": "s1",
        "user_id": "u1",
        "tags": ["prompt:v1"],
        "metadata": {},
        "input": "Where is order 7?",
        "input_mime_type": None,
        "output": "It shipped.",
        "output_mime_type": None,
        "tool_name": None,
        "attributes": {},
        "resource_attributes": {},
    }


def test_traces_are_the_folded_summaries(connection: sa.Connection) -> None:
    found = rows(
        connection,
        "SELECT trace_id, name, span_count, error_count, total_tokens, cost_usd, session_id, tags, models "
        f"FROM {SCHEMA}.traces WHERE project_id = 'default' ORDER BY trace_id",
    )
    assert found == [
        {
            "trace_id": f"{1:032x}",
            "name": "answer",
            "span_count": 4,
            "error_count": 0,
            "total_tokens": 120,
            "cost_usd": 0.01,
            "session_id": "s1",
            "tags": ["prompt:v1"],
            "models": ["gpt-4o"],
        },
        {
            "trace_id": f"{2:032x}",
            "name": "answer",
            "span_count": 5,
            "error_count": 1,
            "total_tokens": 170,
            "cost_usd": 0.009,
            "session_id": "s1",
            "tags": ["prompt:v2"],
            "models": ["gpt-4o"],
        },
        {
            "trace_id": f"{3:032x}",
            "name": "answer",
            "span_count": 4,
            "error_count": 1,
            "total_tokens": 340,
            "cost_usd": 0.02,
            "session_id": "s2",
            "tags": ["beta", "prompt:v1"],
            "models": ["claude-sonnet-4"],
        },
        {
            "trace_id": f"{4:032x}",
            "name": "answer",
            "span_count": 3,
            "error_count": 0,
            "total_tokens": 60,
            "cost_usd": 0.003,
            "session_id": None,
            "tags": ["prompt:v1"],
            "models": ["gpt-4o"],
        },
    ]


def test_llm_calls_are_the_llm_spans_with_their_messages(connection: sa.Connection) -> None:
    found = rows(
        connection,
        f"SELECT trace_id, status, model, output, input_messages, output_messages FROM {SCHEMA}.llm_calls "
        "ORDER BY start_time",
    )
    assert [(row["model"], row["status"], row["output"]) for row in found] == [
        ("gpt-4o", "ok", "Soon."),
        ("gpt-4o", "ok", "It shipped."),
        ("gpt-4o", "error", ""),
        ("gpt-4o", "ok", ""),
        ("claude-sonnet-4", "ok", "Too late to cancel."),
    ]
    assert found[1]["input_messages"] == [{"role": "user", "parts": [{"type": "text", "content": "Where is order 7?"}]}]
    assert found[1]["output_messages"] == [{"role": "assistant", "parts": [{"type": "text", "content": "It shipped."}]}]
    # Messages that arrived as log events, in event order, when the span had none of its own.
    assert found[0]["input_messages"] == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Where is order 5?"}]},
    ]
    assert found[0]["output_messages"] == [{"role": "assistant", "parts": [{"type": "text", "content": "Soon."}]}]


def test_retrievals_have_one_row_per_document_in_rank_order(connection: sa.Connection) -> None:
    found = rows(
        connection,
        f"SELECT name, kind, query, rank, document_id, score, content, document_metadata FROM {SCHEMA}.retrievals "
        "ORDER BY start_time, rank",
    )
    assert found == [
        {
            "name": "search",
            "kind": "retriever",
            "query": "order 7",
            "rank": 1,
            "document_id": "doc-a",
            "score": 0.9,
            "content": "Orders ship in 2 days.",
            "document_metadata": {"source": "kb/doc-a"},
        },
        {
            "name": "search",
            "kind": "retriever",
            "query": "order 7",
            "rank": 2,
            "document_id": "doc-b",
            "score": 0.5,
            "content": "Returns take 5 days.",
            "document_metadata": {"source": "kb/doc-b"},
        },
        {
            "name": "search",
            "kind": "retriever",
            "query": "return",
            "rank": 1,
            "document_id": "doc-b",
            "score": 0.8,
            "content": "Returns take 5 days.",
            "document_metadata": {"source": "kb/doc-b"},
        },
        {
            "name": "rerank",
            "kind": "reranker",
            "query": "cancel",
            "rank": 1,
            "document_id": "doc-c",
            "score": 0.95,
            "content": "Cancel within an hour.",
            "document_metadata": {"source": "kb/doc-c"},
        },
        {
            "name": "rerank",
            "kind": "reranker",
            "query": "cancel",
            "rank": 2,
            "document_id": "doc-a",
            "score": 0.2,
            "content": "Orders ship in 2 days.",
            "document_metadata": {"source": "kb/doc-a"},
        },
    ]


def test_tool_calls_have_their_arguments_and_results(connection: sa.Connection) -> None:
    found = rows(
        connection,
        f"SELECT tool_name, arguments, result, status, status_message, duration_ms, session_id "
        f"FROM {SCHEMA}.tool_calls ORDER BY start_time",
    )
    assert found == [
        {
            "tool_name": "lookup_order",
            "arguments": {"order_id": 5},
            "result": {"status": "late"},
            "status": "ok",
            "status_message": None,
            "duration_ms": 20.0,
            "session_id": None,
        },
        {
            "tool_name": "lookup_order",
            "arguments": {"order_id": 7},
            "result": {"status": "shipped"},
            "status": "ok",
            "status_message": None,
            "duration_ms": 30.0,
            "session_id": "s1",
        },
        {
            "tool_name": "lookup_order",
            "arguments": {"order_id": 8},
            "result": {"status": "delivered"},
            "status": "ok",
            "status_message": None,
            "duration_ms": 300.0,
            "session_id": "s1",
        },
        {
            "tool_name": "cancel_order",
            "arguments": {"order_id": 9},
            "result": None,
            "status": "error",
            "status_message": "too late",
            "duration_ms": 60.0,
            "session_id": "s2",
        },
    ]


def test_sessions_summarize_their_traces(connection: sa.Connection) -> None:
    today = dt.datetime.fromtimestamp(sql_views_data.today_ns() / 1e9, dt.timezone.utc)
    found = rows(connection, f"SELECT * FROM {SCHEMA}.sessions ORDER BY session_id")
    assert found == [
        {
            "project_id": "default",
            "session_id": "s1",
            "user_id": "u1",
            "user_ids": ["u1"],
            "trace_count": 2,
            "first_start": (today + dt.timedelta(seconds=60)).isoformat(),
            "last_end": (today + dt.timedelta(seconds=122)).isoformat(),
            "duration_ms": 2900.0,
            "error_count": 1,
            "input_tokens": 270,
            "output_tokens": 20,
            "total_tokens": 290,
            "cost_usd": 0.019,
        },
        {
            "project_id": "default",
            "session_id": "s2",
            "user_id": "u2",
            "user_ids": ["u2"],
            "trace_count": 1,
            "first_start": (today + dt.timedelta(seconds=180)).isoformat(),
            "last_end": (today + dt.timedelta(seconds=181.5)).isoformat(),
            "duration_ms": 1500.0,
            "error_count": 1,
            "input_tokens": 300,
            "output_tokens": 40,
            "total_tokens": 340,
            "cost_usd": 0.02,
        },
    ]


def test_span_tags_have_one_row_per_tag(connection: sa.Connection) -> None:
    found = rows(connection, f"SELECT tag, count(*) AS spans FROM {SCHEMA}.span_tags GROUP BY tag ORDER BY tag")
    assert found == [{"tag": "beta", "spans": 4}, {"tag": "prompt:v1", "spans": 11}, {"tag": "prompt:v2", "spans": 5}]


def documented_columns() -> dict[str, dict[str, str]]:
    """Each view's table in docs/sql.md: its columns in order, with their types."""
    types = {"timestamp with time zone": TIMESTAMP}
    return {
        view.name: {column.name: types.get(column.type, column.type) for column in view.columns}
        for view in reference.views()
    }


def test_docs_describe_every_column_of_every_view() -> None:
    documented = documented_columns()
    assert documented == COLUMNS
    assert {view: list(columns) for view, columns in documented.items()} == {
        view: list(columns) for view, columns in COLUMNS.items()
    }


def examples() -> list[tuple[str, str]]:
    """Each example of docs/sql.md: the question (its heading) and its query."""
    return [(example.question, example.query) for example in reference.examples()]


def in_schema(query: str) -> exp.Expr:
    """The query with every view name qualified by the schema, as the SQL endpoint reads them."""
    tree = sqlglot.parse_one(query, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.name in COLUMNS and not table.db:
            table.set("db", exp.to_identifier(SCHEMA))
    return tree


def test_docs_have_a_dozen_examples() -> None:
    assert len(examples()) >= 12


@pytest.mark.postgres
@pytest.mark.parametrize(("question", "query"), examples(), ids=[question for question, _ in examples()])
def test_every_documented_example_gives_the_same_rows_on_both_backends(
    question: str, query: str, tmp_path: Path, postgres_url: str
) -> None:
    duckdb_url = f"duckdb:///{tmp_path / 'spanscope.duckdb'}"
    for url in (duckdb_url, postgres_url):
        migrate.upgrade(url)
    with connected(postgres_url) as connection:
        connection.exec_driver_sql(f"TRUNCATE {', '.join(DATA_TABLES)}")
        connection.commit()
    tree = in_schema(query)
    answers = []
    for url, dialect in ((duckdb_url, "duckdb"), (postgres_url, "postgres")):
        populate(url)
        with connected(url) as connection:
            answers.append(rows(connection, tree.sql(dialect=dialect)))
    on_duckdb, on_postgres = answers
    assert on_duckdb, f"{question}: no rows on DuckDB"
    if "ORDER BY" not in query.rsplit(")", 1)[-1]:
        on_duckdb.sort(key=repr)
        on_postgres.sort(key=repr)
    assert on_postgres == on_duckdb


def schemas(url: str) -> set[str]:
    with connected(url) as connection:
        return {row["schema_name"] for row in rows(connection, "SELECT schema_name FROM information_schema.schemata")}


def test_downgrading_drops_the_views_and_upgrading_restores_them(backend: Backend) -> None:
    migrate.downgrade(backend.url, "d0b8d457cb5e")  # the revision before sql_v1
    assert SCHEMA not in schemas(backend.url)
    migrate.upgrade(backend.url)
    populate(backend.url)
    with connected(backend.url) as connection:
        assert rows(connection, f"SELECT count(*) AS spans FROM {SCHEMA}.spans") == [{"spans": 17}]
