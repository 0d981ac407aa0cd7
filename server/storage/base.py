"""What the rest of the server sees of storage: the ``Store`` protocol, its query types and the
one error class a caller must handle (``TransientStorageError``: answer 503, retry later).

Rows come back as plain dicts keyed by column name (see ``server.storage.tables``): datetimes
are timezone-aware, JSON columns are Python values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from server.model import LogMessages, SpanRecord

if TYPE_CHECKING:
    from .access import Access
    from .datasets import Datasets
    from .runs import Runs
    from .saved_queries import SavedQueries
    from .scores import Scores

Row = dict[str, Any]


class TransientStorageError(Exception):
    """A fault that a retry can fix: connection lost or refused, serialization failure, deadlock,
    a DuckDB I/O error or lock conflict. The original exception is chained (``__cause__``)."""


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """Conditions on the trace list; every field is optional and they combine with AND.
    Naive datetimes are taken as UTC."""

    start_after: datetime | None = None  # start_time >= start_after
    start_before: datetime | None = None  # start_time < start_before
    name: str | None = None  # exact trace (root span) name
    status: Literal["error", "ok"] | None = None  # "error": some span failed; "ok": none did
    kind: str | None = None  # the trace contains a span of this kind
    model: str | None = None  # the trace used this model
    session_id: str | None = None
    user_id: str | None = None
    tag: str | None = None
    min_duration_ms: float | None = None
    max_duration_ms: float | None = None
    min_tokens: int | None = None  # on the trace's total_tokens
    max_tokens: int | None = None
    min_cost: float | None = None  # on the trace's cost_usd (traces without a cost never match)
    max_cost: float | None = None
    text: str | None = None  # case-insensitive substring of any span's input or output
    # Scores (docs/evaluation.md), on the trace or any of its spans. min/max_score compare the
    # value (1/0 for booleans); score_label the label; together they apply to the same score.
    score_name: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    score_label: str | None = None
    without_score: str | None = None  # traces no score of this name is on yet (a review queue)
    # Not a condition but the order: by the mean value of the score_name scores on each trace
    # (only traces that have one), instead of newest first.
    order_by_score: Literal["desc", "asc"] | None = None


@dataclass(frozen=True, slots=True)
class TracePage:
    traces: list[Row] = field(default_factory=list)
    next_cursor: str | None = None  # pass it back to get the next page; None on the last page


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Which traces the session list summarizes (AND). A session is listed when one of its
    traces matches, with the figures of its matching traces. Naive datetimes are UTC."""

    start_after: datetime | None = None  # trace start_time >= start_after
    start_before: datetime | None = None  # trace start_time < start_before
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionPage:
    sessions: list[Row] = field(default_factory=list)
    next_cursor: str | None = None  # pass it back to get the next page; None on the last page


@dataclass(frozen=True)
class PreparedBatch:
    """Spans encoded for a backend's bulk insert (``prepare_batch``). Plain data (Arrow tables,
    lists), so it crosses process boundaries cheaply: ingest workers make it, the writer
    inserts it."""

    count: int  # rows, each span once
    payload: Any  # the backend's bulk form: an Arrow table (DuckDB) or columns (Postgres)
    # Per-trace summaries of these spans as if all are new (DuckDB merges them; see delta.py).
    deltas: Any = None


class Store(Protocol):
    """Spans in, traces out. One implementation per backend (``server.storage.duckdb``,
    ``server.storage.postgres``); ``server.storage.open_store`` picks one by URL.

        >>> from server.storage import open_store, TraceFilter
        >>> store = open_store("duckdb:///spanscope.duckdb")  # doctest: +SKIP
        >>> store.write(spans)  # doctest: +SKIP
        >>> page = store.list_traces("default", TraceFilter(status="error"), limit=50, cursor=None)  # doctest: +SKIP
    """

    access: Access  # projects and their API keys
    saved_queries: SavedQueries  # the SQL page's saved queries, per project
    scores: Scores  # scores and score configs (docs/evaluation.md)
    datasets: Datasets  # datasets and their versioned examples (docs/evaluation.md)
    runs: Runs  # runs over a dataset version, their results and aggregates (docs/evaluation.md)

    def write(self, spans: Sequence[SpanRecord]) -> int:
        """Store ``spans`` in one transaction and refresh the summary of every trace they touch.
        Idempotent: spans already stored are left as they are. Returns how many were new."""
        ...

    def prepare(self, spans: Sequence[SpanRecord]) -> PreparedBatch:
        """Encode spans for ``write_prepared`` (CPU only; safe on any thread)."""
        ...

    def write_prepared(self, batches: Sequence[PreparedBatch]) -> int:
        """``write`` for batches encoded beforehand: one transaction for all of them."""
        ...

    def list_traces(self, project_id: str, filters: TraceFilter, limit: int, cursor: str | None) -> TracePage:
        """Trace summaries, newest first (start_time DESC, trace_id DESC)."""
        ...

    def get_trace(self, project_id: str, trace_id: str) -> Row | None:
        """The trace summary plus ``spans``: every span row, ordered by start_time."""
        ...

    def get_span(self, project_id: str, trace_id: str, span_id: str) -> Row | None: ...

    def list_sessions(self, project_id: str, filters: SessionFilter, limit: int, cursor: str | None) -> SessionPage:
        """Session summaries (traces grouped by non-NULL session_id), most recently active first
        (last_end DESC, session_id DESC). Raise ValueError for a cursor not made here."""
        ...

    def get_session(self, project_id: str, session_id: str, max_traces: int) -> Row | None:
        """The session's summary plus ``traces``: its first ``max_traces`` trace summaries by
        start_time, and ``truncated``: whether it has more. None when no trace has the session."""
        ...

    def metrics(
        self, project_id: str, start_after: datetime | None, start_before: datetime | None, bucket_seconds: int | None
    ) -> Row:
        """Volume, errors, latency percentiles, tokens and cost per time bucket, per model and
        per span name (see ``server.storage.metrics``). A bound left out is the first or last
        trace start; ``bucket_seconds`` None picks about 60 buckets. Raise ValueError for an
        empty range or too many buckets (``server.storage.buckets``).

            >>> store.metrics("default", None, None, None)["timeline"][0]["p95_ms"]  # doctest: +SKIP
            2400.0
        """
        ...

    def delete_expired(self, project_id: str, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` whole traces of the project that started before ``before``,
        oldest first, in one transaction; return how many (``server.storage.retention``)."""
        ...

    def span_names(self, project_id: str, trace_ids: Sequence[str]) -> list[Row]:
        """Per span name and kind over the traces ``trace_ids``: ``spans``, ``errors``,
        ``duration_ms``, ``self_ms`` (less the children's time) and ``cost_usd`` (sums), for
        comparing cohorts of traces."""
        ...

    def write_log_messages(self, items: Sequence[LogMessages]) -> int:
        """Store chat messages from GenAI log events (idempotent by key)."""
        ...

    def log_messages(self, project_id: str, trace_id: str) -> dict[str, tuple[list[Any], list[Any]]]:
        """span_id -> (input messages, output messages) from log events."""
        ...

    def health(self) -> None:
        """Raise (``TransientStorageError``) when the database cannot be reached."""
        ...

    def close(self) -> None: ...
