"""Alembic environment and revisions: one history for DuckDB and Postgres.

Run them through ``server.storage.migrate`` (no alembic.ini): it locates this directory via
``migrations.__file__``. Revisions are hand-written (duckdb-engine's reflection and autogenerate
are broken with SQLAlchemy >= 2.0.45) and never import ``server.storage.tables``.
"""
