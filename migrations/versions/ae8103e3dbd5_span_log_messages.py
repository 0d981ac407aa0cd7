"""span_log_messages: chat messages that arrive as GenAI log events

Revision ID: ae8103e3dbd5
Revises: 4ccb18581452
Create Date: 2026-11-24

Hand-written, for DuckDB and Postgres; snapshots its own table definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "ae8103e3dbd5"
down_revision: str | Sequence[str] | None = "4ccb18581452"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "span_log_messages",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("trace_id", sa.Text(), primary_key=True),
        sa.Column("span_id", sa.Text(), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("input_messages", _json(), nullable=False),
        sa.Column("output_messages", _json(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("span_log_messages")
