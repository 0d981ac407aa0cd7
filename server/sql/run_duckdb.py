"""Run a checked query on DuckDB: its own pooled connection, one transaction rolled back,
interrupted from a timer thread at the time limit.

Memory: DuckDB's ``memory_limit`` belongs to the database instance, which the collector's
writer shares (``server.storage.duckdb.default_settings``: 384MB), so a query cannot get a cap of
its own below it. (DuckDB 2's per-connection ``operator_memory_limit`` is not one: a DISTINCT
that needs about 80 MB peaked at 108 MB under a 30MB one and at 133 MB under 10MB, and
finished.) A query spills what it can to the temporary directory, which
``max_temp_directory_size`` caps (4GB); past either limit DuckDB raises an out-of-memory error,
which ends the query, not the collector, and is answered with a 400 naming the limit.
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
        except duckdb.OutOfMemoryException as error:  # an OperationalError, as IOException is: first
            raise SqlFailedError(_out_of_memory(store, str(error))) from None
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


def _out_of_memory(store: DuckDBStore, message: str) -> str:
    memory = f"memory_limit {store.settings['memory_limit']}, shared with the collector"
    if "max_temp_directory_size" in message:  # it spilled to disk until that cap too
        disk = f"max_temp_directory_size {store.settings['max_temp_directory_size']}"
        return (
            f"the query needed more memory than the limit ({memory}) and more disk to spill to than the limit ({disk})"
        )
    return f"the query needed more memory than the limit ({memory})"
