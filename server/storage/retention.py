"""Deleting traces past their project's retention, a batch at a time (docs/security.md).

A batch is a few hundred whole traces, oldest first: their spans, summary, logged messages and
the scores on them go in one short transaction, so ingest waits at most for one batch and a
trace is never half deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

import sqlalchemy as sa

from .tables import scores, span_log_messages, spans, traces


def delete_expired(
    engine: sa.Engine,
    translate_errors: Callable[[], AbstractContextManager[None]],
    project_id: str,
    before: datetime,
    limit: int,
) -> int:
    """Delete up to ``limit`` of the project's traces that started before ``before``; how many."""
    t = traces.c
    oldest = (
        sa.select(t.trace_id)
        .where(t.project_id == project_id, t.start_time < before)
        .order_by(t.start_time, t.trace_id)
        .limit(limit)
    )
    with translate_errors(), engine.begin() as connection:
        trace_ids = [row.trace_id for row in connection.execute(oldest)]
        if trace_ids:
            for table in (spans, span_log_messages, scores, traces):
                connection.execute(
                    sa.delete(table).where(table.c.project_id == project_id, table.c.trace_id.in_(trace_ids))
                )
    return len(trace_ids)
