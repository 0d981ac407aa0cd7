"""Alembic environment, configured programmatically by ``server.storage.migrate``.

The URL arrives in ``config.attributes["url"]`` rather than the ini options, so that a ``%`` in a
password needs no escaping. Online mode only: revisions are hand-written, nothing autogenerates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

import migrations._duckdb  # noqa: F401  (registers the DuckDB impl)

config = context.config


def run_migrations_online() -> None:
    url: str = config.attributes["url"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            # One transaction per revision: both backends run DDL transactionally, so a failing
            # revision leaves the database at the previous one.
            context.configure(connection=connection, transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use server.storage.migrate")
run_migrations_online()
