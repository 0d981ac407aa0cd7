"""Postgres roles for user SQL, one a project: the database keeps each to its project's rows
(row-level security, revision 6cb9763a8387), a second wall behind the syntax-tree scoping.

A role is made the first time its project runs SQL on a collector, then reused: ``NOLOGIN``
(nobody connects as it), granted to the collector's own role so that a query's transaction
may ``SET LOCAL ROLE`` to it, allowed to read the ``sql_v1`` views and the tables they read,
and named in ``sql_project_roles``, which the policies read. Where the collector's role may not
create roles (a managed database without CREATEROLE), SQL stays confined by the syntax tree
alone; the collector says so once in its log.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import psycopg
from psycopg import sql

logger = logging.getLogger("spanscope.sql")

# The tables the views read (as the revision's TABLES) and the roles table the policies read.
READ_TABLES = (
    "spans", "traces", "span_log_messages", "scores", "score_configs", "datasets",
    "dataset_examples", "runs", "run_results", "sql_project_roles",
)  # fmt: skip
_made: dict[str, str | None] = {}
_lock = threading.Lock()


def role_name(project_id: str) -> str:
    """A role name that fits Postgres (63 bytes) whatever the project id holds."""
    return "spanscope_sql_" + hashlib.sha256(project_id.encode()).hexdigest()[:24]


def project_role(driver: psycopg.Connection[Any], database: str, project_id: str) -> str | None:
    """The project's role, made when missing (in its own transaction); None when the collector's
    role may not make roles, or the database predates row-level security."""
    key = f"{database}\x00{project_id}"
    name = role_name(project_id)
    with _lock:
        known = key in _made
        if known and _made[key] is None:
            return None  # this role may not make roles: no use asking again
    try:
        with driver.transaction():
            # Cheap, and needed even when this process made the role: a migration run since
            # (downgrade and upgrade) recreates the views' schema without the role's grants.
            if known and _ready(driver, name):
                return name
            _make(driver, name, project_id)
        made: str | None = name
    except psycopg.errors.InsufficientPrivilege as error:
        logger.warning("spanscope: SQL is confined by the syntax tree only, not by row-level security: %s", error)
        made = None
    except psycopg.errors.UndefinedTable:
        return None  # the database is not migrated to row-level security (yet): ask again next time
    with _lock:
        _made[key] = made
    return made


def _ready(driver: psycopg.Connection[Any], name: str) -> bool:
    try:
        with driver.transaction():  # a savepoint: a role dropped since must not abort the rest
            found = driver.execute(
                "SELECT has_schema_privilege(%s, 'sql_v1', 'USAGE')"
                " AND EXISTS (SELECT 1 FROM sql_project_roles WHERE role_name = %s)",
                (name, name),
            ).fetchone()
    except psycopg.errors.UndefinedObject:
        return False
    return bool(found and found[0])


def _make(driver: psycopg.Connection[Any], name: str, project_id: str) -> None:
    role = sql.Identifier(name)
    exists = driver.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if exists is None:
        try:
            with driver.transaction():  # a savepoint: another collector may make it meanwhile
                driver.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
        except psycopg.errors.DuplicateObject:
            pass
    driver.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(role))
    driver.execute(sql.SQL("GRANT USAGE ON SCHEMA sql_v1 TO {}").format(role))
    driver.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA sql_v1 TO {}").format(role))
    tables = sql.SQL(", ").join(sql.Identifier(table) for table in READ_TABLES)
    driver.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(tables, role))
    driver.execute(
        "INSERT INTO sql_project_roles (role_name, project) VALUES (%s, %s) "
        "ON CONFLICT (role_name) DO UPDATE SET project = EXCLUDED.project",
        (name, project_id),
    )
