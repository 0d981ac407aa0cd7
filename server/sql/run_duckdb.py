"""Run a checked query on DuckDB: its own pooled connection, one transaction rolled back,
interrupted from a timer thread at the time limit.

Memory: DuckDB's ``memory_limit`` belongs to the database instance, which the collector's
writer shares (``server.storage.duckdb.default_settings``, 384MB), so a query cannot get a cap of
its own; it is held to that one, spills what it can to disk and fails with an out-of-memory
error past it, which ends the query and not the collector.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from server.storage.base import TransientStorageError
from server.storage.duckdb import DuckDBStore

from .errors import SqlFailedError, SqlTimeoutError

Fetched = tuple[list[tuple[str, str]], list[tuple[Any, ...]]]


def run_duckdb(store: DuckDBStore, sql: str, max_rows: int, time_limit_s: float) -> Fetched:
    """(column name, DuckDB type) pairs and at most ``max_rows`` rows."""
    store.fold_summaries()  # the traces view reads the summaries: bring them up to date
    with store.engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        transaction = connection.begin()
        interrupted = threading.Event()

        def interrupt() -> None:
            interrupted.set()
            driver.interrupt()

        timer = threading.Timer(time_limit_s, interrupt)
        timer.start()
        try:
            relation = driver.sql(sql)
            columns = list(zip(relation.columns, (str(kind) for kind in relation.types), strict=True))
            rows: list[tuple[Any, ...]] = relation.limit(max_rows).fetchall()
        except duckdb.InterruptException:
            connection.invalidate()  # a fresh connection for the next query, whatever state this one is in
            raise SqlTimeoutError(time_limit_s) from None
        except (duckdb.IOException, duckdb.TransactionException, duckdb.ConnectionException) as error:
            raise TransientStorageError(f"duckdb: {error}") from error
        except duckdb.Error as error:
            if interrupted.is_set():
                connection.invalidate()
                raise SqlTimeoutError(time_limit_s) from None
            raise SqlFailedError(str(error)) from None
        finally:
            timer.cancel()
            if interrupted.is_set() and not connection.invalidated:
                # The timer fired as the query finished: the interrupt may still be pending on
                # this connection, so it must not serve the next query.
                connection.invalidate()
            if transaction.is_active and not connection.invalidated:
                transaction.rollback()
        return columns, rows
