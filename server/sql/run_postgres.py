"""Run a checked query on Postgres: one READ ONLY transaction, rolled back, with the time limit
(``statement_timeout``), as the project's own role (``server.sql.roles``: row-level security
keeps it to its project's rows), a search path of the views' schema only (``pg_catalog`` is searched
implicitly, the policy keeps its names out), and memory capped in two parts:

- ``work_mem`` (64MB) caps each sort or hash (hashes get ``hash_mem_multiplier`` times it);
  past it, the sort or hash spills to temporary files. Postgres has no cap on a query's total.
- ``temp_file_limit`` (1GB) caps what a query spills. Only a superuser, or a role granted
  ``SET ON PARAMETER temp_file_limit`` (Postgres 15+), may set it: we set it when allowed and
  when no cap is configured already (on the role, the database or the URL's ``options``), which
  then holds. Otherwise a query may spill until the disk is full; the fix is
  ``ALTER ROLE <collector's role> SET temp_file_limit = '1GB'`` (docs/sql.md).

A query past either is a 400 naming the limit. Rows come through a server-side cursor, so at
most ``max_rows`` leave the server."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql as psql

from server.storage.base import TransientStorageError
from server.storage.postgres import PostgresStore

from .errors import SqlFailedError, SqlTimeoutError
from .roles import project_role
from .scope import SCHEMA

WORK_MEM = "64MB"
TEMP_FILE_LIMIT = "1GB"

Fetched = tuple[list[tuple[str, str]], list[tuple[Any, ...]]]


def run_postgres(store: PostgresStore, sql: str, project_id: str, max_rows: int, time_limit_s: float) -> Fetched:
    with store.engine.connect() as connection:
        driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
        role = project_role(driver, driver.info.dbname, project_id)  # committed on its own, when made
        transaction = connection.begin()
        try:
            driver.execute("SET TRANSACTION READ ONLY")
            driver.execute(f"SET LOCAL statement_timeout = {max(1, round(time_limit_s * 1000))}")
            driver.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            driver.execute(_cap_temp_files(driver), (TEMP_FILE_LIMIT,))
            driver.execute(f"SET LOCAL search_path = {SCHEMA}")
            if role is not None:  # the database confines the query to the project's rows too; last,
                # as the caps above may need the collector's own privileges to set
                driver.execute(psql.SQL("SET LOCAL ROLE {}").format(psql.Identifier(role)))
            with driver.cursor(name="spanscope_sql") as cursor:
                cursor.execute(sql.encode())
                rows = cursor.fetchmany(max_rows)
                described = cursor.description or []
                columns = [(column.name, _type_name(driver, column.type_code)) for column in described]
        except pg_errors.QueryCanceled:
            raise SqlTimeoutError(time_limit_s) from None
        # The query's own doing, though psycopg counts them as OperationalError (SQLSTATE
        # classes 53 and 54): a retry would fail the same, so not a 503.
        except pg_errors.ConfigurationLimitExceeded as error:  # temp_file_limit
            raise SqlFailedError(
                f"the query needed more memory than the limit (work_mem {WORK_MEM} per sort or hash)"
                f" and more disk to spill to than the limit ({str(error).strip()})"
            ) from None
        except pg_errors.OutOfMemory as error:
            raise SqlFailedError(f"the query needed more memory than the server had: {str(error).strip()}") from None
        except pg_errors.ProgramLimitExceeded as error:
            raise SqlFailedError(str(error).strip()) from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            # The connection may be gone (the server restarted or dropped it): discarded, so that
            # neither the rollback below nor the next query uses it.
            connection.invalidate()
            raise TransientStorageError(f"postgresql: {error}") from error
        except psycopg.Error as error:
            raise SqlFailedError(str(error).strip()) from None
        finally:
            if transaction.is_active and not connection.invalidated:
                transaction.rollback()
        return columns, rows


def _type_name(driver: psycopg.Connection[Any], oid: int) -> str:
    info = driver.adapters.types.get(oid)
    return info.name if info is not None else str(oid)


def _cap_temp_files(driver: psycopg.Connection[Any]) -> bytes:
    """A statement that sets ``temp_file_limit`` for the transaction where none is set and the
    role may set it: a refused SET would abort the transaction."""
    if driver.info.server_version >= 150000:
        allowed = "has_parameter_privilege('temp_file_limit', 'SET')"
    else:  # no per-parameter privileges before 15
        allowed = "current_setting('is_superuser') = 'on'"
    return (
        f"SELECT set_config('temp_file_limit', %s, true) WHERE current_setting('temp_file_limit') = '-1' AND {allowed}"
    ).encode()
