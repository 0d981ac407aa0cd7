"""Per-trace summaries of one batch of new spans, computed in Python (DuckDB's write path).

DuckDB pays about 10 ms of fixed cost for the window-and-list-aggregate summary query however
few rows it reads, which capped ingest at a few thousand spans/s for OTLP-sized requests.
Aggregating the batch here costs about a microsecond a span. The writer queues the deltas in
``trace_deltas``; ``fold_sql_duckdb`` later combines a trace's queued deltas and merges them
into its stored summary with plain column arithmetic. The result is the same as recomputing
from ``spans`` (the conformance tests check both backends alike).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from server.model import SpanRecord

from .batch import scrub
from .summary import PREVIEW_CHARS

DELTA_COLUMNS = (
    "project_id",
    "trace_id",
    "root_span_id",
    "name",
    "start_time",  # integer microseconds; an Arrow timestamp column
    "end_time",
    "duration_ms",
    "span_count",
    "error_count",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost_usd",
    "session_id",
    "user_id",
    "tags",
    "models",
    "kinds",
    "input_preview",
    "output_preview",
)


def _first(spans: list[SpanRecord]) -> SpanRecord:
    """The root if the batch has it, else the earliest span (ties by span ID), as in SQL."""
    return min(spans, key=lambda span: (span.parent_span_id is not None, span.start_time_ns, span.span_id))


def _total(values: Iterable[int | float | None]) -> Any:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _preview(text: str | None) -> str | None:
    return None if text is None else scrub(text[:PREVIEW_CHARS])


def _scrubbed(text: str | None) -> str | None:
    return None if text is None else scrub(text)


def trace_deltas(spans: Iterable[SpanRecord]) -> dict[str, list[Any]]:
    """Column name -> one value per trace, for the new ``spans`` only."""
    by_trace: dict[tuple[str, str], list[SpanRecord]] = {}
    for span in spans:
        by_trace.setdefault((span.project_id, span.trace_id), []).append(span)
    columns: dict[str, list[Any]] = {name: [] for name in DELTA_COLUMNS}
    for (project_id, trace_id), members in by_trace.items():
        first = _first(members)
        start_us = min(span.start_time_ns for span in members) // 1000
        end_us = max(span.end_time_ns for span in members) // 1000
        sessions = [span.session_id for span in members if span.session_id is not None]
        users = [span.user_id for span in members if span.user_id is not None]
        row = {
            "project_id": project_id,
            "trace_id": trace_id,
            "root_span_id": first.span_id if first.parent_span_id is None else None,
            "name": scrub(first.name),
            "start_time": start_us,
            "end_time": end_us,
            "duration_ms": (end_us - start_us) / 1000.0,
            "span_count": len(members),
            "error_count": sum(1 for span in members if span.status == "error"),
            "input_tokens": _total(span.input_tokens for span in members),
            "output_tokens": _total(span.output_tokens for span in members),
            "total_tokens": _total(span.total_tokens for span in members),
            "cost_usd": _total(span.cost_usd for span in members),
            "session_id": _scrubbed(first.session_id if first.session_id is not None else max(sessions, default=None)),
            "user_id": _scrubbed(first.user_id if first.user_id is not None else max(users, default=None)),
            "tags": orjson.dumps(sorted({scrub(tag) for span in members for tag in span.tags})).decode(),
            "models": orjson.dumps(sorted({scrub(span.model) for span in members if span.model is not None})).decode(),
            "kinds": orjson.dumps(sorted({span.kind for span in members})).decode(),
            "input_preview": _preview(first.input),
            "output_preview": _preview(first.output),
        }
        for name in DELTA_COLUMNS:
            columns[name].append(row[name])
    return columns
