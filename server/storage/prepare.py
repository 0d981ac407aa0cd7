"""Turn SpanRecords into a ``PreparedBatch`` for one backend: the CPU half of a write.

A plain function of plain data, so ingest worker processes can run it (the collector's one
writer then only inserts). Importing it loads no database driver.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.model import SpanRecord

from .base import PreparedBatch
from .batch import span_columns
from .urls import Backend, assert_never


def unique_spans(spans: Sequence[SpanRecord]) -> list[SpanRecord]:
    """A span sent twice in one request is one row; the first copy wins, as ON CONFLICT DO
    NOTHING does across requests."""
    unique: dict[tuple[str, str, str], SpanRecord] = {}
    for span in spans:
        unique.setdefault((span.project_id, span.trace_id, span.span_id), span)
    return list(unique.values()) if len(unique) < len(spans) else list(spans)


def prepare_batch(backend: Backend, spans: Sequence[SpanRecord]) -> PreparedBatch:
    rows = unique_spans(spans)
    columns = span_columns(rows)
    if backend == "duckdb":
        from .delta import trace_deltas
        from .duckdb_arrow import ARROW_SCHEMA, DELTA_SCHEMA, arrow_table, span_key

        keys = [span_key(span.project_id, span.trace_id, span.span_id) for span in rows]
        columns = {"span_key": keys, **columns}
        return PreparedBatch(
            len(rows), arrow_table(columns, ARROW_SCHEMA), arrow_table(trace_deltas(rows), DELTA_SCHEMA)
        )
    if backend == "postgresql":
        return PreparedBatch(len(rows), columns)
    assert_never(backend)
