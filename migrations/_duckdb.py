"""Alembic has no DuckDB support of its own: registering an impl for the dialect name is enough,
because duckdb-engine speaks (mostly) the Postgres dialect. Imported by env.py and by
``server.storage.migrate``; module caching registers the class once per process."""

from __future__ import annotations

from alembic.ddl.impl import DefaultImpl


class DuckDBImpl(DefaultImpl):
    __dialect__ = "duckdb"
    transactional_ddl = True  # DuckDB runs DDL inside transactions
