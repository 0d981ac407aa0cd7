"""The DuckDB settings the collector chooses, and the database URL's query string overriding them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from server.model import SpanRecord
from server.storage import TraceFilter, migrate, open_store
from server.storage.duckdb import DuckDBStore, default_settings

MakeSpan = Callable[..., SpanRecord]


def _settings(url: str) -> dict[str, str]:
    migrate.upgrade(url)
    store = open_store(url)
    assert isinstance(store, DuckDBStore)
    try:
        with store._engine.connect() as connection:  # the settings live on its connections
            rows = connection.exec_driver_sql(
                "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit', 'TimeZone')"
            ).all()
    finally:
        store.close()
    return {name: value for name, value in rows}


def test_defaults_apply_without_a_query_string(tmp_path: Path) -> None:
    settings = _settings(f"duckdb:///{tmp_path / 'a.duckdb'}")
    assert settings["threads"] == default_settings()["threads"]
    assert settings["memory_limit"].startswith("366.2")  # 384MB, shown in MiB
    assert settings["TimeZone"] == "UTC"


def test_the_url_query_string_wins(tmp_path: Path) -> None:
    settings = _settings(f"duckdb:///{tmp_path / 'b.duckdb'}?threads=3&memory_limit=300MB")
    assert settings["threads"] == "3"
    assert settings["memory_limit"].startswith("286.1")
    assert settings["TimeZone"] == "UTC"  # still ours: not in the query string


def test_the_store_checkpoints_a_large_wal_from_its_own_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_span: MakeSpan
) -> None:
    import server.storage.duckdb as duckdb_store

    monkeypatch.setattr(duckdb_store, "CHECKPOINT_WAL_BYTES", 64 * 1024)
    url = f"duckdb:///{tmp_path / 'c.duckdb'}"
    migrate.upgrade(url)
    store = open_store(url)
    wal = tmp_path / "c.duckdb.wal"
    try:
        store.write([make_span(trace=trace, input="x" * 2000) for trace in range(1, 200)])
        assert wal.stat().st_size > 64 * 1024  # committed to the WAL, not yet checkpointed
        deadline = time.monotonic() + 10
        while wal.exists() and wal.stat().st_size > 64 * 1024 and time.monotonic() < deadline:
            time.sleep(0.05)  # no write happens meanwhile: only the store's thread can checkpoint
        assert not wal.exists() or wal.stat().st_size < 64 * 1024
        assert len(store.list_traces("default", TraceFilter(), limit=500, cursor=None).traces) == 199
    finally:
        store.close()
