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
