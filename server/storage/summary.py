"""The per-trace summary (table ``traces``). Postgres, and DuckDB after a resend, recompute it
from ``spans`` inside the write transaction for every trace the batch touched; DuckDB's usual
path queues per-trace deltas and folds them in (``fold_sql_duckdb``, see ``delta.py``).

Recomputing from the stored spans, rather than adding the batch to the old summary, keeps the
summary right whatever the arrival order: children before their root, one trace over many
batches, resent spans. The caller fills a relation named ``affected`` (project_id, trace_id) with
the traces that gained spans, then runs ``upsert_sql(backend)``.

The "first" span of a trace is its root (no parent); until the root arrives it is the earliest
span. It gives the trace its name and previews.
"""

from __future__ import annotations

from .urls import Backend, assert_never

PREVIEW_CHARS = 300
_UPDATED = (
    "root_span_id, name, start_time, end_time, duration_ms, span_count, error_count, input_tokens, output_tokens, "
    "total_tokens, cost_usd, session_id, user_id, tags, models, kinds, input_preview, output_preview, updated_at"
)

# Only what the summary reads: the large JSON columns (messages, documents, attributes) stay
# on disk.
_RANKED_COLUMNS = ", ".join(
    f"s.{column}"
    for column in [
        "project_id",
        "trace_id",
        "span_id",
        "parent_span_id",
        "name",
        "kind",
        "status",
        "start_time",
        "end_time",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cost_usd",
        "model",
        "session_id",
        "user_id",
        "tags",
        "input",
        "output",
    ]
)


# Aggregates both summaries take alike, over spans or over queued deltas: a sum is NULL only
# when no row had a value (no span reported tokens or cost).
_TOTALS_AND_ANY_IDS = """sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(total_tokens) AS total_tokens,
        sum(cost_usd) AS cost_usd,
        max(session_id) AS any_session_id,
        max(user_id) AS any_user_id,"""


def _distinct_list(backend: Backend, column: str) -> str:
    """Aggregate: the sorted distinct non-NULL values of ``column``, as a JSON list."""
    if backend == "duckdb":
        return f"to_json(list_sort(list_distinct(list({column}))))"  # list_distinct drops NULLs
    if backend == "postgresql":
        return f"COALESCE(jsonb_agg(DISTINCT {column} ORDER BY {column}) FILTER (WHERE {column} IS NOT NULL), '[]')"
    assert_never(backend)


def _tag_sets(backend: Backend) -> str:
    """Query: (project_id, trace_id, tags) with the sorted union of the spans' JSON tag lists."""
    if backend == "duckdb":
        return (
            "SELECT project_id, trace_id, to_json(list_sort(list_distinct(flatten(list(CAST(tags AS VARCHAR[]))))))"
            " AS tags FROM ranked GROUP BY project_id, trace_id"
        )
    if backend == "postgresql":
        return (
            "SELECT r.project_id, r.trace_id, jsonb_agg(DISTINCT t.tag ORDER BY t.tag) AS tags"
            " FROM ranked AS r CROSS JOIN LATERAL jsonb_array_elements_text(r.tags) AS t(tag)"
            " GROUP BY r.project_id, r.trace_id"
        )
    assert_never(backend)


def _milliseconds_between(backend: Backend, start: str, end: str) -> str:
    if backend == "duckdb":
        return f"(epoch_us({end}) - epoch_us({start})) / 1000.0"
    if backend == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000 AS DOUBLE PRECISION)"
    assert_never(backend)


def _empty_json_list(backend: Backend) -> str:
    if backend == "duckdb":
        return "CAST('[]' AS JSON)"
    if backend == "postgresql":
        return "CAST('[]' AS JSONB)"
    assert_never(backend)


def upsert_sql(backend: Backend) -> str:
    """One statement: summarize the spans of every trace in ``affected`` into ``traces``."""
    return f"""
INSERT INTO traces (project_id, trace_id, {_UPDATED})
WITH ranked AS (
    SELECT {_RANKED_COLUMNS}, row_number() OVER (
        PARTITION BY s.project_id, s.trace_id
        ORDER BY CASE WHEN s.parent_span_id IS NULL THEN 0 ELSE 1 END, s.start_time, s.span_id
    ) AS position
    FROM spans AS s
    JOIN (SELECT DISTINCT project_id, trace_id FROM affected) AS a
        ON s.project_id = a.project_id AND s.trace_id = a.trace_id
),
totals AS (
    SELECT project_id, trace_id,
        min(start_time) AS start_time,
        max(end_time) AS end_time,
        count(*) AS span_count,
        sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS error_count,
        {_TOTALS_AND_ANY_IDS}
        {_distinct_list(backend, "model")} AS models,
        {_distinct_list(backend, "kind")} AS kinds
    FROM ranked
    GROUP BY project_id, trace_id
),
tag_sets AS ({_tag_sets(backend)})
SELECT t.project_id, t.trace_id,
    CASE WHEN f.parent_span_id IS NULL THEN f.span_id END,
    f.name,
    t.start_time,
    t.end_time,
    {_milliseconds_between(backend, "t.start_time", "t.end_time")},
    t.span_count,
    t.error_count,
    t.input_tokens,
    t.output_tokens,
    t.total_tokens,
    t.cost_usd,
    COALESCE(f.session_id, t.any_session_id),
    COALESCE(f.user_id, t.any_user_id),
    COALESCE(g.tags, {_empty_json_list(backend)}),
    t.models,
    t.kinds,
    substr(f.input, 1, {PREVIEW_CHARS}),
    substr(f.output, 1, {PREVIEW_CHARS}),
    CURRENT_TIMESTAMP
FROM totals AS t
JOIN ranked AS f ON f.project_id = t.project_id AND f.trace_id = t.trace_id AND f.position = 1
LEFT JOIN tag_sets AS g ON g.project_id = t.project_id AND g.trace_id = t.trace_id
ON CONFLICT (project_id, trace_id) DO UPDATE SET
    {", ".join(f"{column} = excluded.{column}" for column in _UPDATED.split(", "))}
"""


