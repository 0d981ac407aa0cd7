"""Run a checked query on Postgres: one READ ONLY transaction, rolled back, with the time limit
(``statement_timeout``), a memory cap per sort or hash (``work_mem``) and a search path of the
views' schema only (``pg_catalog`` is searched implicitly, the policy keeps its names out).
Rows come through a server-side cursor, so at most ``max_rows`` leave the server."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as pg_errors

from server.storage.base import TransientStorageError
from server.storage.postgres import PostgresStore

from .errors import SqlFailedError, SqlTimeoutError
from .scope import SCHEMA

WORK_MEM = "64MB"

Fetched = tuple[list[tuple[str, str]], list[tuple[Any, ...]]]


def run_postgres(store: PostgresStore, sql: str, max_rows: int, time_limit_s: float) -> Fetched:
    with store.engine.connect() as connection:
        driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
        with connection.begin() as transaction:
            try:
                driver.execute("SET TRANSACTION READ ONLY")
                driver.execute(f"SET LOCAL statement_timeout = {max(1, round(time_limit_s * 1000))}")
                driver.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
                driver.execute(f"SET LOCAL search_path = {SCHEMA}")
                with driver.cursor(name="spanscope_sql") as cursor:
                    cursor.execute(sql.encode())
                    rows = cursor.fetchmany(max_rows)
                    described = cursor.description or []
                    columns = [(column.name, _type_name(driver, column.type_code)) for column in described]
            except pg_errors.QueryCanceled:
                raise SqlTimeoutError(time_limit_s) from None
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                raise TransientStorageError(f"postgresql: {error}") from error
            except psycopg.Error as error:
                raise SqlFailedError(str(error).strip()) from None
            finally:
                transaction.rollback()
        return columns, rows


def _type_name(driver: psycopg.Connection[Any], oid: int) -> str:
    info = driver.adapters.types.get(oid)
    return info.name if info is not None else str(oid)
