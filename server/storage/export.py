"""Every span of a project, read through the ``sql_v1.spans`` view in start time order, as Arrow
tables of at most ``BATCH_SPANS`` rows: the reading side of ``GET /api/v1/export/spans``.

Keyset pagination by (start_time, trace_id, span_id): each batch is one short query that
continues after the last row of the one before, so memory stays bounded whatever the number of
spans, and no transaction stays open while the client reads (a slow reader must not hold back
DuckDB's checkpoints or Postgres's vacuum). Spans stored during an export are included when
they sort after the rows already sent.

The columns are the view's, in its order, with one Arrow type per neutral type of the SQL
endpoint (``server.sql.types``), so an export and ``SELECT * FROM spans`` agree on both
databases. JSON columns travel as JSON text, marked ``json`` in their field metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import duckdb
import psycopg
import pyarrow as pa  # type: ignore[import-untyped]
from psycopg.types.string import TextLoader

from server.sql.types import neutral_type

from .base import Store, TransientStorageError
from .duckdb import DuckDBStore
from .postgres import PostgresStore

BATCH_SPANS = 5_000
JSON_FIELD = {b"type": b"json"}
ARROW_TYPES = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "text": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),
}
# The first batch runs without a lower bound; later ones continue after the last row sent.
# Only these fixed clauses are joined into the query; every value is a bound parameter.
_CLAUSES = {
    "since": "start_time >= {since}",
    "until": "start_time < {until}",
    # The plain bound lets Postgres scan ix_spans_time (project_id, start_time) from there.
    "after_time": "start_time >= {after_time}"
    " AND (start_time, trace_id, span_id) > ({after_time}, {after_trace}, {after_span})",
}


def read_spans(store: Store, project_id: str, since: datetime | None, until: datetime | None) -> Iterator[pa.Table]:
    """The project's spans with ``since <= start_time < until`` (either bound optional), batch by
    batch. The first batch is always yielded, even empty: it carries the schema. Raises
    ``TransientStorageError`` when the database cannot answer."""
    fetch = _fetcher(store)
    bounds: dict[str, Any] = {"project": project_id, "since": since, "until": until}
    while True:
        table = fetch(bounds)
        yield table
        if table.num_rows < BATCH_SPANS:
            return
        last = table.slice(table.num_rows - 1).to_pylist()[0]
        bounds |= {"after_time": last["start_time"], "after_trace": last["trace_id"], "after_span": last["span_id"]}


def _query(bounds: dict[str, Any], placeholder: Callable[[str], str]) -> tuple[str, dict[str, Any]]:
    """The batch query for ``bounds`` (those that are not None), with its parameters."""
    names = {name: placeholder(name) for name in bounds}
    where = [f"project_id = {names['project']}"]
    where += [clause.format(**names) for key, clause in _CLAUSES.items() if bounds.get(key) is not None]
    sql = (
        f"SELECT * FROM sql_v1.spans WHERE {' AND '.join(where)}"
        f" ORDER BY start_time, trace_id, span_id LIMIT {int(BATCH_SPANS)}"
    )
    return sql, {name: value for name, value in bounds.items() if value is not None}


def _schema(columns: list[tuple[str, str]]) -> pa.Schema:
    """(name, backend type) pairs as the export's Arrow schema."""
    fields = []
    for name, backend_type in columns:
        kind = neutral_type(backend_type)
        fields.append(pa.field(name, ARROW_TYPES[kind], metadata=JSON_FIELD if kind == "json" else None))
    return pa.schema(fields)


def _fetcher(store: Store) -> Callable[[dict[str, Any]], pa.Table]:
    # Two concrete stores, as in server.sql.execute: each reads through its own driver.
    if isinstance(store, DuckDBStore):
        return lambda bounds: _duckdb_batch(store, bounds)
    if isinstance(store, PostgresStore):
        return lambda bounds: _postgres_batch(store, bounds)
    raise TypeError(f"export is not supported on {type(store).__name__}")


def _duckdb_batch(store: DuckDBStore, bounds: dict[str, Any]) -> pa.Table:
    sql, parameters = _query(bounds, lambda name: f"${name}")
    try:
        # A pooled connection of its own, as the SQL endpoint's: the writer shares the database.
        with store.engine.connect() as connection:
            driver: Any = connection.connection.driver_connection
            relation = driver.sql(sql, params=parameters)
            schema = _schema(list(zip(relation.columns, (str(kind) for kind in relation.types), strict=True)))
            return relation.to_arrow_table().cast(schema)
    except (duckdb.IOException, duckdb.TransactionException, duckdb.ConnectionException) as error:
        raise TransientStorageError(f"duckdb: {error}") from error


def _postgres_batch(store: PostgresStore, bounds: dict[str, Any]) -> pa.Table:
    sql, parameters = _query(bounds, lambda name: f"%({name})s")
    try:
        with store.engine.connect() as connection:
            driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
            with connection.begin(), driver.cursor() as cursor:
                cursor.adapters.register_loader("json", TextLoader)  # JSON as its text, not parsed
                cursor.execute(sql, parameters)
                rows = cursor.fetchall()
                described = cursor.description or []
                schema = _schema([(column.name, _type_name(driver, column.type_code)) for column in described])
    except (psycopg.OperationalError, psycopg.InterfaceError) as error:
        raise TransientStorageError(f"postgresql: {error}") from error
    columns = [pa.array([row[index] for row in rows], type=field.type) for index, field in enumerate(schema)]
    return pa.Table.from_arrays(columns, schema=schema)


def _type_name(driver: psycopg.Connection[Any], oid: int) -> str:
    info = driver.adapters.types.get(oid)
    return info.name if info is not None else str(oid)
