"""initial schema: projects, spans, traces

Revision ID: 4ccb18581452
Revises:
Create Date: 2025-11-24

Hand-written: it runs on DuckDB and Postgres, and snapshots the table definitions it needs (it
never imports server.storage.tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "4ccb18581452"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_PROJECT = "default"  # snapshot of server.model.DEFAULT_PROJECT


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    projects = op.create_table(
        "projects",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    # DuckDB keys spans by one 128-bit column (BLAKE2b of project, trace and span IDs, made at
    # ingest): its ART index on the three strings was 70% of every span insert (measured).
    # Postgres keeps the composite key, which its B-tree handles well.
    if op.get_bind().dialect.name == "duckdb":
        from duckdb_engine.datatypes import UHugeInteger

        key_columns = [
            sa.Column("span_key", UHugeInteger(), primary_key=True, autoincrement=False),
            sa.Column("project_id", sa.Text(), nullable=False),
            sa.Column("trace_id", sa.Text(), nullable=False),
            sa.Column("span_id", sa.Text(), nullable=False),
        ]
    else:
        key_columns = [
            sa.Column("project_id", sa.Text(), primary_key=True),
            sa.Column("trace_id", sa.Text(), primary_key=True),
            sa.Column("span_id", sa.Text(), primary_key=True),
        ]
    op.create_table(
        "spans",
        *key_columns,
        sa.Column("parent_span_id", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_message", sa.Text()),
        sa.Column("start_time", _timestamp(), nullable=False),
        sa.Column("end_time", _timestamp(), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("service_name", sa.Text()),
        sa.Column("scope_name", sa.Text()),
        sa.Column("model", sa.Text()),
        sa.Column("provider", sa.Text()),
        sa.Column("input_tokens", sa.BigInteger()),
        sa.Column("output_tokens", sa.BigInteger()),
        sa.Column("total_tokens", sa.BigInteger()),
        sa.Column("cache_read_tokens", sa.BigInteger()),
        sa.Column("cache_write_tokens", sa.BigInteger()),
        sa.Column("reasoning_tokens", sa.BigInteger()),
        sa.Column("cost_usd", sa.Double()),
        sa.Column("cost_source", sa.Text()),
        sa.Column("input", sa.Text()),
        sa.Column("input_mime_type", sa.Text()),
        sa.Column("output", sa.Text()),
        sa.Column("output_mime_type", sa.Text()),
        sa.Column("input_messages", _json()),
        sa.Column("output_messages", _json()),
        sa.Column("documents", _json()),
        sa.Column("tool_name", sa.Text()),
        sa.Column("tool_arguments", sa.Text()),
        sa.Column("tool_result", sa.Text()),
        sa.Column("session_id", sa.Text()),
        sa.Column("user_id", sa.Text()),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("resource_attributes", _json(), nullable=False),
        sa.Column("events", _json(), nullable=False),
        sa.Column("links", _json(), nullable=False),
        sa.Column("dialects", _json(), nullable=False),
        sa.Column("unmapped_keys", _json(), nullable=False),
    )
    op.create_table(
        "traces",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("trace_id", sa.Text(), primary_key=True),
        sa.Column("root_span_id", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start_time", _timestamp(), nullable=False),
        sa.Column("end_time", _timestamp(), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("span_count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger()),
        sa.Column("output_tokens", sa.BigInteger()),
        sa.Column("total_tokens", sa.BigInteger()),
        sa.Column("cost_usd", sa.Double()),
        sa.Column("session_id", sa.Text()),
        sa.Column("user_id", sa.Text()),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("models", _json(), nullable=False),
        sa.Column("kinds", _json(), nullable=False),
        sa.Column("input_preview", sa.Text()),
        sa.Column("output_preview", sa.Text()),
        sa.Column("updated_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_traces_list", "traces", ["project_id", sa.text("start_time DESC"), sa.text("trace_id DESC")])
    op.create_index("ix_traces_session", "traces", ["project_id", "session_id", "start_time"])
    op.create_index("ix_traces_user", "traces", ["project_id", "user_id", "start_time"])
    op.execute(projects.insert().values(id=DEFAULT_PROJECT, name=DEFAULT_PROJECT, created_at=sa.func.now()))


def downgrade() -> None:
    op.drop_table("traces")  # drops its indexes with it
    op.drop_table("spans")
    op.drop_table("projects")
