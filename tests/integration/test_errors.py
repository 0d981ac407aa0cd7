"""Faults a retry can fix raise TransientStorageError (the collector answers 503 and the exporter
retries); programming errors propagate as they are."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from server.model import SpanRecord
from server.storage import TraceFilter, TransientStorageError, migrate, open_store
from tests.integration.conftest import Backend

MakeSpan = Callable[..., SpanRecord]


def test_postgres_refusing_connections_is_transient(make_span: MakeSpan) -> None:
    store = open_store("postgresql://postgres@127.0.0.1:1/nothing")  # nothing listens on port 1
    try:
        with pytest.raises(TransientStorageError) as caught:
            store.health()
        assert caught.value.__cause__ is not None
        with pytest.raises(TransientStorageError):
            store.write([make_span()])
    finally:
        store.close()


def test_duckdb_file_locked_by_another_process_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    migrate.upgrade(f"duckdb:///{path}")
    script = f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('open', flush=True); sys.stdin.read()"
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "open"
            store = open_store(f"duckdb:///{path}")
            try:
                with pytest.raises(TransientStorageError, match="lock"):
                    store.health()
            finally:
                store.close()
        finally:
            holder.stdin.close()  # the holder exits at end of input
            holder.wait(timeout=10)


def test_an_unmigrated_database_is_not_transient(backend: Backend, make_span: MakeSpan) -> None:
    migrate.downgrade(backend.url, "base")
    store = open_store(backend.url)
    try:
        with pytest.raises(Exception) as caught:
            store.write([make_span()])
        assert not isinstance(caught.value, TransientStorageError)
        assert "spans" in str(caught.value)
    finally:
        store.close()
        migrate.upgrade(backend.url)


def test_an_invalid_limit_is_a_value_error(backend: Backend) -> None:
    store = open_store(backend.url)
    try:
        with pytest.raises(ValueError, match="limit"):
            store.list_traces("default", TraceFilter(), limit=0, cursor=None)
    finally:
        store.close()
