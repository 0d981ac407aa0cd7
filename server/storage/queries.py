"""Read queries, shared by both backends (SQLAlchemy Core compiles them per dialect); the few
dialect differences are the small functions at the top."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from .base import TraceFilter
from .batch import scrub
from .tables import scores, spans, traces
from .urls import Backend, assert_never


def _json_list_contains(backend: Backend, column: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    """``column`` (a JSON list of strings) contains ``value``."""
    if backend == "duckdb":
        return sa.func.json_contains(column, json.dumps(value), type_=sa.Boolean)
    if backend == "postgresql":
        return sa.type_coerce(column, JSONB).contains([value])
    assert_never(backend)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _substring_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def encode_cursor(row: dict[str, Any], time_key: str = "start_time", id_key: str = "trace_id") -> str:
    """The opaque keyset cursor after ``row``: base64url of JSON of its sort key (a time, then an
    ID; the key names differ per list, so a cursor of one list is refused by another)."""
    key = {time_key: row[time_key].isoformat(), id_key: row[id_key]}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, time_key: str = "start_time", id_key: str = "trace_id") -> tuple[datetime, str]:
    """Raise ValueError when ``cursor`` was not made by ``encode_cursor`` with these keys."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return as_utc(datetime.fromisoformat(key[time_key])), str(key[id_key])
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error


def trace_conditions(backend: Backend, filters: TraceFilter) -> list[sa.ColumnElement[bool]]:
    """One condition on ``traces`` per filter that is set."""
    f, t = filters, traces.c
    conditions: list[sa.ColumnElement[bool]] = []
    if f.start_after is not None:
        conditions.append(t.start_time >= as_utc(f.start_after))
    if f.start_before is not None:
        conditions.append(t.start_time < as_utc(f.start_before))
    if f.name is not None:
        conditions.append(t.name == scrub(f.name))
    if f.status == "error":
        conditions.append(t.error_count > 0)
    elif f.status == "ok":
        conditions.append(t.error_count == 0)
    for column, value in ((t.kinds, f.kind), (t.models, f.model), (t.tags, f.tag)):
        if value is not None:
            conditions.append(_json_list_contains(backend, column, scrub(value)))
    if f.session_id is not None:
        conditions.append(t.session_id == scrub(f.session_id))
    if f.user_id is not None:
        conditions.append(t.user_id == scrub(f.user_id))
    for column, low, high in (
        (t.duration_ms, f.min_duration_ms, f.max_duration_ms),
        (t.total_tokens, f.min_tokens, f.max_tokens),
        (t.cost_usd, f.min_cost, f.max_cost),
    ):
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
    conditions.extend(_score_conditions(f))
    if f.text:
        pattern = _substring_pattern(scrub(f.text))
        conditions.append(
            sa.exists().where(
                spans.c.project_id == t.project_id,
                spans.c.trace_id == t.trace_id,
                sa.or_(spans.c.input.ilike(pattern, escape="\\"), spans.c.output.ilike(pattern, escape="\\")),
            )
        )
    return conditions


def _score_conditions(f: TraceFilter) -> list[sa.ColumnElement[bool]]:
    t, c = traces.c, scores.c
    same_trace = (c.project_id == t.project_id, c.trace_id == t.trace_id)
    wanted: list[sa.ColumnElement[bool]] = []
    if f.score_name is not None:
        wanted.append(c.name == f.score_name)
    if f.min_score is not None:
        wanted.append(c.value >= f.min_score)
    if f.max_score is not None:
        wanted.append(c.value <= f.max_score)
    if f.score_label is not None:
        wanted.append(c.label == f.score_label)
    conditions: list[sa.ColumnElement[bool]] = [sa.exists().where(*same_trace, *wanted)] if wanted else []
    if f.without_score is not None:
        conditions.append(~sa.exists().where(*same_trace, c.name == f.without_score))
    return conditions


def trace_scores(project_id: str, trace_ids: list[str]) -> sa.Select[Any]:
    """The scores of these traces, oldest first (``summarise_scores`` folds them)."""
    c = scores.c
    return (
        sa.select(c.trace_id, c.name, c.data_type, c.value, c.label)
        .where(c.project_id == project_id, c.trace_id.in_(trace_ids))
        .order_by(c.created_at, c.id)
    )


