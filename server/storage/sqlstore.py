"""What the two backends share: reads (SQLAlchemy Core), health, close, the write transaction
and the translation of transient faults. Each backend subclass supplies its bulk insert and
says which of its driver's errors a retry can fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from typing import Any, ClassVar, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from server.model import LogMessages, SpanRecord

from . import buckets, metrics, queries, retention, sessions
from .access import Access
from .base import PreparedBatch, Row, SessionFilter, SessionPage, TraceFilter, TracePage, TransientStorageError
from .batch import json_text, scrub
from .datasets import Datasets
from .prepare import prepare_batch
from .runs import Runs
from .saved_queries import SavedQueries
from .scores import Scores
from .tables import span_log_messages
from .urls import Backend

T = TypeVar("T")


class SqlStore:
    backend: ClassVar[Backend]
    # Execution options that give a multi-statement read one consistent snapshot.
    snapshot_options: ClassVar[dict[str, Any]] = {}

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self.access = Access(engine, self._translate_errors, self._refresh_summaries)
        self.saved_queries = SavedQueries(engine, self._translate_errors)
        self.scores = Scores(engine, self._translate_errors)
        self.datasets = Datasets(engine, self._translate_errors)
        self.runs = Runs(engine, self._translate_errors, self._refresh_summaries)

    @property
    def engine(self) -> sa.Engine:
        """The connection pool, for the SQL endpoint's own connections (``server.sql``)."""
        return self._engine

    # -- backend hooks --------------------------------------------------------------------------

    def _combine(self, payloads: list[Any]) -> Any:
        """Several encoded batches as one."""
        raise NotImplementedError

    def _insert(self, driver: Any, batches: Sequence[PreparedBatch], payload: Any) -> int:
        """In the open transaction on the driver connection: insert the rows of ``payload`` (all
        of ``batches``), update the summaries of the traces they touch; return how many were new."""
        raise NotImplementedError

    def _is_transient(self, error: BaseException) -> bool:
        raise NotImplementedError

    # -- the Store protocol ---------------------------------------------------------------------

    def prepare(self, spans: Sequence[SpanRecord]) -> PreparedBatch:
        """Encode spans for ``write_prepared`` (CPU only: any thread or process can do it)."""
        return prepare_batch(self.backend, spans)

    def write_prepared(self, batches: Sequence[PreparedBatch]) -> int:
        batches = [batch for batch in batches if batch.count]
        if not batches:
            return 0
        payload = batches[0].payload if len(batches) == 1 else self._combine([batch.payload for batch in batches])
        with self._translate_errors():
            return self._transaction(batches, payload)

    def _transaction(self, batches: Sequence[PreparedBatch], payload: Any) -> int:
        """The write transaction: ``_insert`` on the driver connection, then commit."""
        return self._in_transaction(partial(self._insert, batches=batches, payload=payload))

    def _in_transaction(self, work: Callable[[Any], T]) -> T:
        """``work(driver connection)`` in one transaction, committed if it returns."""
        with self._engine.begin() as connection:
            return work(connection.connection.driver_connection)

    def write(self, spans: Sequence[SpanRecord]) -> int:
        return self.write_prepared([self.prepare(spans)])

    def list_traces(self, project_id: str, filters: TraceFilter, limit: int, cursor: str | None) -> TracePage:
        self._refresh_summaries()
        rows, last = self._page(queries.list_traces(self.backend, project_id, filters, limit, cursor), limit)
        if rows:
            with self._translate_errors(), self._engine.connect() as connection:
                found = connection.execute(queries.trace_scores(project_id, [row["trace_id"] for row in rows]))
                by_trace = queries.summarise_scores(found)
            for row in rows:
                row["scores"] = by_trace.get(row["trace_id"], [])
        encode = queries.encode_cursor if filters.order_by_score is None else queries.encode_score_cursor
        return TracePage(traces=rows, next_cursor=None if last is None else encode(last))

    def get_trace(self, project_id: str, trace_id: str) -> Row | None:
        self._refresh_summaries()
        with self._snapshot() as connection:
            summary = connection.execute(queries.get_trace(project_id, trace_id)).first()
            if summary is None:
                return None
            spans = [dict(row._mapping) for row in connection.execute(queries.trace_spans(project_id, trace_id))]
        return {**summary._mapping, "spans": spans}

    def list_sessions(self, project_id: str, filters: SessionFilter, limit: int, cursor: str | None) -> SessionPage:
        self._refresh_summaries()
        query = sessions.list_sessions(self.backend, project_id, sessions.trace_filter(filters), limit, cursor)
        rows, last = self._page(query, limit)
        next_cursor = None if last is None else queries.encode_cursor(last, *sessions.CURSOR_KEYS)
        return SessionPage(sessions=rows, next_cursor=next_cursor)

    def get_session(self, project_id: str, session_id: str, max_traces: int) -> Row | None:
        session_id = scrub(session_id)  # as stored: see batch.scrub
        summary_query = sessions.list_sessions(
            self.backend, project_id, sessions.trace_filter(SessionFilter(), session_id), 1, None
        )
        self._refresh_summaries()
        with self._snapshot() as connection:
            summary = connection.execute(summary_query).first()
            if summary is None:
                return None
            found = connection.execute(sessions.session_traces(project_id, session_id, max_traces + 1))
            rows = [dict(row._mapping) for row in found]
        return {**summary._mapping, "traces": rows[:max_traces], "truncated": len(rows) > max_traces}

    def delete_expired(self, project_id: str, before: datetime, limit: int) -> int:
        self._refresh_summaries()  # a queued summary (DuckDB) is folded first, or it would come back
        return retention.delete_expired(self._engine, self._translate_errors, project_id, before, limit)

    def span_names(self, project_id: str, trace_ids: Sequence[str]) -> list[Row]:
        if not trace_ids:
            return []
        with self._translate_errors(), self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(metrics.span_names(project_id, trace_ids))]

    def metrics(
        self, project_id: str, start_after: datetime | None, start_before: datetime | None, bucket_seconds: int | None
    ) -> Row:
        start_after = None if start_after is None else queries.as_utc(start_after)
        start_before = None if start_before is None else queries.as_utc(start_before)
        self._refresh_summaries()
        # One snapshot: the three lists add up to the same data.
        with self._snapshot() as connection:
            first = last = None
            if start_after is None or start_before is None:
                first, last = connection.execute(metrics.trace_range(project_id, start_after, start_before)).one()
            window = buckets.choose(start_after, start_before, bucket_seconds, first, last)
            found: Row = {"bucket_seconds": window.bucket_seconds, "start": window.start, "end": window.end}
            if window.start is None:
                return {**found, "timeline": [], "by_model": [], "by_span_name": []}
            size = window.bucket_seconds
            for name, query in (
                ("timeline", metrics.timeline(project_id, start_after, start_before, size)),
                ("by_model", metrics.by_model(project_id, start_after, start_before, size)),
                ("by_span_name", metrics.by_span_name(project_id, start_after, start_before)),
            ):
                found[name] = [dict(row._mapping) for row in connection.execute(query)]
        for row in found["timeline"] + found["by_model"]:
            row["bucket_start"] = datetime.fromtimestamp(row["bucket_start"], timezone.utc)
        return found

    def get_span(self, project_id: str, trace_id: str, span_id: str) -> Row | None:
        with self._translate_errors(), self._engine.connect() as connection:
            row = connection.execute(queries.get_span(project_id, trace_id, span_id)).first()
        return None if row is None else dict(row._mapping)

    def write_log_messages(self, items: Sequence[LogMessages]) -> int:
        """Store messages from GenAI log events; a resent item (same key) changes nothing."""
        if not items:
            return 0
        rows = [
            {
                "project_id": item.project_id,
                "trace_id": item.trace_id,
                "span_id": item.span_id,
                "key": item.key,
                "time": datetime.fromtimestamp(item.time_ns / 1e9, timezone.utc),
                # Through json_text and back: the same NUL scrubbing as span columns.
                "input_messages": orjson.loads(json_text(item.input_messages) or "[]"),
                "output_messages": orjson.loads(json_text(item.output_messages) or "[]"),
            }
            for item in items
        ]
        # One multi-row statement (not executemany, which is slow on DuckDB); the volume
        # is one row per LLM span that logs its messages.
        statement = postgresql.insert(span_log_messages).values(rows).on_conflict_do_nothing()
        with self._translate_errors(), self._engine.begin() as connection:
            return connection.execute(statement).rowcount or 0

    def log_messages(self, project_id: str, trace_id: str) -> dict[str, tuple[list[Any], list[Any]]]:
        """span_id -> (input messages, output messages) from log events, in event order."""
        table = span_log_messages
        query = (
            sa.select(table.c.span_id, table.c.input_messages, table.c.output_messages)
            .where(table.c.project_id == project_id, table.c.trace_id == trace_id)
            .order_by(table.c.span_id, table.c.time, table.c.key)
        )
        merged: dict[str, tuple[list[Any], list[Any]]] = {}
        with self._translate_errors(), self._engine.connect() as connection:
            for span_id, input_messages, output_messages in connection.execute(query):
                inputs, outputs = merged.setdefault(span_id, ([], []))
                inputs.extend(input_messages or [])
                outputs.extend(output_messages or [])
        return merged

    def health(self) -> None:
        with self._translate_errors(), self._engine.connect() as connection:
            connection.execute(sa.text("SELECT 1")).scalar_one()

    def close(self) -> None:
        self._engine.dispose()

    # -- helpers --------------------------------------------------------------------------------

    def _page(self, query: sa.Select[Any], limit: int) -> tuple[list[Row], Row | None]:
        """Run a keyset query that asks for ``limit + 1`` rows: the page, and its last row when
        another page follows (the next cursor is made from it)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        with self._translate_errors(), self._engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        if len(rows) <= limit:
            return rows, None
        return rows[:limit], rows[limit - 1]

    def _refresh_summaries(self) -> None:
        """Called before every read of ``traces``: a backend that updates it lazily catches up."""

    @contextmanager
    def _snapshot(self) -> Iterator[sa.Connection]:
        """A connection in a transaction that sees one snapshot for all its statements."""
        with self._translate_errors(), self._engine.connect() as plain:
            connection = plain.execution_options(**self.snapshot_options)
            with connection.begin():
                yield connection

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except TransientStorageError:
            raise
        except Exception as error:
            if self._is_transient(error):
                raise TransientStorageError(f"{self.backend}: {error}") from error
            raise


def unwrap(error: BaseException) -> BaseException | None:
    """The driver's exception inside a SQLAlchemy one, or None when SQLAlchemy itself knows that
    the fault is transient (pool timeout, invalidated connection)."""
    if isinstance(error, (sa.exc.TimeoutError, sa.exc.DisconnectionError)):
        return None
    if isinstance(error, sa.exc.DBAPIError):
        return None if error.connection_invalidated else error.orig
    return error
