"""Adversarial queries for POST /api/v1/sql: each with a word its refusal must contain, or
``STOPPED`` for a query that passes the checks and must end at the time limit (or, on
DuckDB, at the memory limit). Shared by the endpoint tests on both backends."""

from __future__ import annotations

STOPPED = "stopped"

REFUSED: list[tuple[str, str]] = [
    # Writes and DDL of every kind.
    ("DELETE FROM spans", "DELETE"),
    ("INSERT INTO spans (project_id) VALUES ('x')", "INSERT"),
    ("UPDATE spans SET name = 'x'", "UPDATE"),
    ("MERGE INTO spans USING traces ON true WHEN MATCHED THEN DELETE", "MERGE"),
    ("DROP TABLE spans", "DROP TABLE"),
    ("DROP VIEW sql_v1.spans", "DROP VIEW"),
    ("CREATE TABLE t AS SELECT 1", "CREATE TABLE"),
    ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
    ("ALTER TABLE spans ADD COLUMN x INT", "ALTER TABLE"),
    ("TRUNCATE spans", "TRUNCATE"),
    ("WITH d AS (DELETE FROM spans RETURNING *) SELECT * FROM d", "DELETE"),
    ("SELECT * INTO new_table FROM spans", "SELECT ... INTO"),
    ("SELECT * FROM spans FOR UPDATE", "FOR UPDATE"),
    ("VACUUM", "VACUUM"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("BEGIN TRANSACTION", "TRANSACTION"),
    # Settings, extensions, files.
    ("COPY spans TO '/tmp/spanscope-copy.csv'", "COPY"),
    ("ATTACH '/tmp/spanscope-attach.db' AS x", "ATTACH"),
    ("DETACH x", "DETACH"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("PRAGMA database_list", "PRAGMA"),
    ("SET memory_limit = '100GB'", "SET"),
    ("SELECT set_config('search_path', 'public', false)", "set_config"),
    ("SELECT current_setting('data_directory')", "current_setting"),
    ("SELECT getenv('HOME')", "getenv"),
    ("SELECT user", "user is not allowed"),
    ("SELECT current_user", "CURRENT_USER"),
    ("CALL pragma_version()", "CALL"),
    ("DESCRIBE spans", "DESCRIBE"),
    ("SHOW TABLES", "SHOW"),
    # Names outside the views: qualified, quoted, catalogs, stored tables.
    ("SELECT * FROM main.spans", "main.spans"),
    ("SELECT * FROM sql_v1.spans", "sql_v1.spans"),
    ('SELECT * FROM "main"."spans"', '"main"."spans"'),
    ("SELECT * FROM public.spans", "public.spans"),
    ("SELECT * FROM spanscope.main.spans", "spanscope.main.spans"),
    ("SELECT * FROM trace_deltas", "trace_deltas"),
    ("SELECT secret_hash FROM api_keys", "api_keys"),
    ("SELECT * FROM spans WHERE trace_id IN (SELECT id FROM projects)", "projects"),
    ("SELECT * FROM information_schema.tables", "information_schema.tables"),
    ("SELECT * FROM duckdb_tables()", "duckdb_tables"),
    ("SELECT * FROM duckdb_databases()", "duckdb_databases"),
    ("SELECT * FROM pg_class", "pg_class"),
    ("SELECT rolname FROM pg_roles", "pg_roles"),
    ("SELECT (SELECT count(*) FROM pg_catalog.pg_user)", "pg_catalog.pg_user"),
    ("SELECT * FROM sqlite_master", "sqlite_master"),
    ("SELECT CAST('pg_class' AS regclass)", "regclass"),
    # CTEs that would shadow a view or reach a name outside their scope.
    ("WITH spans AS (SELECT * FROM main.spans) SELECT * FROM spans", "CTE named like the view"),
    ("WITH RECURSIVE traces AS (SELECT 1) SELECT * FROM traces", "CTE named like the view"),
    ("WITH a AS (SELECT * FROM pg_roles), pg_roles AS (SELECT 1) SELECT * FROM a", "pg_roles"),
    ("SELECT * FROM (WITH pg_roles AS (SELECT 1) SELECT 1) AS x, pg_roles", "pg_roles"),
    # Another project.
    ("SELECT name FROM spans UNION ALL SELECT name FROM main.spans WHERE project_id = 'other'", "main.spans"),
    ("SELECT * FROM spans WHERE name IN (SELECT name FROM public.spans)", "public.spans"),
    # Stacked statements and comment smuggling.
    ("SELECT 1; DROP TABLE spans", "exactly one statement"),
    ("SELECT 1 /* ; */ ; DELETE FROM spans", "exactly one statement"),
    ("SELECT 1 -- x\n; DELETE FROM spans", "exactly one statement"),
    # Files, network, the server.
    ("SELECT * FROM read_csv('/etc/passwd')", "READ_CSV"),
    ("SELECT read_text('/etc/passwd')", "read_text"),
    ("SELECT * FROM read_text('/etc/passwd')", "read_text"),
    ("SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')", "READ_PARQUET"),
    ("SELECT * FROM 'http://127.0.0.1:9/x.csv'", "http://127.0.0.1:9/x.csv"),
    ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
    ("SELECT * FROM glob('/*')", "glob"),
    ("SELECT * FROM spans AS s, LATERAL read_csv('/etc/passwd')", "READ_CSV"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("SELECT lo_import('/etc/passwd')", "lo_import"),
    ("SELECT dblink('host=127.0.0.1', 'SELECT 1')", "dblink"),
    ("SELECT * FROM query_table('main.spans')", "query_table"),
    # Row generators and sleeps.
    ("SELECT * FROM generate_series(1, 1e10)", "GENERATE_SERIES"),
    ("SELECT generate_series(1, 10000000000)", "GENERATE_SERIES"),
    ("SELECT * FROM range(10000000000)", "table function"),
    ("SELECT pg_sleep(60)", "pg_sleep"),
    ("SELECT $1", "query parameter"),
]

# Allowed by every check: only the limits end them.
BOMBS: list[str] = [
    "SELECT count(*) FROM spans a, spans b, spans c, spans d, spans e, spans f, spans g, spans h, spans i",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
]
