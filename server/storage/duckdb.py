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
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

from .base import PreparedBatch
from .batch import SPAN_COLUMNS, ColumnKind
from .sqlstore import SqlStore, unwrap
from .summary import merge_sql_duckdb, upsert_sql

_TRANSIENT = (duckdb.IOException, duckdb.TransactionException, duckdb.ConnectionException)


def _select_expression(name: str, kind: ColumnKind) -> str:
    return f'CAST("{name}" AS JSON)' if kind == "json" else f'"{name}"'


_NAMES = "span_key, " + ", ".join(f'"{name}"' for name in SPAN_COLUMNS)
_EXPRESSIONS = "CAST(span_key AS UHUGEINT), " + ", ".join(
    _select_expression(name, kind) for name, kind in SPAN_COLUMNS.items()
)
# A plain insert fails on the first stored key: the fast path, for batches of new spans.
INSERT_SPANS = f"INSERT INTO spans ({_NAMES}) SELECT {_EXPRESSIONS} FROM batch"
# The slow path, after a resend: ON CONFLICT costs DuckDB about 6 us a span more (measured at
# 200k stored), and RETURNING yields only the rows actually inserted, whose summaries change.
INSERT_NEW_SPANS = INSERT_SPANS + " ON CONFLICT DO NOTHING RETURNING project_id, trace_id, span_id"


MERGE_SUMMARIES = merge_sql_duckdb()
INSERT_SUMMARIES = MERGE_SUMMARIES[: MERGE_SUMMARIES.index("ON CONFLICT")]
EXISTING_TRACES = (
    "SELECT 1 FROM delta AS d JOIN traces AS t ON t.project_id = d.project_id AND t.trace_id = d.trace_id LIMIT 1"
)
RECOMPUTE_SUMMARIES = upsert_sql("duckdb")

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


def _configure(driver: Any, _record: Any) -> None:
    driver.execute("SET TimeZone = 'UTC'")
    # DuckDB checkpoints when the WAL passes 16 MB, and a checkpoint writes the primary-key
    # index out whole: at a million spans that was most of the write time (ingest fell from
    # 16k to 10k spans/s). A larger WAL checkpoints a sixteenth as often; it is replayed on
    # restart after a crash, and checkpointed on a clean shutdown.
    driver.execute("SET checkpoint_threshold = '256MB'")
    # DuckDB may cache up to 80% of the machine's memory by default; a collector beside the
    # application must not. Data beyond this is read back from the file when needed.
    driver.execute("SET memory_limit = '512MB'")


def _trace_keys(delta: pa.Table) -> list[tuple[str, str]]:
    return list(zip(*delta.select(["project_id", "trace_id"]).to_pydict().values(), strict=True))


@contextlib.contextmanager
def _registered(driver: Any, **tables: pa.Table) -> Iterator[None]:
    """Arrow tables as views for the statements in the block. The views pin the tables, so they
    are dropped after it, which frees the batch's memory."""
    for name, table in tables.items():
        driver.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            with contextlib.suppress(duckdb.Error):
                driver.unregister(name)


class DuckDBStore(SqlStore):
    backend = "duckdb"

    def __init__(self, url: str) -> None:
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _configure)
        super().__init__(engine)
        self._write_lock = _write_lock(url)

    def write_prepared(self, batches: Sequence[PreparedBatch]) -> int:
        with self._write_lock:
            return super().write_prepared(batches)

    def _combine(self, payloads: list[Any]) -> pa.Table:
        return pa.concat_tables(payloads)  # no copy: the chunks are reused

    def _transaction(self, batches: Sequence[PreparedBatch], payload: Any) -> int:
        # Almost every batch is new spans: insert them without conflict handling. A span that is
        # already stored (a client resending after a lost answer) or in two requests of the group
        # fails that insert; the transaction is then rolled back and done again, skipping those.
        try:
            return super()._transaction(batches, payload)
        except duckdb.ConstraintException:
            return self._in_transaction(partial(self._insert_new, batches=batches, payload=payload))

    def _insert(self, driver: Any, batches: Sequence[PreparedBatch], payload: Any) -> int:
        with _registered(driver, batch=payload):
            driver.execute(INSERT_SPANS)
        deltas = [batch.deltas for batch in batches]
        traces = [key for delta in deltas for key in _trace_keys(delta)]
        if len(set(traces)) == len(traces):
            # No trace is in two requests of the group: the workers' deltas are exact; merge them.
            self._merge_deltas(driver, deltas[0] if len(deltas) == 1 else pa.concat_tables(deltas))
        else:
            # One trace over several requests of this group (rare): recompute its summary.
            self._recompute(driver, traces)
        return sum(batch.count for batch in batches)

    def _insert_new(self, driver: Any, batches: Sequence[PreparedBatch], payload: Any) -> int:
        """Insert the spans not stored yet; recompute the summaries of the traces they join."""
        with _registered(driver, batch=payload):
            # fetchall: a DB-API result is executed exactly once (a relation could run again).
            inserted: list[tuple[str, str, str]] = driver.execute(INSERT_NEW_SPANS).fetchall()
        if inserted:
            self._recompute(driver, [(project_id, trace_id) for project_id, trace_id, _ in inserted])
        return len(inserted)

    def _merge_deltas(self, driver: Any, delta: pa.Table) -> None:
        with _registered(driver, delta=delta):
            # DuckDB's ON CONFLICT DO UPDATE costs about 9 ms more than a plain insert (measured
            # at 100k spans), and most batches only start new traces.
            new_traces_only = not driver.execute(EXISTING_TRACES).fetchall()
            driver.execute(INSERT_SUMMARIES if new_traces_only else MERGE_SUMMARIES)

    def _recompute(self, driver: Any, traces: list[tuple[str, str]]) -> None:
        project_ids, trace_ids = zip(*set(traces), strict=True)
        with _registered(driver, affected=pa.table({"project_id": project_ids, "trace_id": trace_ids})):
            driver.execute(RECOMPUTE_SUMMARIES)

    def _is_transient(self, error: BaseException) -> bool:
        cause = unwrap(error)
        return cause is None or isinstance(cause, _TRANSIENT)
