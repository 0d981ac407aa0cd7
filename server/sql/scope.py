"""Confine a checked query to one project: every view reference ``X [AS a]`` becomes
``(SELECT * FROM sql_v1.X WHERE project_id = '<project>') AS a``, whatever else the query says.

The project is a string literal built by sqlglot (quotes doubled), never text pasted into SQL.
"""

from __future__ import annotations

from sqlglot import exp

SCHEMA = "sql_v1"


def scope_to_project(views: list[exp.Table], project_id: str) -> None:
    """Rewrite ``views`` (from ``policy.check``) in place, keeping each alias and column aliases."""
    for table in views:
        name = table.name.lower()
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
        inner = (
            exp.select("*")
            .from_(exp.table_(name, db=SCHEMA))
            .where(exp.column("project_id").eq(exp.Literal.string(project_id)))
        )
        table.replace(exp.Subquery(this=inner, alias=alias.copy()))
