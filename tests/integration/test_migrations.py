"""The migration history runs on both databases, down and up again, and leaves Postgres exactly
as ``server/storage/tables.py`` describes it (the drift check: a table change without a revision
fails here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.model import DEFAULT_PROJECT, SpanRecord
from server.storage import TraceFilter, migrate, open_store
from server.storage.tables import metadata
from server.storage.urls import engine_url
from tests.integration.conftest import Backend


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_down_to_base_and_up_again(backend: Backend, make_span: Callable[..., SpanRecord]) -> None:
    head = migrate.head()
    assert head is not None
    assert migrate.current(backend.url) == head
    assert {"projects", "spans", "traces"} <= table_names(backend.url)

    migrate.downgrade(backend.url, "base")
    assert migrate.current(backend.url) is None
    assert table_names(backend.url) <= {"alembic_version"}

    migrate.upgrade(backend.url)
    assert migrate.current(backend.url) == head
    migrate.upgrade(backend.url)  # at head already: nothing to do
    store = open_store(backend.url)
    try:
        store.write([make_span()])
        assert len(store.list_traces(DEFAULT_PROJECT, TraceFilter(), limit=10, cursor=None).traces) == 1
    finally:
        store.close()


def test_the_default_project_exists(backend: Backend) -> None:
    engine = sa.create_engine(engine_url(backend.url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, name FROM projects")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(DEFAULT_PROJECT, DEFAULT_PROJECT)]


def differences(url: str, target: sa.MetaData) -> list[Any]:
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_schema_matches_tables_py(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    assert differences(postgres_url, metadata) == []


@pytest.mark.postgres
def test_the_drift_check_sees_a_change(postgres_url: str) -> None:
    # Guards the guard: a column added to the tables without a revision is reported.
    migrate.upgrade(postgres_url)
    changed = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["spans"].append_column(sa.Column("new_column", sa.Text()))
    assert [difference[0] for difference in differences(postgres_url, changed)] == ["add_column"]


def spans_columns_read_by_metrics() -> set[str]:
    from sqlalchemy.sql.visitors import iterate

    from server.storage import metrics
    from server.storage.tables import spans

    read = set()
    for query in (metrics.by_model("p", None, None, 60), metrics.by_span_name("p", None, None)):
        for element in iterate(query):
            if isinstance(element, sa.Column) and element.table is spans:
                read.add(element.name)
    return read


@pytest.mark.postgres
def test_the_postgres_time_index_holds_every_column_the_metrics_read(postgres_url: str) -> None:
    # The drift check compares key columns only, not INCLUDE ones; and a column the metrics read
    # that the index lacks would send Postgres back to the table (1.05 s instead of 0.69 at 1M).
    migrate.upgrade(postgres_url)
    engine = sa.create_engine(engine_url(postgres_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            definition = connection.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_spans_time'")
            ).scalar_one()
    finally:
        engine.dispose()
    keys, included = definition.split("(", 1)[1].split(") INCLUDE (")
    indexed = {name.strip() for name in (keys + "," + included.rstrip(")")).split(",")}
    declared = next(index for index in metadata.tables["spans"].indexes if index.name == "ix_spans_time")
    assert indexed == {"project_id", "start_time", *declared.dialect_options["postgresql"]["include"]}
    assert spans_columns_read_by_metrics() == indexed
