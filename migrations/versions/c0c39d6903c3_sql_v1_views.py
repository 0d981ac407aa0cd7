"""sql_v1: the documented, versioned views users query with SQL (docs/sql.md)

Revision ID: c0c39d6903c3
Revises: d0b8d457cb5e
Create Date: 2026-11-25

The views are a public contract: same names, columns, order and meaning on DuckDB and Postgres.
"v1" never changes incompatibly (columns may be appended; none renamed, retyped or removed); an
incompatible change creates ``sql_v2`` beside it. Every view's first column is ``project_id``,
which the SQL sandbox filters on.

User SQL is written in DuckDB's dialect and transpiled by sqlglot, which turns JSON access
(``->>``, ``json_extract_string``, ``json_array_length``) into Postgres's ``json_*`` functions:
those take ``json``, not ``jsonb``. So the Postgres views cast their JSON columns to ``json``.

The views name their tables with the schema (``main.spans``, ``public.spans``): inside schema
``sql_v1`` an unqualified ``spans`` could mean the view itself. Postgres binds a view to its
tables when it is created, so a later revision that replaces a table these views read must drop
and recreate them (DuckDB rebinds at every query).

Hand-written; snapshots what it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "c0c39d6903c3"
down_revision: str | Sequence[str] | None = "d0b8d457cb5e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "sql_v1"

# Columns every per-span view starts with, in this order (docs/sql.md).
SPAN_IDS = "project_id, trace_id, span_id, parent_span_id, name"


def _dialect() -> str:
    return str(op.get_bind().dialect.name)


def _base_schema(dialect: str) -> str:
    """The quoted schema of the stored tables."""
    if dialect == "duckdb":
        return "main"
    if dialect == "postgresql":
        name = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
        return '"' + name.replace('"', '""') + '"'
    raise NotImplementedError(dialect)


def _json(dialect: str) -> Callable[[str], str]:
    """A JSON column as the views expose it (see the module docstring for why ``json``)."""
    if dialect == "duckdb":
        return lambda column: column
    if dialect == "postgresql":
        return lambda column: f"CAST({column} AS json)"
    raise NotImplementedError(dialect)


def _documents(dialect: str, spans: str) -> str:
    """FROM clause: each retriever or reranker span joined to its documents, ``document`` (JSON)
    numbered from 1 in ``position``."""
    if dialect == "duckdb":
        return f"{spans} AS s, unnest(CAST(s.documents AS JSON[])) WITH ORDINALITY AS d(document, position)"
    if dialect == "postgresql":
        return (
            f"{spans} AS s CROSS JOIN LATERAL jsonb_array_elements(s.documents) "
            "WITH ORDINALITY AS d(document, position)"
        )
    raise NotImplementedError(dialect)


def _document_field(dialect: str) -> Callable[[str], str]:
    """A document's field as text."""
    if dialect == "duckdb":
        return lambda field: f"d.document ->> '$.{field}'"
    if dialect == "postgresql":
        return lambda field: f"d.document ->> '{field}'"
    raise NotImplementedError(dialect)


def _document_metadata(dialect: str) -> str:
    if dialect == "duckdb":
        return "d.document -> '$.metadata'"
    if dialect == "postgresql":
        return "CAST(d.document -> 'metadata' AS json)"
    raise NotImplementedError(dialect)


def _tags(dialect: str, spans: str) -> str:
    """FROM clause: each span joined to its tags, one ``tag`` (text) a row."""
    if dialect == "duckdb":
        return f"{spans} AS s, unnest(CAST(s.tags AS VARCHAR[])) AS t(tag)"
    if dialect == "postgresql":
        return f"{spans} AS s CROSS JOIN LATERAL jsonb_array_elements_text(s.tags) AS t(tag)"
    raise NotImplementedError(dialect)


def _sorted_user_ids(dialect: str) -> str:
    """Aggregate: the distinct non-NULL user IDs, sorted by code point, as a JSON array."""
    if dialect == "duckdb":
        return "to_json(list_sort(list_distinct(list(user_id))))"  # list_distinct drops NULLs
    if dialect == "postgresql":
        return (
            'COALESCE(json_agg(DISTINCT user_id COLLATE "C" ORDER BY user_id COLLATE "C") '
            "FILTER (WHERE user_id IS NOT NULL), CAST('[]' AS json))"
        )
    raise NotImplementedError(dialect)


_SAME_SPAN = "l.project_id = s.project_id AND l.trace_id = s.trace_id AND l.span_id = s.span_id"


