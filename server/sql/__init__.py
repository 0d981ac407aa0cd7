"""User SQL over the versioned views (``sql_v1``): parse, check, scope to a project, run with
limits. ``run_query`` is the whole pipeline; docs/sql.md ("The SQL endpoint") describes it."""

from __future__ import annotations

from .errors import SqlError, SqlFailedError, SqlRefusedError, SqlSyntaxError, SqlTimeoutError
from .execute import Column, QueryResult, run_query

__all__ = [
    "Column",
    "QueryResult",
    "SqlError",
    "SqlFailedError",
    "SqlRefusedError",
    "SqlSyntaxError",
    "SqlTimeoutError",
    "run_query",
]
