"""sql_v1.llm_calls on DuckDB: a span's logged messages come from one join, not a subquery a row

Revision ID: 4bc78f760bf1
Revises: c0c39d6903c3
Create Date: 2026-11-25

DuckDB only; same columns, same values. The first definition took a span's GenAI log-event
messages from a correlated scalar subquery. DuckDB decorrelates that into a join whose input is
every LLM span, materialised twice (once for input, once for output messages) and spilled to
disk under the collector's memory limit: "the first message of each LLM call" (docs/sql.md)
took 930 ms at 1M spans with the collector's settings (one thread, 384MB). Here the log messages
are grouped by span once, and the LLM spans join that (usually small) result: 175 ms.

Postgres keeps the subquery: it answers it from the primary key of ``span_log_messages`` for
just the rows a query keeps, where a grouped join would aggregate the whole table first.

Hand-written; snapshots what it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "4bc78f760bf1"
down_revision: str | Sequence[str] | None = "c0c39d6903c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = """project_id, trace_id, span_id, parent_span_id, name, status, status_message,
    start_time, end_time, duration_ms, service_name, model, provider, input_tokens,
    output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
    session_id, user_id, tags, metadata, input, output"""


def _qualified(columns: str) -> str:
    return ", ".join(f"s.{column.strip()}" for column in columns.split(","))


def _own_or(column: str, logged: str) -> str:
    """A span's own messages, or when it has none, ``logged`` (``server/api/read.py`` merges
    them the same way)."""
    return (
        f"CASE WHEN COALESCE(json_array_length(s.{column}), 0) > 0 THEN s.{column} "
        f"ELSE COALESCE({logged}, s.{column}) END AS {column}"
    )


def _joined() -> str:
    def logged(column: str) -> str:
        return (
            f"to_json(flatten(list(CAST({column} AS JSON[]) ORDER BY time, key) "
            f"FILTER (WHERE json_array_length({column}) > 0))) AS {column}"
        )

    return f"""
        SELECT {_qualified(_COLUMNS)},
            {_own_or("input_messages", "l.input_messages")},
            {_own_or("output_messages", "l.output_messages")}
        FROM main.spans AS s
        LEFT JOIN (
            SELECT project_id, trace_id, span_id, {logged("input_messages")}, {logged("output_messages")}
            FROM main.span_log_messages
            GROUP BY project_id, trace_id, span_id
        ) AS l ON l.project_id = s.project_id AND l.trace_id = s.trace_id AND l.span_id = s.span_id
        WHERE s.kind = 'llm'"""


def _correlated() -> str:
    """The definition of revision c0c39d6903c3, for the downgrade."""

    def logged(column: str) -> str:
        return (
            f"(SELECT to_json(flatten(list(CAST(l.{column} AS JSON[]) ORDER BY l.time, l.key))) "
            "FROM main.span_log_messages AS l WHERE l.project_id = s.project_id "
            f"AND l.trace_id = s.trace_id AND l.span_id = s.span_id AND json_array_length(l.{column}) > 0)"
        )

    return f"""
        SELECT {_COLUMNS},
            {_own_or("input_messages", logged("input_messages"))},
            {_own_or("output_messages", logged("output_messages"))}
        FROM main.spans AS s
        WHERE kind = 'llm'"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        op.execute(f"CREATE OR REPLACE VIEW sql_v1.llm_calls AS {_joined()}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        op.execute(f"CREATE OR REPLACE VIEW sql_v1.llm_calls AS {_correlated()}")
