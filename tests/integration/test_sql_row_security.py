"""Postgres confines user SQL by itself: a query run as a project's role, with the syntax-tree
scoping left out on purpose, still reads only that project's rows, from the views and from
the tables under them; the collector's own role (ingest, the API) reads everything."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from server.model import SpanRecord
from server.sql.roles import role_name
from server.sql.run_postgres import run_postgres
from server.storage import open_store
from server.storage.postgres import PostgresStore
from server.storage.tables import spans
from tests.integration.conftest import Backend


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # DuckDB has no roles: the syntax tree confines
def test_a_projects_role_reads_only_its_rows_whatever_the_query(
    backend: Backend, make_span: Callable[..., SpanRecord]
) -> None:
    store = open_store(backend.url)
    assert isinstance(store, PostgresStore)
    try:
        store.write([make_span(trace=1, project_id="team-a"), make_span(trace=2, project_id="team-b")])
        store.write([make_span(trace=3, project_id="team-b")])
        unscoped = [
            "SELECT project_id, count(*) AS n FROM sql_v1.spans GROUP BY project_id ORDER BY project_id",
            "SELECT project_id, count(*) AS n FROM public.spans GROUP BY project_id ORDER BY project_id",
            "SELECT project_id, count(*) AS n FROM public.traces GROUP BY project_id ORDER BY project_id",
        ]
        for query in unscoped:
            _, rows = run_postgres(store, query, "team-a", 100, 10.0)
            assert rows == [("team-a", 1)], query
            _, rows = run_postgres(store, query, "team-b", 100, 10.0)
            assert rows == [("team-b", 2)], query
        _, rows = run_postgres(store, "SELECT count(*) FROM public.spans", "team-c", 100, 10.0)
        assert rows == [(0,)], "a project with no rows sees none"
        with store.engine.connect() as connection:  # the collector's own role: every project
            assert connection.execute(sa.select(sa.func.count()).select_from(spans)).scalar_one() == 3
            mapped = connection.execute(
                sa.text("SELECT project FROM sql_project_roles WHERE role_name = :name"), {"name": role_name("team-a")}
            ).scalar_one()
        assert mapped == "team-a"
    finally:
        store.close()
