"""Session queries: traces grouped by ``session_id``, summarized in the database.

A page is one statement in two steps: first the page's session IDs, ordered by their last trace
end (keyset paging on ``(last_end, session_id)``); then the full summary of just those sessions,
whose traces the ``ix_traces_session`` index finds. Summarizing every session and then taking a
page would compute user and tag lists for thousands of sessions to show fifty.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from .base import SessionFilter, TraceFilter
from .queries import decode_cursor, trace_conditions
from .tables import traces
from .urls import Backend, assert_never

CURSOR_KEYS = ("last_end", "session_id")


def _sorted_distinct(backend: Backend, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Aggregate: the sorted distinct non-NULL values of ``column``, as an array (a Python list)."""
    if backend == "duckdb":
        return sa.func.list_sort(sa.func.list_distinct(sa.func.list(column)))  # list_distinct drops NULLs
    if backend == "postgresql":
        found = sa.func.array_agg(aggregate_order_by(sa.distinct(column), column)).filter(column.is_not(None))
        return sa.func.coalesce(found, _empty_list(backend))
    assert_never(backend)


def _empty_list(backend: Backend) -> sa.ColumnElement[Any]:
    if backend == "duckdb":
        return sa.literal_column("CAST([] AS VARCHAR[])")
    if backend == "postgresql":
        return sa.literal_column("CAST('{}' AS TEXT[])")
    assert_never(backend)


def _json_list_elements(backend: Backend, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Set-returning: one row per element of ``column``, a JSON list of strings."""
    if backend == "duckdb":
        return sa.func.unnest(sa.cast(column, sa.ARRAY(sa.Text)))
    if backend == "postgresql":
        return sa.func.jsonb_array_elements_text(column)
    assert_never(backend)


def trace_filter(filters: SessionFilter, session_id: str | None = None) -> TraceFilter:
    """The traces a session list summarizes, as trace list conditions."""
    return TraceFilter(
        start_after=filters.start_after,
        start_before=filters.start_before,
        user_id=filters.user_id,
        session_id=session_id,
    )


def list_sessions(
    backend: Backend, project_id: str, filters: TraceFilter, limit: int, cursor: str | None
) -> sa.Select[Any]:
    """Up to ``limit + 1`` session summaries over the traces ``filters`` choose (the extra row
    tells whether another page follows)."""
    t = traces.c
    chosen = [t.project_id == project_id, t.session_id.is_not(None), *trace_conditions(backend, filters)]

    last_end = sa.func.max(t.end_time)
    page = sa.select(t.session_id, last_end.label("last_end")).where(*chosen).group_by(t.session_id)
    if cursor is not None:
        end, session_id = decode_cursor(cursor, *CURSOR_KEYS)
        page = page.having(sa.or_(last_end < end, sa.and_(last_end == end, t.session_id < session_id)))
    paged = page.order_by(last_end.desc(), t.session_id.desc()).limit(limit + 1).cte("page")

    # The chosen traces of the page's sessions, each numbered from both ends of its session.
    members = (
        sa.select(
            t.session_id,
            t.start_time,
            t.end_time,
            t.duration_ms,
            t.error_count,
            t.total_tokens,
            t.cost_usd,
            t.user_id,
            t.tags,
            t.input_preview,
            t.output_preview,
            sa.func.row_number()
            .over(partition_by=t.session_id, order_by=(t.start_time, t.trace_id))
            .label("from_first"),
            sa.func.row_number()
            .over(partition_by=t.session_id, order_by=(t.start_time.desc(), t.trace_id.desc()))
            .label("from_last"),
        )
        .select_from(traces.join(paged, paged.c.session_id == t.session_id))
        .where(*chosen)
        .cte("members")
    )
    m = members.c
    summaries = (
        sa.select(
            m.session_id,
            _sorted_distinct(backend, m.user_id).label("user_ids"),
            sa.func.count().label("trace_count"),
            sa.func.min(m.start_time).label("first_start"),
            sa.func.max(m.end_time).label("last_end"),
            sa.func.sum(m.duration_ms).label("duration_ms"),
            sa.func.count().filter(m.error_count > 0).label("error_count"),
            # A bigint sum is numeric on Postgres (a Decimal in Python): cast it back.
            sa.cast(sa.func.coalesce(sa.func.sum(m.total_tokens), 0), sa.BigInteger).label("total_tokens"),
            sa.func.sum(m.cost_usd).label("cost_usd"),  # NULL when no trace has a cost
            sa.func.max(sa.case((m.from_first == 1, m.input_preview))).label("first_input_preview"),
            sa.func.max(sa.case((m.from_last == 1, m.output_preview))).label("last_output_preview"),
        )
        .group_by(m.session_id)
        .subquery("summaries")
    )
    # Tags in their own aggregate: unnesting them beside the sums would count each trace per tag.
    tag_rows = sa.select(m.session_id, _json_list_elements(backend, m.tags).label("tag")).subquery("tag_rows")
    tag_sets = (
        sa.select(tag_rows.c.session_id, _sorted_distinct(backend, tag_rows.c.tag).label("tags"))
        .group_by(tag_rows.c.session_id)
        .subquery("tag_sets")
    )
    s = summaries.c
    return (
        sa.select(summaries, sa.func.coalesce(tag_sets.c.tags, _empty_list(backend)).label("tags"))
        .select_from(summaries.outerjoin(tag_sets, tag_sets.c.session_id == s.session_id))
        .order_by(s.last_end.desc(), s.session_id.desc())
    )


def session_traces(project_id: str, session_id: str, limit: int) -> sa.Select[Any]:
    """The session's first ``limit`` traces by start time (``ix_traces_session`` serves it)."""
    t = traces.c
    return (
        sa.select(traces)
        .where(t.project_id == project_id, t.session_id == session_id)
        .order_by(t.start_time, t.trace_id)
        .limit(limit)
    )
