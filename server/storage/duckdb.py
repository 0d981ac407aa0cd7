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
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

from .base import PreparedBatch
from .batch import SPAN_COLUMNS
from .delta import DELTA_COLUMNS
from .sqlstore import SqlStore, unwrap
from .summary import fold_sql_duckdb, upsert_sql

logger = logging.getLogger("spanscope.storage")

_TRANSIENT = (duckdb.IOException, duckdb.TransactionException, duckdb.ConnectionException)


_NAMES = "span_key, " + ", ".join(f'"{name}"' for name in SPAN_COLUMNS)
# JSON columns arrive typed as JSON (Arrow's extension type, see duckdb_arrow.py): no cast.
_EXPRESSIONS = "CAST(span_key AS UHUGEINT), " + ", ".join(f'"{name}"' for name in SPAN_COLUMNS)
# A plain insert fails on the first stored key: the fast path, for batches of new spans.
INSERT_SPANS = f"INSERT INTO spans ({_NAMES}) SELECT {_EXPRESSIONS} FROM batch"
# The slow path, after a resend: ON CONFLICT costs DuckDB about 6 us a span more (measured at
# 200k stored), and RETURNING yields only the rows actually inserted, whose summaries change.
INSERT_NEW_SPANS = INSERT_SPANS + " ON CONFLICT DO NOTHING RETURNING project_id, trace_id, span_id"


# Trace summaries: each write queues its per-trace deltas (computed by the ingest workers) in
# trace_deltas; a fold merges the queue into traces at most once a second, and before any read
# of traces. DuckDB's upsert into traces scans the table (7 ms a statement at 170k traces,
# however few rows change): once per write, it was a third of the writer's time at 1M spans.
_DELTA_NAMES = ", ".join(DELTA_COLUMNS)
QUEUE_DELTAS = f"INSERT INTO trace_deltas ({_DELTA_NAMES}) SELECT {_DELTA_NAMES} FROM delta"
FOLD_SUMMARIES = fold_sql_duckdb()
CLEAR_DELTAS = "DELETE FROM trace_deltas"
ANY_QUEUED = "SELECT 1 FROM trace_deltas LIMIT 1"
FOLD_INTERVAL_S = 1.0
# A fold scans traces, so it grows with the table (60 ms at 170k traces): the writer folds no
# more often than keeps folding under this share of its time. Reads still fold first.
FOLD_SHARE = 0.1
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


def default_settings() -> dict[str, str]:
    """DuckDB settings the collector sets unless the database URL's query string does
    (``duckdb:///file.duckdb?threads=4&memory_limit=2GB``)."""
    return {
        # DuckDB checkpoints when the WAL passes 16 MB, and a checkpoint writes the primary-key
        # index out whole: at a million spans that was most of the write time (ingest fell from
        # 16k to 10k spans/s). A larger WAL checkpoints a sixteenth as often; it is replayed on
        # restart after a crash, and checkpointed on a clean shutdown. (Checkpointing from a
        # thread of our own, beside the writer, measured no faster.)
        "checkpoint_threshold": "256MB",
        # DuckDB may cache up to 80% of the machine's memory by default; a collector beside the
        # application must not. Data beyond this is read back from the file when needed. At
        # 1M spans ingested, 512MB gave the collector a peak RSS of 1.03 GB, 384MB 0.90 GB, at
        # the same ingest rate within noise.
        "memory_limit": "384MB",
        # What spills past memory_limit goes to the temporary directory (the file's name +
        # ".tmp"), by default until 90% of the free disk is used: one SQL query sorting a cross
        # join could fill it. Past this cap a query fails with an out-of-memory error instead.
        # The writer spills too: ingesting 1M spans (bench/ingest.py) peaked at 223 MB there.
        "max_temp_directory_size": "4GB",
        # Half the cores: the ingest worker processes use the others. On 2 cores, DuckDB's
        # default (every core) gave 21k spans/s against 23-24k with one thread (1M spans,
        # bench/ingest.py); once the workers used less CPU (the system allocator for Arrow), an
        # A/B showed no difference beyond the noise, and one thread leaves more to the workers.
        "threads": str(max(1, (os.cpu_count() or 1) // 2)),
    }


def _configure_connections(engine: sa.Engine, url: str) -> None:
    chosen = set(sa.make_url(url).query)
    settings = {name: value for name, value in default_settings().items() if name not in chosen}

    def configure(driver: Any, _record: Any) -> None:
        driver.execute("SET TimeZone = 'UTC'")
        for name, value in settings.items():
            driver.execute(f"SET {name} = '{value}'")

    sa.event.listen(engine, "connect", configure)


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
        _configure_connections(engine, url)
        super().__init__(engine)
        # The settings in force, for messages: ours, or the URL's where it chose.
        self.settings = {**default_settings(), **{name: str(value) for name, value in sa.make_url(url).query.items()}}
        self._write_lock = _write_lock(url)
        self._folded_at = time.monotonic()
        self._fold_interval_s = FOLD_INTERVAL_S

    def write_prepared(self, batches: Sequence[PreparedBatch]) -> int:
        with self._write_lock:
            return super().write_prepared(batches)

    def _refresh_summaries(self) -> None:
        self.fold_summaries()

    def fold_summaries(self) -> None:
        """Bring ``traces`` up to date with every committed span (reads of it call this first)."""
        with self._translate_errors():
            with self._engine.connect() as connection:
                if connection.exec_driver_sql(ANY_QUEUED).first() is None:
                    return
            with self._write_lock:
                self._in_transaction(self._fold)

    def close(self) -> None:
        # Fold, so that a reader of the file without us sees whole summaries. Best effort: a
        # queue left behind is folded by the next start's first read.
        try:
            self.fold_summaries()
        except Exception as error:
            logger.warning("could not fold the queued trace summaries on close: %s", error)
        super().close()

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
        deltas = [batch.deltas for batch in batches]
        with _registered(driver, batch=payload, delta=deltas[0] if len(deltas) == 1 else pa.concat_tables(deltas)):
            driver.execute(INSERT_SPANS)
            driver.execute(QUEUE_DELTAS)
        if time.monotonic() - self._folded_at >= self._fold_interval_s:
            self._fold(driver)
        return sum(batch.count for batch in batches)

    def _insert_new(self, driver: Any, batches: Sequence[PreparedBatch], payload: Any) -> int:
        """Insert the spans not stored yet; recompute the summaries of the traces they join."""
        # Queued deltas first: the recomputation counts every stored span, theirs included.
        self._fold(driver)
        with _registered(driver, batch=payload):
            # fetchall: a DB-API result is executed exactly once (a relation could run again).
            inserted: list[tuple[str, str, str]] = driver.execute(INSERT_NEW_SPANS).fetchall()
        if inserted:
            project_ids, trace_ids, _ = zip(*inserted, strict=True)
            with _registered(driver, affected=pa.table({"project_id": project_ids, "trace_id": trace_ids})):
                driver.execute(RECOMPUTE_SUMMARIES)
        return len(inserted)

    def _fold(self, driver: Any) -> None:
        """In the open transaction: merge every queued delta into ``traces``, empty the queue."""
        started = time.monotonic()
        driver.execute(FOLD_SUMMARIES)
        driver.execute(CLEAR_DELTAS)
        # Set before the commit: if it fails, the next fold just comes later.
        self._folded_at = time.monotonic()
        self._fold_interval_s = max(FOLD_INTERVAL_S, (self._folded_at - started) / FOLD_SHARE)

    def _is_transient(self, error: BaseException) -> bool:
        cause = unwrap(error)
        return cause is None or isinstance(cause, _TRANSIENT)