def _logged_messages(dialect: str, base: str, column: str) -> str:
    """Scalar subquery: the messages span ``s`` got from GenAI log events (``column`` of
    span_log_messages, in event order), as one JSON array; NULL when there are none."""
    if dialect == "duckdb":
        return (
            f"(SELECT to_json(flatten(list(CAST(l.{column} AS JSON[]) ORDER BY l.time, l.key))) "
            f"FROM {base}.span_log_messages AS l "
            f"WHERE {_SAME_SPAN} AND json_array_length(l.{column}) > 0)"
        )
    if dialect == "postgresql":
        return (
            f"(SELECT json_agg(m.message ORDER BY l.time, l.key, m.position) "
            f"FROM {base}.span_log_messages AS l CROSS JOIN LATERAL "
            f"jsonb_array_elements(l.{column}) WITH ORDINALITY AS m(message, position) "
            f"WHERE {_SAME_SPAN})"
        )
    raise NotImplementedError(dialect)


def _messages(dialect: str, base: str, column: str) -> str:
    """A span's messages as the API shows them: its own, or when it has none, those its GenAI
    log events carried (``server/api/read.py`` merges them the same way)."""
    if dialect == "duckdb":
        own = f"s.{column}"
        count = f"json_array_length(s.{column})"
    elif dialect == "postgresql":
        own = f"CAST(s.{column} AS json)"
        count = f"jsonb_array_length(s.{column})"
    else:
        raise NotImplementedError(dialect)
    logged = _logged_messages(dialect, base, column)
    return f"CASE WHEN COALESCE({count}, 0) > 0 THEN {own} ELSE COALESCE({logged}, {own}) END"


def _views(dialect: str) -> dict[str, str]:
    """Each view's SELECT, in creation order."""
    base = _base_schema(dialect)
    spans, traces = f"{base}.spans", f"{base}.traces"
    json = _json(dialect)
    field = _document_field(dialect)
    return {
        "spans": f"""
            SELECT {SPAN_IDS}, kind, status, status_message, start_time, end_time, duration_ms,
                service_name, scope_name, model, provider,
                input_tokens, output_tokens, total_tokens,
                cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
                session_id, user_id, {json("tags")} AS tags, {json("metadata")} AS metadata,
                input, input_mime_type, output, output_mime_type, tool_name,
                {json("attributes")} AS attributes, {json("resource_attributes")} AS resource_attributes
            FROM {spans}""",
        "traces": f"""
            SELECT project_id, trace_id, root_span_id, name, start_time, end_time, duration_ms,
                span_count, error_count, input_tokens, output_tokens, total_tokens, cost_usd,
                session_id, user_id, {json("tags")} AS tags, {json("models")} AS models,
                {json("kinds")} AS kinds, input_preview, output_preview
            FROM {traces}""",
        "llm_calls": f"""
            SELECT {SPAN_IDS}, status, status_message, start_time, end_time, duration_ms,
                service_name, model, provider, input_tokens, output_tokens, total_tokens,
                cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
                session_id, user_id, {json("tags")} AS tags, {json("metadata")} AS metadata,
                input, output, {_messages(dialect, base, "input_messages")} AS input_messages,
                {_messages(dialect, base, "output_messages")} AS output_messages
            FROM {spans} AS s
            WHERE kind = 'llm'""",
        "retrievals": f"""
            SELECT s.project_id, s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.status,
                s.start_time, s.end_time, s.duration_ms, s.session_id, s.user_id, s.input AS query,
                CAST(d.position AS BIGINT) AS rank, {field("id")} AS document_id,
                CAST({field("score")} AS DOUBLE PRECISION) AS score, {field("content")} AS content,
                {_document_metadata(dialect)} AS document_metadata
            FROM {_documents(dialect, spans)}
            WHERE s.kind IN ('retriever', 'reranker')""",
        "tool_calls": f"""
            SELECT {SPAN_IDS}, tool_name, tool_arguments AS arguments, tool_result AS result,
                status, status_message, start_time, end_time, duration_ms, service_name,
                session_id, user_id, {json("tags")} AS tags, {json("metadata")} AS metadata
            FROM {spans}
            WHERE tool_name IS NOT NULL""",
        "sessions": f"""
            SELECT project_id, session_id,
                CASE WHEN count(DISTINCT user_id) = 1 THEN min(user_id) END AS user_id,
                {_sorted_user_ids(dialect)} AS user_ids,
                count(*) AS trace_count, min(start_time) AS first_start, max(end_time) AS last_end,
                sum(duration_ms) AS duration_ms,
                count(*) FILTER (WHERE error_count > 0) AS error_count,
                CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
                CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
                CAST(sum(total_tokens) AS BIGINT) AS total_tokens,
                sum(cost_usd) AS cost_usd
            FROM {traces}
            WHERE session_id IS NOT NULL
            GROUP BY project_id, session_id""",
        "span_tags": f"""
            SELECT s.project_id, s.trace_id, s.span_id, t.tag
            FROM {_tags(dialect, spans)}""",
    }


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    for name, select in _views(_dialect()).items():
        op.execute(f"CREATE VIEW {SCHEMA}.{name} AS {select}")


def downgrade() -> None:
    for name in reversed(list(_views(_dialect()))):
        op.execute(f"DROP VIEW {SCHEMA}.{name}")
    op.execute(f"DROP SCHEMA {SCHEMA}")
