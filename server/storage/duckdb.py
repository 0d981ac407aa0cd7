"""The DuckDB backend: the embedded default (``duckdb:///path/spanscope.duckdb``).

Only one process may open the file (ARCHITECTURE.md decision 6). Inside it, each pooled
SQLAlchemy connection is its own ``duckdb.connect(path)``, which DuckDB's instance cache maps
onto the one open database: so the writer thread and API request threads never share a
connection object (which is not thread-safe), and a read sees the last committed snapshot while a
write transaction runs (MVCC).

Writes go through Arrow (decision 5): ``executemany`` runs at about 1k rows/s on DuckDB.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

from server.model import SpanRecord

from .base import PreparedBatch
from .batch import SPAN_COLUMNS, ColumnKind, span_columns
from .delta import DELTA_COLUMNS, trace_deltas
from .sqlstore import SqlStore, unwrap
from .summary import merge_sql_duckdb
from .urls import assert_never

_TRANSIENT = (duckdb.IOException, duckdb.TransactionException, duckdb.ConnectionException)


def _arrow_type(kind: ColumnKind) -> pa.DataType:
    if kind == "text" or kind == "json":  # noqa: PLR1714  (`in` would not narrow the Literal for assert_never)
        return pa.string()
    if kind == "integer":
        return pa.int64()
    if kind == "float":
        return pa.float64()
    if kind == "time":
        # Integer microseconds are read as-is: no conversion through Python datetimes.
        return pa.timestamp("us", tz="UTC")
    assert_never(kind)


def _select_expression(name: str, kind: ColumnKind) -> str:
    return f'CAST("{name}" AS JSON)' if kind == "json" else f'"{name}"'


ARROW_SCHEMA = pa.schema([(name, _arrow_type(kind)) for name, kind in SPAN_COLUMNS.items()])
_NAMES = ", ".join(f'"{name}"' for name in SPAN_COLUMNS)
_EXPRESSIONS = ", ".join(_select_expression(name, kind) for name, kind in SPAN_COLUMNS.items())
INSERT_SPANS = (
    f"INSERT INTO spans ({_NAMES}) SELECT {_EXPRESSIONS} FROM batch"
    # RETURNING yields only the rows actually inserted: the traces whose summary must change.
    " ON CONFLICT DO NOTHING RETURNING project_id, trace_id, span_id"
)


MERGE_SUMMARIES = merge_sql_duckdb()
_DELTA_TYPES = {"start_time": pa.timestamp("us", tz="UTC"), "end_time": pa.timestamp("us", tz="UTC")}
_DELTA_NUMBERS = {"duration_ms": pa.float64(), "cost_usd": pa.float64()}
DELTA_SCHEMA = pa.schema(
    [
        (
            name,
            _DELTA_TYPES.get(name)
            or _DELTA_NUMBERS.get(name)
            or (pa.int64() if name.endswith(("count", "tokens")) else pa.string()),
        )
        for name in DELTA_COLUMNS
    ]
)

# One writer per database file in this process: two concurrent upserts of one trace summary would
# conflict (DuckDB aborts one transaction) instead of waiting. Keyed by file, not by store,
# because every store on a file shares one database instance (DuckDB's instance cache).
_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(url: str) -> threading.Lock:
    key = sa.make_url(url).database or ":memory:"
    key = key if key == ":memory:" else str(Path(key).resolve())
    with _write_locks_guard:
        return _write_locks.setdefault(key, threading.Lock())


def _use_utc(driver: Any, _record: Any) -> None:
    driver.execute("SET TimeZone = 'UTC'")


class DuckDBStore(SqlStore):
    backend = "duckdb"

    def __init__(self, url: str) -> None:
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _use_utc)
        super().__init__(engine)
        self._write_lock = _write_lock(url)

    def write_prepared(self, batches: Sequence[PreparedBatch]) -> int:
        with self._write_lock:
            return super().write_prepared(batches)

    def _encode(self, spans: Sequence[SpanRecord]) -> pa.Table:
        return pa.Table.from_pydict(span_columns(spans), schema=ARROW_SCHEMA)

    def _combine(self, payloads: list[Any]) -> pa.Table:
        return pa.concat_tables(payloads)  # no copy: the chunks are reused

    def _insert(self, driver: Any, spans: Sequence[SpanRecord], payload: Any) -> int:
        driver.register("batch", payload)
        try:
            # fetchall: a DB-API result is executed exactly once (a relation could run again).
            inserted: list[tuple[str, str, str]] = driver.execute(INSERT_SPANS).fetchall()
            if not inserted:
                return 0  # a resent batch: every summary is already right
            keys = set(inserted)
            new_spans = [span for span in spans if (span.project_id, span.trace_id, span.span_id) in keys]
            driver.register("delta", pa.Table.from_pydict(trace_deltas(new_spans), schema=DELTA_SCHEMA))
            driver.execute(MERGE_SUMMARIES)
            return len(inserted)
        finally:
            # The views pin the Arrow tables; dropping them frees the batch's memory.
            for view in ("batch", "delta"):
                with contextlib.suppress(duckdb.Error):
                    driver.unregister(view)

    def _is_transient(self, error: BaseException) -> bool:
        cause = unwrap(error)
        return cause is None or isinstance(cause, _TRANSIENT)
