"""Evaluation: score_configs, scores, datasets, dataset_examples, runs, run_results

Revision ID: 80597e2cdab3
Revises: 6cbb5d60adb5
Create Date: 2026-11-25

docs/evaluation.md describes them. Hand-written, for DuckDB and Postgres; snapshots its own
table definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "80597e2cdab3"
down_revision: str | Sequence[str] | None = "6cbb5d60adb5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("score_configs", "scores", "datasets", "dataset_examples", "runs", "run_results")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def _timestamp() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "score_configs",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data_type", sa.Text(), nullable=False),
        sa.Column("min_value", sa.Double()),
        sa.Column("max_value", sa.Double()),
        sa.Column("categories", _json()),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_score_configs_name"),
    )
    op.create_table(
        "scores",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("span_id", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data_type", sa.Text(), nullable=False),
        sa.Column("value", sa.Double()),
        sa.Column("label", sa.Text()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("author", sa.Text()),
        sa.Column("run_id", sa.Text()),
        sa.Column("config_id", sa.Text()),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("ix_scores_trace", "scores", ["project_id", "trace_id"])
    op.create_index("ix_scores_run", "scores", ["project_id", "run_id"])
    op.create_index("ix_scores_created", "scores", ["project_id", "created_at", "id"])
    op.create_table(
        "datasets",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_datasets_name"),
    )
    op.create_table(
        "dataset_examples",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("dataset_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("version_added", sa.BigInteger(), primary_key=True),
        sa.Column("version_removed", sa.BigInteger()),
        sa.Column("input", _json()),
        sa.Column("expected_output", _json()),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("source_trace_id", sa.Text()),
        sa.Column("source_span_id", sa.Text()),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("dataset_id", sa.Text(), nullable=False),
        sa.Column("dataset_version", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", _timestamp(), nullable=False),
        sa.Column("ended_at", _timestamp()),
    )
    op.create_index("ix_runs_dataset", "runs", ["project_id", "dataset_id", "started_at"])
    op.create_table(
        "run_results",
        sa.Column("project_id", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("example_id", sa.Text(), primary_key=True),
        sa.Column("trace_id", sa.Text()),
        sa.Column("output", _json()),
        sa.Column("error", sa.Text()),
        sa.Column("latency_ms", sa.Double()),
        sa.Column("created_at", _timestamp(), nullable=False),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # drops its indexes too
