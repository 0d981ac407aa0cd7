"""Integration fixtures: real DuckDB and real Postgres, no mocks.

``backend`` runs a test once per database: DuckDB in a file under tmp_path, Postgres in a
database created for the test session (``spanscope_test_<random>``, dropped afterwards). Both
arrive migrated to head and empty. Postgres missing skips, or fails under
SPANSCOPE_REQUIRE_POSTGRES=1 (see tests/conftest.py).
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from server.model import SpanRecord
from server.storage import Store, migrate, open_store
from tests.conftest import missing_dependency

POSTGRES_SERVER = os.environ.get("SPANSCOPE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
T0_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class Backend:
    name: str  # "duckdb" or "postgres"
    url: str


# Every table that holds a project's data; the Postgres database is shared by the session's tests.
DATA_TABLES = (
    "spans",
    "traces",
    "span_log_messages",
    "saved_queries",
    "score_configs",
    "scores",
    "datasets",
    "dataset_examples",
    "runs",
    "run_results",
    "api_keys",
    "project_retention",
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, unmigrated database for the test session."""
    name = f"spanscope_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(f"{POSTGRES_SERVER}/test", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        missing_dependency("postgres", f"cannot connect to {POSTGRES_SERVER}/test: {error}")
        raise  # unreachable: missing_dependency skips or fails
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"postgresql+psycopg://{POSTGRES_SERVER.split('://', 1)[1]}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """A database migrated to head holding no data (``DATA_TABLES`` are empty)."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'spanscope.duckdb'}"
        migrate.upgrade(url)
        return Backend("duckdb", url)
    url = request.getfixturevalue("postgres_url")
    migrate.upgrade(url)  # a no-op when an earlier test left it at head
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f"TRUNCATE {', '.join(DATA_TABLES)}")
        connection.execute("DELETE FROM projects WHERE id <> 'default'")  # the migration's own row stays
    return Backend("postgres", url)


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    store = open_store(backend.url)
    yield store
    store.close()


@pytest.fixture
def make_span() -> Callable[..., SpanRecord]:
    """A SpanRecord factory: incrementing span IDs, start times 1 ms apart from T0_NS."""
    counter = itertools.count(1)

    def make(trace: int | str = 1, parent: str | None = None, **fields: Any) -> SpanRecord:
        number = next(counter)
        trace_id = trace if isinstance(trace, str) else f"{trace:032x}"
        start = fields.pop("start_time_ns", T0_NS + number * 1_000_000)
        values: dict[str, Any] = {
            "project_id": "default",
            "trace_id": trace_id,
            "span_id": f"{number:016x}",
            "parent_span_id": parent,
            "name": f"span {number}",
            "kind": "span",
            "status": "ok",
            "status_message": None,
            "start_time_ns": start,
            "end_time_ns": start + 500_000,
        }
        values.update(fields)
        return SpanRecord(**values)

    return make
