"""sql_v1: views over the evaluation tables (scores, score_configs, datasets, dataset_examples,
runs, run_results)

Revision ID: b88252010fff
Revises: 80597e2cdab3
Create Date: 2026-11-25

docs/sql.md documents them; the rules of c0c39d6903c3 hold (first column ``project_id``, JSON
columns cast to ``json`` on Postgres, tables named with their schema). ``datasets`` adds each
dataset's example count in its latest version; ``run_results`` adds the input and expected
output of each example as it was in the version the run used.

Hand-written; snapshots what it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "b88252010fff"
down_revision: str | Sequence[str] | None = "80597e2cdab3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "sql_v1"


def _base_schema(dialect: str) -> str:
    if dialect == "duckdb":
        return "main"
    name = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
    return '"' + name.replace('"', '""') + '"'


def _json(dialect: str) -> Callable[[str], str]:
    if dialect == "duckdb":
        return lambda column: column
    return lambda column: f"CAST({column} AS json)"


def _views(dialect: str) -> dict[str, str]:
    base = _base_schema(dialect)
    json = _json(dialect)
    in_version = "e.version_added <= {v} AND (e.version_removed IS NULL OR e.version_removed > {v})"
    return {
        "scores": f"""
            SELECT project_id, id AS score_id, trace_id, span_id, name, data_type, value, label, source,
                comment, author, run_id, config_id, created_at
            FROM {base}.scores""",
        "score_configs": f"""
            SELECT project_id, id AS config_id, name, data_type, min_value, max_value,
                {json("categories")} AS categories, description, created_at
            FROM {base}.score_configs""",
        "datasets": f"""
            SELECT d.project_id, d.id AS dataset_id, d.name, d.description, {json("d.metadata")} AS metadata,
                d.version,
                (SELECT count(*) FROM {base}.dataset_examples AS e
                 WHERE e.project_id = d.project_id AND e.dataset_id = d.id AND e.version_removed IS NULL)
                    AS example_count,
                d.created_at, d.updated_at
            FROM {base}.datasets AS d""",
        "dataset_examples": f"""
            SELECT project_id, dataset_id, id AS example_id, version_added, version_removed,
                {json("input")} AS input, {json("expected_output")} AS expected_output,
                {json("metadata")} AS metadata, source_trace_id, source_span_id, created_at
            FROM {base}.dataset_examples""",
        "runs": f"""
            SELECT project_id, id AS run_id, dataset_id, dataset_version, name, {json("metadata")} AS metadata,
                status, started_at, ended_at
            FROM {base}.runs""",
        "run_results": f"""
            SELECT r.project_id, r.run_id, r.example_id, r.trace_id, {json("e.input")} AS input,
                {json("e.expected_output")} AS expected_output, {json("r.output")} AS output, r.error,
                r.latency_ms, r.created_at
            FROM {base}.run_results AS r
            JOIN {base}.runs AS run ON run.project_id = r.project_id AND run.id = r.run_id
            LEFT JOIN {base}.dataset_examples AS e ON e.project_id = r.project_id
                AND e.dataset_id = run.dataset_id AND e.id = r.example_id
                AND {in_version.format(v="run.dataset_version")}""",
    }


def upgrade() -> None:
    dialect = str(op.get_bind().dialect.name)
    for name, select in _views(dialect).items():
        op.execute(f"CREATE VIEW {SCHEMA}.{name} AS {select}")


def downgrade() -> None:
    for name in reversed(list(_views(str(op.get_bind().dialect.name)))):
        op.execute(f"DROP VIEW {SCHEMA}.{name}")
