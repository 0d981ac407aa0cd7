"""saved_queries: SQL queries saved per project (the UI's SQL page, /api/v1/saved-queries)

Revision ID: 6cbb5d60adb5
Revises: 4bc78f760bf1
Create Date: 2026-11-25

Hand-written, for DuckDB and Postgres; snapshots its own table definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "6cbb5d60adb5"
down_revision: str | Sequence[str] | None = "4bc78f760bf1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "saved_queries",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("chart", _json()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_saved_queries_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_queries")