def _sum_or_null(column: str) -> str:
    """Add two nullable totals: NULL only when both are (no span reported it)."""
    return (
        f"CASE WHEN traces.{column} IS NULL AND excluded.{column} IS NULL THEN NULL "
        f"ELSE COALESCE(traces.{column}, 0) + COALESCE(excluded.{column}, 0) END"
    )


def _from_first(column: str) -> str:
    """A field of the trace's "first" span: the existing summary's unless the batch brings the
    root (and the summary had none) or, with no root anywhere, an earlier span."""
    return (
        f"CASE WHEN traces.root_span_id IS NOT NULL THEN traces.{column} "
        f"WHEN excluded.root_span_id IS NOT NULL OR excluded.start_time < traces.start_time "
        f"THEN excluded.{column} ELSE traces.{column} END"
    )


def _union(column: str) -> str:
    return (
        f"to_json(list_sort(list_distinct(list_concat("
        f"CAST(traces.{column} AS VARCHAR[]), CAST(excluded.{column} AS VARCHAR[])))))"
    )


def _merge_sql_duckdb(with_clause: str) -> str:
    """DuckDB: merge per-trace deltas of new spans (a relation ``delta``, one row per trace, that
    ``with_clause`` defines) into the stored summaries, field by field."""
    merged = {
        "root_span_id": "COALESCE(traces.root_span_id, excluded.root_span_id)",
        "name": _from_first("name"),
        "input_preview": _from_first("input_preview"),
        "output_preview": _from_first("output_preview"),
        "session_id": f"COALESCE({_from_first('session_id')}, traces.session_id, excluded.session_id)",
        "user_id": f"COALESCE({_from_first('user_id')}, traces.user_id, excluded.user_id)",
        "start_time": "least(traces.start_time, excluded.start_time)",
        "end_time": "greatest(traces.end_time, excluded.end_time)",
        "duration_ms": (
            "(epoch_us(greatest(traces.end_time, excluded.end_time))"
            " - epoch_us(least(traces.start_time, excluded.start_time))) / 1000.0"
        ),
        "span_count": "traces.span_count + excluded.span_count",
        "error_count": "traces.error_count + excluded.error_count",
        "input_tokens": _sum_or_null("input_tokens"),
        "output_tokens": _sum_or_null("output_tokens"),
        "total_tokens": _sum_or_null("total_tokens"),
        "cost_usd": _sum_or_null("cost_usd"),
        "tags": _union("tags"),
        "models": _union("models"),
        "kinds": _union("kinds"),
        "updated_at": "now()",  # DuckDB binds a bare CURRENT_TIMESTAMP here as a column name
    }
    columns = _UPDATED.split(", ")
    assert set(merged) == set(columns), "every summary column needs a merge rule"
    values = ", ".join(
        f"CAST({column} AS JSON)"
        if column in ("tags", "models", "kinds")
        else ("now()" if column == "updated_at" else column)
        for column in columns
    )
    return (
        f"INSERT INTO traces (project_id, trace_id, {_UPDATED})\n{with_clause}\n"
        f"SELECT project_id, trace_id, {values} FROM delta\n"
        "ON CONFLICT (project_id, trace_id) DO UPDATE SET\n    "
        + ",\n    ".join(f"{column} = {expression}" for column, expression in merged.items())
    )


def _list_union_aggregate(column: str) -> str:
    return f"to_json(list_sort(list_distinct(flatten(list(CAST({column} AS VARCHAR[]))))))"


def fold_sql_duckdb() -> str:
    """DuckDB: fold every queued delta (table ``trace_deltas``) into ``traces``. The deltas of
    one trace are first combined as if its spans had come in one batch (the "first" delta is
    the one with the root, else the earliest; ties go to the one queued first), then merged
    into the stored summary with ``_merge_sql_duckdb``'s rules."""
    return _merge_sql_duckdb(f"""WITH queued AS (
    SELECT *, row_number() OVER (
        PARTITION BY project_id, trace_id ORDER BY root_span_id IS NULL, start_time, rowid
    ) AS position
    FROM trace_deltas
),
totals AS (
    SELECT project_id, trace_id,
        min(start_time) AS start_time,
        max(end_time) AS end_time,
        sum(span_count) AS span_count,
        sum(error_count) AS error_count,
        {_TOTALS_AND_ANY_IDS}
        {_list_union_aggregate("tags")} AS tags,
        {_list_union_aggregate("models")} AS models,
        {_list_union_aggregate("kinds")} AS kinds
    FROM trace_deltas
    GROUP BY project_id, trace_id
),
delta AS (
    SELECT t.project_id, t.trace_id, f.root_span_id, f.name, t.start_time, t.end_time,
        {_milliseconds_between("duckdb", "t.start_time", "t.end_time")} AS duration_ms,
        t.span_count, t.error_count, t.input_tokens, t.output_tokens, t.total_tokens, t.cost_usd,
        COALESCE(f.session_id, t.any_session_id) AS session_id,
        COALESCE(f.user_id, t.any_user_id) AS user_id,
        t.tags, t.models, t.kinds, f.input_preview, f.output_preview
    FROM totals AS t
    JOIN queued AS f ON f.project_id = t.project_id AND f.trace_id = t.trace_id AND f.position = 1
)""")
