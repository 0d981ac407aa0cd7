"""trace_deltas: DuckDB's queue of trace-summary changes, folded into traces in bulk

Revision ID: b7e2c91d4f60
Revises: ae8103e3dbd5
Create Date: 2026-11-25

DuckDB only (Postgres updates its summaries in the write transaction). Each write appends the
per-trace deltas of its new spans here, in the same transaction as the spans; the store folds
them into ``traces`` about once a second and before every read of ``traces``. Merging into
``traces`` costs DuckDB a scan of the table per statement (ON CONFLICT DO UPDATE, 7 ms at 170k
traces however few rows change), so it is done once per fold, not once per write.

Hand-written; snapshots its own table definition.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e2c91d4f60"
down_revision: str | Sequence[str] | None = "ae8103e3dbd5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _is_duckdb() -> bool:
    return bool(op.get_bind().dialect.name == "duckdb")


def upgrade() -> None:
    if not _is_duckdb():
        return
    op.create_table(
        "trace_deltas",
        sa.Column("project_id", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("root_span_id", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("span_count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger()),
        sa.Column("output_tokens", sa.BigInteger()),
        sa.Column("total_tokens", sa.BigInteger()),
        sa.Column("cost_usd", sa.Double()),
        sa.Column("session_id", sa.Text()),
        sa.Column("user_id", sa.Text()),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("input_preview", sa.Text()),
        sa.Column("output_preview", sa.Text()),
    )


def downgrade() -> None:
    if not _is_duckdb():
        return
    # The collector folds the queue when it stops; a queue left by a crash is folded by the next
    # start. Dropping unfolded deltas would leave stale summaries, so refuse instead.
    queued = op.get_bind().execute(sa.text("SELECT count(*) FROM trace_deltas")).scalar_one()
    if queued:
        raise RuntimeError(
            f"trace_deltas holds {queued} unfolded summary changes: start the collector once "
            "(it folds them) and stop it, then downgrade"
        )
    op.drop_table("trace_deltas")