def summarise_scores(rows: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """trace_id -> one entry per score name, by name: how many scores, the mean value
    (numbers and booleans) and the latest label (categories)."""
    folded: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        entry = folded.setdefault(row.trace_id, {}).setdefault(
            row.name, {"name": row.name, "data_type": row.data_type, "count": 0, "mean": None, "label": None}
        )
        entry["count"] += 1
        if row.value is not None:
            entry["total"] = entry.get("total", 0.0) + row.value
            entry["valued"] = entry.get("valued", 0) + 1
            entry["mean"] = entry["total"] / entry["valued"]
        if row.label is not None:
            entry["label"] = row.label
    return {
        trace_id: [
            {key: entry[key] for key in ("name", "data_type", "count", "mean", "label")}
            for _, entry in sorted(by_name.items())
        ]
        for trace_id, by_name in folded.items()
    }


def list_traces(
    backend: Backend, project_id: str, filters: TraceFilter, limit: int, cursor: str | None
) -> sa.Select[Any]:
    """Up to ``limit + 1`` summaries (the extra row tells whether another page follows)."""
    if filters.order_by_score is not None:
        return _traces_by_score(backend, project_id, filters, limit, cursor)
    t = traces.c
    query = sa.select(traces).where(t.project_id == project_id, *trace_conditions(backend, filters))
    if cursor is not None:
        start_time, trace_id = decode_cursor(cursor)
        query = query.where(
            sa.or_(t.start_time < start_time, sa.and_(t.start_time == start_time, t.trace_id < trace_id))
        )
    return query.order_by(t.start_time.desc(), t.trace_id.desc()).limit(limit + 1)


def _traces_by_score(
    backend: Backend, project_id: str, filters: TraceFilter, limit: int, cursor: str | None
) -> sa.Select[Any]:
    """The trace list ordered by each trace's mean ``score_name`` value (``sort_score``), then
    trace ID; traces without such a score are left out."""
    if filters.score_name is None:
        raise ValueError("ordering by score needs score_name: which score to order by")
    t, c = traces.c, scores.c
    ranked = (
        sa.select(c.trace_id, sa.func.avg(c.value).label("sort_score"))
        .where(c.project_id == project_id, c.name == filters.score_name, c.value.is_not(None))
        .group_by(c.trace_id)
        .subquery()
    )
    score = ranked.c.sort_score
    query = (
        sa.select(traces, score)
        .join(ranked, ranked.c.trace_id == t.trace_id)
        .where(t.project_id == project_id, *trace_conditions(backend, filters))
    )
    descending = filters.order_by_score == "desc"
    if cursor is not None:
        after, trace_id = decode_score_cursor(cursor)
        if descending:
            query = query.where(sa.or_(score < after, sa.and_(score == after, t.trace_id < trace_id)))
        else:
            query = query.where(sa.or_(score > after, sa.and_(score == after, t.trace_id > trace_id)))
    order = (score.desc(), t.trace_id.desc()) if descending else (score.asc(), t.trace_id.asc())
    return query.order_by(*order).limit(limit + 1)


def encode_score_cursor(row: dict[str, Any]) -> str:
    """The keyset cursor after ``row`` in a list ordered by score."""
    key = {"sort_score": row["sort_score"], "trace_id": row["trace_id"]}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_score_cursor(cursor: str) -> tuple[float, str]:
    """Raise ValueError when ``cursor`` was not made by ``encode_score_cursor``."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(key["sort_score"]), str(key["trace_id"])
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error


def get_trace(project_id: str, trace_id: str) -> sa.Select[Any]:
    return sa.select(traces).where(traces.c.project_id == project_id, traces.c.trace_id == trace_id)


def trace_spans(project_id: str, trace_id: str) -> sa.Select[Any]:
    s = spans.c
    return sa.select(spans).where(s.project_id == project_id, s.trace_id == trace_id).order_by(s.start_time, s.span_id)


def get_span(project_id: str, trace_id: str, span_id: str) -> sa.Select[Any]:
    s = spans.c
    return sa.select(spans).where(s.project_id == project_id, s.trace_id == trace_id, s.span_id == span_id)
