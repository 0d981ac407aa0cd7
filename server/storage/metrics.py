"""Metrics queries for the Overview page, aggregated in the database: per time bucket over traces
(volume, errors, latency, tokens, cost), per bucket and model over the spans that have a model,
and per span name and kind over the whole range.

Traces are placed by their start, spans by theirs. A bucket is the epoch second at which it
starts, a whole multiple of its size (see ``server.storage.buckets``); buckets with no rows are
absent. Percentiles interpolate (``percentile_cont``), as both databases compute them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .tables import spans, traces

TOP_SPAN_NAMES = 50


def _bucket(column: sa.ColumnElement[datetime], bucket_seconds: int) -> sa.ColumnElement[int]:
    """The epoch second at which ``column``'s bucket starts. One expression for both databases:
    EXTRACT(EPOCH ...) is an exact numeric on Postgres and a double on DuckDB, whose 53-bit
    mantissa still tells apart times 1 us either side of a bucket boundary until the year 2106."""
    return sa.cast(sa.func.floor(sa.extract("epoch", column) / bucket_seconds) * bucket_seconds, sa.BigInteger)


def percentile(fraction: float, column: sa.ColumnElement[float]) -> sa.ColumnElement[float]:
    return sa.func.percentile_cont(fraction).within_group(column)


def sum_int(column: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """Sum of a bigint, 0 over no values; cast back because Postgres sums bigints as numeric."""
    return sa.cast(sa.func.coalesce(sa.func.sum(column), 0), sa.BigInteger)


def _in_range(
    column: sa.ColumnElement[datetime], start_after: datetime | None, start_before: datetime | None
) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if start_after is not None:
        conditions.append(column >= start_after)
    if start_before is not None:
        conditions.append(column < start_before)
    return conditions


def trace_range(project_id: str, start_after: datetime | None, start_before: datetime | None) -> sa.Select[Any]:
    """(first, last) trace start within the bounds given; (NULL, NULL) without traces."""
    t = traces.c
    return sa.select(sa.func.min(t.start_time), sa.func.max(t.start_time)).where(
        t.project_id == project_id, *_in_range(t.start_time, start_after, start_before)
    )


def timeline(
    project_id: str, start_after: datetime | None, start_before: datetime | None, bucket_seconds: int
) -> sa.Select[Any]:
    """One row per bucket with traces: counts, error rate, latency percentiles, tokens, cost."""
    t = traces.c
    rows = (
        sa.select(
            _bucket(t.start_time, bucket_seconds).label("bucket"),
            t.duration_ms,
            t.error_count,
            t.input_tokens,
            t.output_tokens,
            t.cost_usd,
        )
        .where(t.project_id == project_id, *_in_range(t.start_time, start_after, start_before))
        .subquery("bucketed")
    )
    r = rows.c
    error_traces = sa.func.count().filter(r.error_count > 0)
    return (
        sa.select(
            r.bucket.label("bucket_start"),
            sa.func.count().label("traces"),
            error_traces.label("error_traces"),
            (sa.cast(error_traces, sa.Double) / sa.func.count()).label("error_rate"),
            percentile(0.5, r.duration_ms).label("p50_ms"),
            percentile(0.95, r.duration_ms).label("p95_ms"),
            percentile(0.99, r.duration_ms).label("p99_ms"),
            sum_int(r.input_tokens).label("input_tokens"),
            sum_int(r.output_tokens).label("output_tokens"),
            sa.func.sum(r.cost_usd).label("cost_usd"),  # NULL when no trace in the bucket has a cost
        )
        .group_by(r.bucket)
        .order_by(r.bucket)
    )


def by_model(
    project_id: str, start_after: datetime | None, start_before: datetime | None, bucket_seconds: int
) -> sa.Select[Any]:
    """One row per (bucket, model) over the spans that name a model (LLM and embedding calls)."""
    s = spans.c
    rows = (
        sa.select(
            _bucket(s.start_time, bucket_seconds).label("bucket"),
            s.model,
            s.status,
            s.duration_ms,
            s.input_tokens,
            s.output_tokens,
            s.cost_usd,
        )
        .where(s.project_id == project_id, s.model.is_not(None), *_in_range(s.start_time, start_after, start_before))
        .subquery("bucketed")
    )
    r = rows.c
    return (
        sa.select(
            r.bucket.label("bucket_start"),
            r.model,
            sa.func.count().label("calls"),
            sa.func.count().filter(r.status == "error").label("errors"),
            sum_int(r.input_tokens).label("input_tokens"),
            sum_int(r.output_tokens).label("output_tokens"),
            sa.func.sum(r.cost_usd).label("cost_usd"),
            percentile(0.5, r.duration_ms).label("p50_ms"),
            percentile(0.95, r.duration_ms).label("p95_ms"),
        )
        .group_by(r.bucket, r.model)
        .order_by(r.bucket, r.model)
    )


def by_span_name(project_id: str, start_after: datetime | None, start_before: datetime | None) -> sa.Select[Any]:
    """The TOP_SPAN_NAMES (name, kind) pairs that took the most time in the range, summarized."""
    s = spans.c
    total_duration = sa.func.sum(s.duration_ms)
    return (
        sa.select(
            s.name,
            s.kind,
            sa.func.count().label("count"),
            sa.func.count().filter(s.status == "error").label("errors"),
            percentile(0.5, s.duration_ms).label("p50_ms"),
            percentile(0.95, s.duration_ms).label("p95_ms"),
            percentile(0.99, s.duration_ms).label("p99_ms"),
            total_duration.label("total_duration_ms"),
            sum_int(s.total_tokens).label("total_tokens"),
            sa.func.sum(s.cost_usd).label("cost_usd"),
        )
        .where(s.project_id == project_id, *_in_range(s.start_time, start_after, start_before))
        .group_by(s.name, s.kind)
        .order_by(total_duration.desc(), s.name, s.kind)
        .limit(TOP_SPAN_NAMES)
    )


def span_names(project_id: str, trace_ids: Sequence[str]) -> sa.Select[Any]:
    """Every (name, kind) pair of the spans of ``trace_ids``, summed: a cohort's time by step.

    ``self_ms`` is each span's own time, its duration less its children's (never below 0, as
    children may run in parallel): a parent's duration repeats its children's, its own time
    does not, so the step that got slower stands out from the spans around it."""
    s = spans.c
    ids = list(trace_ids)
    children = (
        sa.select(s.trace_id, s.parent_span_id, sa.func.sum(s.duration_ms).label("children_ms"))
        .where(s.project_id == project_id, s.trace_id.in_(ids), s.parent_span_id.is_not(None))
        .group_by(s.trace_id, s.parent_span_id)
        .subquery("children")
    )
    own = sa.func.greatest(s.duration_ms - sa.func.coalesce(children.c.children_ms, 0), 0)
    joined = spans.outerjoin(
        children, sa.and_(children.c.trace_id == s.trace_id, children.c.parent_span_id == s.span_id)
    )
    return (
        sa.select(
            s.name,
            s.kind,
            sa.func.count().label("spans"),
            sa.func.count().filter(s.status == "error").label("errors"),
            sa.func.sum(s.duration_ms).label("duration_ms"),
            sa.func.sum(own).label("self_ms"),
            sa.func.sum(s.cost_usd).label("cost_usd"),
        )
        .select_from(joined)
        .where(s.project_id == project_id, s.trace_id.in_(ids))
        .group_by(s.name, s.kind)
        .order_by(s.name, s.kind)
    )
