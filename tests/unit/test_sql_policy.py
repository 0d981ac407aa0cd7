"""The SQL sandbox's syntax-tree layers without a database: parse, policy, project scope."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.sql.errors import SqlRefusedError, SqlSyntaxError
from server.sql.parse import parse_statement
from server.sql.policy import check
from server.sql.scope import scope_to_project


def scoped(query: str, project: str = "default") -> str:
    tree = parse_statement(query)
    scope_to_project(check(tree), project)
    return tree.sql(dialect="duckdb")


def refusal(query: str) -> str:
    with pytest.raises(SqlRefusedError) as caught:
        check(parse_statement(query))
    return str(caught.value)


def test_a_syntax_error_names_line_and_column() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_statement("SELECT name\nFROM spans WHERE")
    assert (caught.value.line, caught.value.column) == (2, 16)
    assert "line 2, column 16" in str(caught.value)


def test_stacked_statements_are_refused() -> None:
    with pytest.raises(SqlRefusedError, match="exactly one statement"):
        parse_statement("SELECT 1; DROP TABLE spans")


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("DELETE FROM spans", "DELETE"),
        ("CREATE TABLE x AS SELECT 1", "CREATE TABLE"),
        ("PRAGMA version", "PRAGMA"),
        ("SET memory_limit = '10GB'", "SET"),
        ("WITH d AS (DELETE FROM spans RETURNING *) SELECT * FROM d", "DELETE"),
        ("SELECT * INTO copy FROM spans", "SELECT ... INTO"),
        ("SELECT * FROM main.spans", "qualified table name main.spans"),
        ("SELECT * FROM sql_v1.spans", "qualified table name sql_v1.spans"),
        ("SELECT * FROM pg_class", "table 'pg_class'"),
        ("WITH spans AS (SELECT 1) SELECT * FROM spans", "CTE named like the view 'spans'"),
        ("SELECT * FROM read_csv('/etc/passwd')", "table function READ_CSV"),
        ("SELECT * FROM duckdb_tables()", "table function duckdb_tables"),
        ("SELECT pg_sleep(60)", "function pg_sleep"),
        ("SELECT * FROM generate_series(1, 10)", "table function GENERATE_SERIES"),
        ("SELECT CAST(1 AS regclass)", "type regclass"),
        ("WITH a AS (SELECT * FROM pg_roles), pg_roles AS (SELECT 1) SELECT * FROM a", "table 'pg_roles'"),
        ("SELECT * FROM (WITH pg_roles AS (SELECT 1) SELECT 1) AS x, pg_roles", "table 'pg_roles'"),
        ("SELECT * FROM '/etc/passwd'", "table '/etc/passwd'"),
        ("SELECT $1", "query parameter"),
        ("SELECT current_schema FROM spans", "current_schema is not allowed"),
        ("SELECT * FROM spans FOR SHARE", "FOR UPDATE/FOR SHARE"),
    ],
)
def test_each_refusal_names_the_construct(query: str, named: str) -> None:
    assert named.lower() in refusal(query).lower()


def test_every_view_reference_is_scoped_keeping_its_alias() -> None:
    sql = scoped("SELECT s.name FROM spans AS s JOIN traces USING (trace_id) WHERE s.project_id = 'other'")
    assert "(SELECT * FROM sql_v1.spans WHERE project_id = 'default') AS s" in sql
    assert "(SELECT * FROM sql_v1.traces WHERE project_id = 'default') AS traces" in sql
    assert sql.count("sql_v1.") == 2


def test_the_project_is_a_quoted_literal() -> None:
    assert "project_id = 'it''s'" in scoped("SELECT 1 FROM spans", project="it's")


def test_ctes_and_set_operations_over_views_are_allowed() -> None:
    sql = scoped(
        "WITH recent AS (SELECT trace_id FROM traces) SELECT count(*) FROM recent"
        " UNION ALL SELECT count(*) FROM llm_calls"
    )
    assert sql.count("sql_v1.") == 2
    assert "FROM recent" in sql


def test_a_quoted_session_word_is_a_column() -> None:
    assert 'SELECT "user" FROM' in scoped('SELECT "user" FROM spans')


def test_quoted_view_names_resolve_to_the_view() -> None:
    assert "sql_v1.spans" in scoped('SELECT * FROM "Spans"')


@pytest.mark.parametrize(
    "expression",
    [
        "a AND b OR NOT c",
        "x BETWEEN 1 AND 2",
        "x::TIMESTAMP",
        "x::BIGINT",
        "attributes ->> '$.model'",
        "json_array_length(tags)",
        "count(DISTINCT x) FILTER (WHERE y > 1)",
        "sum(x) OVER (PARTITION BY y ORDER BY t)",
        "quantile_cont(x, 0.95)",
        "date_trunc('hour', t)",
        "t > now() - INTERVAL '7 days'",
        "CASE WHEN x > 1 THEN 'a' ELSE coalesce(y, 'b') END",
        "split_part(x, ',', 1)",
        "regexp_matches(x, 'a')",
    ],
)
def test_ordinary_expressions_are_allowed(expression: str) -> None:
    assert "sql_v1.spans" in scoped(f"SELECT {expression} FROM spans")


def test_every_example_in_the_docs_passes_the_checks() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "sql.md").read_text()
    examples = re.findall(r"```sql\n(.*?)```", text, re.DOTALL)
    assert len(examples) >= 10
    for example in examples:
        assert "sql_v1." in scoped(example), example
