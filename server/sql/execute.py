"""The SQL endpoint's pipeline: parse, check, scope to the project, transpile, run with limits.

>>> result = run_query(store, "SELECT count(*) AS n FROM spans", "default", 10, 5.0)  # doctest: +SKIP
>>> result.columns, result.rows  # doctest: +SKIP
([Column(name='n', type='integer')], [[42]])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from server.storage.base import Store
from server.storage.duckdb import DuckDBStore
from server.storage.postgres import PostgresStore

from .errors import SqlFailedError
from .parse import parse_statement
from .policy import check
from .run_duckdb import Fetched, run_duckdb
from .run_postgres import run_postgres
from .scope import scope_to_project
from .types import json_values, neutral_type


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # backend-neutral: integer, number, text, boolean, timestamp, date, interval, json...


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[Column]
    rows: list[list[Any]]
    truncated: bool  # more rows than the limit: the first ``limit`` are in ``rows``
    elapsed_ms: float


def prepare(query: str, project_id: str) -> exp.Expr:
    """The syntax tree to run: one checked statement, every view scoped to ``project_id``."""
    tree = parse_statement(query)
    scope_to_project(check(tree), project_id)
    return tree


def run_query(store: Store, query: str, project_id: str, limit: int, time_limit_s: float) -> QueryResult:
    """Run ``query`` (DuckDB dialect) on ``store`` for ``project_id``: at most ``limit`` rows,
    stopped after ``time_limit_s``. Raises ``SqlError`` (refused, syntax, time limit, failed)
    or ``TransientStorageError``."""
    started = time.monotonic()
    tree = prepare(query, project_id)
    fetched = _run(store, tree, project_id, limit + 1, time_limit_s)
    names_and_types, rows = fetched
    columns = [Column(name, neutral_type(kind)) for name, kind in names_and_types]
    kinds = [column.type for column in columns]
    return QueryResult(
        columns=columns,
        rows=[json_values(kinds, row) for row in rows[:limit]],
        truncated=len(rows) > limit,
        elapsed_ms=round((time.monotonic() - started) * 1000, 3),
    )


def _run(store: Store, tree: exp.Expr, project_id: str, max_rows: int, time_limit_s: float) -> Fetched:
    # comments=False: sqlglot writes a line comment back as /* ... */ (escaping "*/" in it); with
    # no comments in the text the database runs, none can hide or end a statement.
    # Two concrete stores, so isinstance rather than the backend name: each runner needs its
    # store's type (the DuckDB one folds summaries first).
    if isinstance(store, DuckDBStore):
        return run_duckdb(store, tree.sql(dialect="duckdb", comments=False), max_rows, time_limit_s)
    if isinstance(store, PostgresStore):
        return run_postgres(store, tree.sql(dialect="postgres", comments=False), project_id, max_rows, time_limit_s)
    raise SqlFailedError(f"SQL is not supported on {type(store).__name__}")
