"""Storage: spans in, traces out, on DuckDB (embedded default) or Postgres.

>>> from server.storage import migrate, open_store
>>> url = "duckdb:///spanscope.duckdb"
>>> migrate.upgrade(url)  # doctest: +SKIP
>>> store = open_store(url)  # doctest: +SKIP
"""

from __future__ import annotations

from .base import Row, Store, TraceFilter, TracePage, TransientStorageError
from .urls import assert_never, backend_of

__all__ = ["Row", "Store", "TraceFilter", "TracePage", "TransientStorageError", "open_store"]


def open_store(url: str) -> Store:
    """The store for ``url``: ``duckdb:///path/file.duckdb`` or ``postgresql+psycopg://user@host:port/db``
    (``postgresql://`` works too). The schema must already be migrated (``migrate.upgrade(url)``)."""
    backend = backend_of(url)
    if backend == "duckdb":
        from .duckdb import DuckDBStore

        return DuckDBStore(url)
    if backend == "postgresql":
        from .postgres import PostgresStore

        return PostgresStore(url)
    assert_never(backend)
