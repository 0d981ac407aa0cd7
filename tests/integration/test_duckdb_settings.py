"""The DuckDB settings the collector chooses, and the database URL's query string overriding them."""

from __future__ import annotations

from pathlib import Path

from server.storage import migrate, open_store
from server.storage.duckdb import DuckDBStore, default_settings


def _settings(url: str) -> dict[str, str]:
    migrate.upgrade(url)
    store = open_store(url)
    assert isinstance(store, DuckDBStore)
    try:
        with store._engine.connect() as connection:  # the settings live on its connections
            rows = connection.exec_driver_sql(
                "SELECT name, value FROM duckdb_settings()"
                " WHERE name IN ('threads', 'memory_limit', 'max_temp_directory_size', 'TimeZone')"
            ).all()
    finally:
        store.close()
    return {name: value for name, value in rows}


def test_defaults_apply_without_a_query_string(tmp_path: Path) -> None:
    settings = _settings(f"duckdb:///{tmp_path / 'a.duckdb'}")
    assert settings["threads"] == default_settings()["threads"]
    assert settings["memory_limit"].startswith("366.2")  # 384MB, shown in MiB
    assert settings["max_temp_directory_size"] == "3.7 GiB"  # 4GB, not DuckDB's 90% of the free disk
    assert settings["TimeZone"] == "UTC"


def test_the_url_query_string_wins(tmp_path: Path) -> None:
    settings = _settings(f"duckdb:///{tmp_path / 'b.duckdb'}?threads=3&memory_limit=300MB&max_temp_directory_size=1GB")
    assert settings["threads"] == "3"
    assert settings["memory_limit"].startswith("286.1")
    assert settings["max_temp_directory_size"] == "953.6 MiB"
    assert settings["TimeZone"] == "UTC"  # still ours: not in the query string
