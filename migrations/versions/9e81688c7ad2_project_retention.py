"""project_retention: how many days each project keeps its traces (docs/security.md)

Revision ID: 9e81688c7ad2
Revises: 16fa2a895479
Create Date: 2026-12-03

A table of its own rather than a column of ``projects``: DuckDB cannot ALTER a table that has
an index (ARCHITECTURE.md), and ``projects`` has its unique name. Hand-written, for DuckDB and
Postgres; snapshots its own table definition.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e81688c7ad2"
down_revision: str | Sequence[str] | None = "16fa2a895479"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_retention",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("days", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_retention")
