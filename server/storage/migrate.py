"""Run the schema migrations (``migrations/``) against a storage URL, without an alembic.ini.

The app calls ``upgrade(url)`` before ``open_store(url)``; the store itself never migrates.

    >>> from server.storage import migrate
    >>> migrate.upgrade("duckdb:///:memory:")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import migrations
import migrations._duckdb  # registers the DuckDB impl, which MigrationContext needs

from .urls import engine_url

SCRIPT_LOCATION = str(Path(migrations.__file__).resolve().parent)


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # Passed as an attribute, not a main option: ini interpolation would mangle a "%" in the URL.
    config.attributes["url"] = engine_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the newest)."""
    command.upgrade(_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"`` removes every table)."""
    command.downgrade(_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None when it was never migrated."""
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision in ``migrations/versions``."""
    return ScriptDirectory(SCRIPT_LOCATION).get_current_head()
