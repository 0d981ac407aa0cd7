"""DuckDB's queue of trace-summary changes: when the writer folds it, and that reads fold first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import server.storage.duckdb as duckdb_store
from server.model import SpanRecord
from server.storage import TraceFilter, migrate, open_store
from server.storage.duckdb import DuckDBStore

MakeSpan = Callable[..., SpanRecord]


def _queued(store: DuckDBStore) -> int:
    with store._engine.connect() as connection:  # the file is open in this process: its engine
        return int(connection.exec_driver_sql("SELECT count(*) FROM trace_deltas").scalar_one())


def test_slow_folds_space_out_the_writers_folds_and_reads_still_see_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_span: MakeSpan
) -> None:
    # Every write may fold (no minimum interval), but a fold "costs" so much of the writer's time
    # that the next one waits practically forever.
    monkeypatch.setattr(duckdb_store, "FOLD_INTERVAL_S", 0.0)
    monkeypatch.setattr(duckdb_store, "FOLD_SHARE", 1e-12)
    url = f"duckdb:///{tmp_path / 'queue.duckdb'}"
    migrate.upgrade(url)
    store = open_store(url)
    assert isinstance(store, DuckDBStore)
    try:
        store.write([make_span(trace=1)])  # folded by the writer: nothing queued
        assert _queued(store) == 0
        store.write([make_span(trace=2)])
        store.write([make_span(trace=1, parent="00000000000000aa")])
        assert _queued(store) == 2  # the writer no longer folds
        page = store.list_traces("default", TraceFilter(), limit=10, cursor=None)
        assert sorted((int(t["trace_id"], 16), t["span_count"]) for t in page.traces) == [(1, 2), (2, 1)]
        assert _queued(store) == 0  # the read folded first
    finally:
        store.close()
