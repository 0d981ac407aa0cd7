"""The Postgres backend, for shared and larger deployments (``postgresql+psycopg://...``).

Writes: binary COPY into a TEMP staging table, then ``INSERT ... SELECT ... ON CONFLICT DO
NOTHING`` (ARCHITECTURE.md decision 5). The collector is stateless here and may run as several
replicas, so two transactions can write spans of one trace at once; see ``LOCK_TRACES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa

from .base import PreparedBatch
from .batch import SPAN_COLUMNS, ColumnKind
from .sqlstore import SqlStore, unwrap
from .summary import upsert_sql
from .urls import assert_never, engine_url


def _stage_type(kind: ColumnKind) -> str:
    """The staging column's type: what binary COPY sends cheaply. Times travel as integer
    microseconds and JSON as text; the INSERT converts them (see ``_select_expression``)."""
    # Comparisons with ==, not `in`: only they narrow the Literal for assert_never.
    if kind == "text" or kind == "json":  # noqa: PLR1714
        return "text"
    if kind == "integer" or kind == "time":  # noqa: PLR1714
        return "int8"
    if kind == "float":
        return "float8"
    assert_never(kind)


def _select_expression(name: str, kind: ColumnKind) -> str:
    if kind == "time":
        return f"TIMESTAMPTZ 'epoch' + \"{name}\" * INTERVAL '1 microsecond'"  # exact, unlike to_timestamp()
    if kind == "json":
        return f'CAST("{name}" AS JSONB)'
    return f'"{name}"'


_NAMES = ", ".join(f'"{name}"' for name in SPAN_COLUMNS)
_EXPRESSIONS = ", ".join(_select_expression(name, kind) for name, kind in SPAN_COLUMNS.items())
STAGE_TYPES = [_stage_type(kind) for kind in SPAN_COLUMNS.values()]
_STAGE_COLUMNS = ", ".join(f'"{name}" {type_}' for name, type_ in zip(SPAN_COLUMNS, STAGE_TYPES, strict=True))
CREATE_STAGE = f"CREATE TEMP TABLE stage ({_STAGE_COLUMNS}) ON COMMIT DROP"
COPY_STAGE = f"COPY stage ({_NAMES}) FROM STDIN (FORMAT BINARY)"
CREATE_AFFECTED = "CREATE TEMP TABLE affected (project_id text, trace_id text) ON COMMIT DROP"
# RETURNING yields only the rows actually inserted: the traces whose summary must change.
INSERT_SPANS = (
    f"WITH inserted AS (INSERT INTO spans ({_NAMES}) SELECT {_EXPRESSIONS} FROM stage"
    " ON CONFLICT DO NOTHING RETURNING project_id, trace_id)"
    " INSERT INTO affected SELECT project_id, trace_id FROM inserted"
)
# Two transactions adding spans to one trace would each summarize without the other's
# uncommitted spans, and the later upsert would win with a wrong count. A transaction-scoped
# lock per trace, taken after the insert and before the summary, makes the second wait for the
# first to commit; its summary statement then sees both. Locks are taken in key order so that
# two writers cannot deadlock on them.
LOCK_TRACES = (
    "SELECT pg_advisory_xact_lock(key) FROM ("
    "SELECT DISTINCT hashtextextended(project_id || '/' || trace_id, 0) AS key FROM affected ORDER BY key) AS keys"
)


class PostgresStore(SqlStore):
    backend = "postgresql"
    # get_trace reads the summary and the spans: one snapshot for both.
    snapshot_options = {"isolation_level": "REPEATABLE READ"}  # noqa: RUF012

    def __init__(self, url: str) -> None:
        engine = sa.create_engine(
            engine_url(url),
            pool_pre_ping=True,  # a connection the server dropped is replaced, not handed out
            connect_args={"options": "-c timezone=UTC"},
        )
        super().__init__(engine)

    def _combine(self, payloads: list[Any]) -> dict[str, list[Any]]:
        combined: dict[str, list[Any]] = {name: [] for name in payloads[0]}
        for payload in payloads:
            for name, values in payload.items():
                combined[name].extend(values)
        return combined

    def _insert(self, driver: Any, batches: Sequence[PreparedBatch], payload: Any) -> int:
        columns: dict[str, list[Any]] = payload
        with driver.cursor() as cursor:
            # The planner overestimates these statements (a set-returning function counts as 100
            # rows per span) and JIT-compiles them: 30+ ms a batch, more than the work itself.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(CREATE_STAGE)
            cursor.execute(CREATE_AFFECTED)
            with cursor.copy(COPY_STAGE) as copy:
                copy.set_types(STAGE_TYPES)
                for row in zip(*columns.values(), strict=True):
                    copy.write_row(row)
            cursor.execute(INSERT_SPANS)
            inserted = cursor.rowcount
            if inserted == 0:
                return 0  # a resent batch: every summary is already right
            # The planner has no statistics on a fresh temp table; without them it may scan all
            # of spans instead of probing its primary key for the few affected traces.
            cursor.execute("ANALYZE affected")
            cursor.execute(LOCK_TRACES)
            cursor.execute(upsert_sql("postgresql"))
            return int(inserted)

    def _is_transient(self, error: BaseException) -> bool:
        # psycopg.OperationalError covers a lost or refused connection and, through
        # TransactionRollback, serialization failures and deadlocks.
        cause = unwrap(error)
        return cause is None or isinstance(cause, psycopg.OperationalError)
