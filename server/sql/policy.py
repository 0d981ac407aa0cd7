"""The syntax-tree check: one read-only query over the documented views and allowed functions.

``check(tree)`` raises ``SqlRefusedError`` naming the first construct outside the sandbox, and
returns the table nodes that refer to views (``scope`` rewrites exactly those).
"""

from __future__ import annotations

from sqlglot import exp

from .allowlist import ANONYMOUS_FUNCTIONS, FORBIDDEN_NODES, FUNCTIONS, SESSION_WORDS, TYPES
from .errors import SqlRefusedError

VIEWS = (
    "spans",
    "traces",
    "llm_calls",
    "retrievals",
    "tool_calls",
    "sessions",
    "span_tags",
    "scores",
    "score_configs",
    "datasets",
    "dataset_examples",
    "runs",
    "run_results",
)
_STATEMENTS = (exp.Select, exp.SetOperation)


def check(tree: exp.Expr) -> list[exp.Table]:
    """The view references of ``tree``, once every node of it is allowed."""
    if not isinstance(tree, _STATEMENTS):
        allowed = "only SELECT, WITH ... SELECT and UNION/INTERSECT/EXCEPT"
        raise SqlRefusedError(f"{describe(tree)} is not allowed: {allowed}")
    views: list[exp.Table] = []
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise SqlRefusedError(f"{describe(node)} is not allowed inside a query")
        if isinstance(node, exp.CTE) and node.alias_or_name.lower() in VIEWS:
            raise SqlRefusedError(f"a CTE named like the view {node.alias_or_name!r} is not allowed")
        if isinstance(node, exp.Table):
            if _is_view_reference(node):
                views.append(node)
        elif isinstance(node, exp.Func):
            _check_function(node)
        elif isinstance(node, exp.Column) and _is_session_word(node):
            raise SqlRefusedError(f"{node.name} is not allowed: it reads the database session")
        elif isinstance(node, exp.DataType) and node.this not in TYPES:
            raise SqlRefusedError(f"type {node.sql(dialect='duckdb')} is not allowed")
    return views


# Nodes whose class name is not how a user writes them.
_WRITTEN: dict[type[exp.Expr], str] = {
    exp.TruncateTable: "TRUNCATE",
    exp.Into: "SELECT ... INTO",
    exp.Lock: "FOR UPDATE/FOR SHARE",
    exp.Placeholder: "a query parameter ($1, ?)",
    exp.Parameter: "a query parameter ($1, ?)",
    exp.SessionParameter: "a session variable (@@name)",
}


def describe(node: exp.Expr) -> str:
    """The construct as a user wrote it: ``DELETE``, ``CREATE TABLE``, ``PRAGMA``, ``SET``..."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Column):  # a bare word the parser took for a column: CHECKPOINT
        return node.sql(dialect="duckdb").upper()
    for kind_of_node, written in _WRITTEN.items():
        if isinstance(node, kind_of_node):
            return written
    kind = node.args.get("kind")
    name = type(node).__name__.upper()
    return f"{name} {kind}".upper() if isinstance(kind, str) and kind else name


def _is_view_reference(table: exp.Table) -> bool:
    """True for a view, False for a CTE in scope; refuse anything else."""
    if not isinstance(table.this, exp.Identifier):
        raise SqlRefusedError(f"table function {_function_name(table.this)} is not allowed")
    if table.args.get("db") or table.args.get("catalog"):
        qualified = table.sql(dialect="duckdb")
        raise SqlRefusedError(f"qualified table name {qualified} is not allowed: use the bare view name")
    name = table.name.lower()
    if name in _visible_ctes(table):
        return False
    if name in VIEWS:
        return True
    raise SqlRefusedError(f"table {table.name!r} is not allowed: query the views {', '.join(VIEWS)}")


def _visible_ctes(table: exp.Table) -> set[str]:
    """The CTE names that ``table`` can see. Within one WITH, a CTE sees only those before it
    (all of them under RECURSIVE): a name outside that would reach a real table or the catalog."""
    visible: set[str] = set()
    child: exp.Expr = table
    inside: exp.CTE | None = None
    while (parent := child.parent) is not None:
        if isinstance(parent, exp.CTE):
            inside = parent
        elif isinstance(parent, exp.With):
            ctes = list(parent.expressions)
            index = next((i for i, cte in enumerate(ctes) if cte is inside), len(ctes))
            seen = ctes if parent.args.get("recursive") else ctes[:index]
            visible.update(cte.alias_or_name.lower() for cte in seen)
        elif (with_ := parent.args.get("with_")) is not None and child is not with_:
            visible.update(cte.alias_or_name.lower() for cte in with_.expressions)
        child = parent
    return visible


def _is_session_word(column: exp.Column) -> bool:
    identifier = column.this
    return (
        not column.table
        and isinstance(identifier, exp.Identifier)
        and not identifier.quoted
        and identifier.name.lower() in SESSION_WORDS
    )


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous):
        if str(node.this).lower() not in ANONYMOUS_FUNCTIONS:
            raise SqlRefusedError(f"function {_function_name(node)} is not allowed")
    elif type(node) not in FUNCTIONS:
        raise SqlRefusedError(f"function {_function_name(node)} is not allowed")


def _function_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    if isinstance(node, exp.Func):
        return node.sql_name()
    return node.sql(dialect="duckdb")
