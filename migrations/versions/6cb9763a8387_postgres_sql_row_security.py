"""Postgres: row-level security for user SQL, keyed on the role (docs/security.md)

Revision ID: 6cb9763a8387
Revises: 9e81688c7ad2
Create Date: 2026-12-03

User SQL (``POST /api/v1/sql``) runs on Postgres as a role of its project (``SET LOCAL ROLE``,
server/sql/roles.py), and the database itself keeps that role to its project's rows, whatever
the query: every table the ``sql_v1`` views read has a policy that admits only the rows of the
project ``sql_project_roles`` names for ``current_user``. A user cannot change which role a
query runs as: SET, RESET and set_config are refused before a query runs (server/sql/policy.py).

The collector's own role owns the tables and is not subject to the policies (no FORCE), so
ingest and the API are unchanged. The views become ``security_invoker`` (Postgres 15+), so
they read the tables as the project role. A later revision that recreates a ``sql_v1`` view
must set it again. DuckDB has no roles: there the syntax-tree scoping alone confines.

Hand-written; snapshots the names it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "6cb9763a8387"
down_revision: str | Sequence[str] | None = "9e81688c7ad2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "spans",
    "traces",
    "span_log_messages",
    "scores",
    "score_configs",
    "datasets",
    "dataset_examples",
    "runs",
    "run_results",
)
VIEWS = (
    "spans", "traces", "llm_calls", "retrievals", "tool_calls", "sessions", "span_tags",
    "scores", "score_configs", "datasets", "dataset_examples", "runs", "run_results",
)  # fmt: skip
POLICY = "spanscope_project_rows"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.execute("CREATE TABLE sql_project_roles (role_name TEXT PRIMARY KEY, project TEXT NOT NULL)")
    op.execute("ALTER TABLE sql_project_roles ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {POLICY} ON sql_project_roles FOR SELECT USING (role_name = current_user)")
    mine = "(SELECT r.project FROM sql_project_roles r WHERE r.role_name = current_user)"
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {table} FOR SELECT USING (project_id = {mine})")
    server_version = op.get_bind().dialect.server_version_info or (0,)
    if server_version >= (15,):
        for view in VIEWS:
            op.execute(f"ALTER VIEW sql_v1.{view} SET (security_invoker = true)")


def downgrade() -> None:
    if not _postgres():
        return
    server_version = op.get_bind().dialect.server_version_info or (0,)
    if server_version >= (15,):
        for view in VIEWS:
            op.execute(f"ALTER VIEW sql_v1.{view} RESET (security_invoker)")
    for table in TABLES:
        op.execute(f"DROP POLICY {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP TABLE sql_project_roles")
