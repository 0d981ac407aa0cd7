"""Scores and score configs, per project (docs/evaluation.md): plain rows, the same on both
backends.

    >>> stored = store.scores.add("default", [NewScore(...)])  # doctest: +SKIP
    >>> page = store.scores.find("default", ScoreFilter(trace_id=...), limit=50, cursor=None)  # doctest: +SKIP

A score's ``id`` makes a resend harmless: the same content again is found, not stored twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .base import Row
from .names import NameTakenError, name_taken
from .queries import decode_cursor, encode_cursor
from .tables import score_configs, scores

CURSOR_KEYS = ("created_at", "id")


class ScoreConflictError(ValueError):
    """A score with this ``id`` exists with other content."""

    def __init__(self, score_id: str) -> None:
        super().__init__(f"a score with id {score_id!r} exists with different content")


@dataclass(frozen=True, slots=True)
class NewScore:
    """A score as the API checked it: ``value`` and ``label`` already agree with ``data_type``."""

    trace_id: str
    span_id: str | None
    name: str
    data_type: str  # numeric, boolean, categorical
    value: float | None
    label: str | None
    source: str
    comment: str | None = None
    author: str | None = None
    run_id: str | None = None
    config_id: str | None = None
    id: str | None = None  # None: the store makes one


@dataclass(frozen=True, slots=True)
class ScoreFilter:
    trace_id: str | None = None
    span_id: str | None = None
    name: str | None = None
    source: str | None = None
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewScoreConfig:
    name: str
    data_type: str
    min_value: float | None = None
    max_value: float | None = None
    categories: list[str] | None = None
    description: str = ""


_CONTENT = [field.name for field in fields(NewScore) if field.name != "id"]
_ROWS_PER_STATEMENT = 1000


class Scores:
    def __init__(self, engine: sa.Engine, translate_errors: Callable[[], AbstractContextManager[None]]) -> None:
        self._engine = engine
        self._translate_errors = translate_errors  # transient faults -> TransientStorageError

    def add(self, project_id: str, new: Sequence[NewScore]) -> list[tuple[Row, bool]]:
        """Store ``new`` in one transaction: each score with whether it was created (False: its
        ``id`` was stored already with the same content). Raises ``ScoreConflictError``, and
        then stores none."""
        now = datetime.now(timezone.utc)
        rows = [
            {**asdict(score), "project_id": project_id, "id": score.id or uuid.uuid4().hex, "created_at": now}
            for score in new
        ]
        chosen = [row["id"] for row in rows if row["id"]]
        answers: list[tuple[Row, bool]] = []
        with self._translate_errors(), self._engine.begin() as connection:
            stored = {
                row.id: dict(row._mapping)
                for row in connection.execute(
                    sa.select(scores).where(scores.c.project_id == project_id, scores.c.id.in_(chosen))
                )
            }
            fresh = []
            for row in rows:
                if row["id"] in stored:
                    existing = stored[row["id"]]
                    if any(existing[name] != row[name] for name in _CONTENT):
                        raise ScoreConflictError(row["id"])
                    answers.append((existing, False))
                else:
                    stored[row["id"]] = row  # a repeat within the batch is the same score
                    fresh.append(row)
                    answers.append((row, True))
            if fresh:
                connection.execute(sa.insert(scores), fresh)
        return answers

    def add_from_spans(self, project_id: str, new: Sequence[NewScore]) -> int:
        """Store scores read from spans at ingest (``server.normalize.evaluations``), each with its
        derived ``id``; one already stored is left as it is, so a resent batch changes nothing.
        Returns how many were new."""
        now = datetime.now(timezone.utc)
        rows = list(
            {score.id: {**asdict(score), "project_id": project_id, "created_at": now} for score in new}.values()
        )
        inserted = 0
        with self._translate_errors(), self._engine.begin() as connection:
            # Multi-row statements (not executemany, slow on DuckDB); INSERT ... ON CONFLICT DO
            # NOTHING runs on both backends. Chunked under Postgres's 65,535 parameters.
            for start in range(0, len(rows), _ROWS_PER_STATEMENT):
                chunk = rows[start : start + _ROWS_PER_STATEMENT]
                statement = postgresql.insert(scores).values(chunk).on_conflict_do_nothing()
                inserted += connection.execute(statement).rowcount or 0
        return inserted

    def find(
        self, project_id: str, filters: ScoreFilter, limit: int, cursor: str | None
    ) -> tuple[list[Row], str | None]:
        """Newest first; the page and the cursor of the next one (None on the last page).
        Raises ValueError for a cursor not made here."""
        query = sa.select(scores).where(scores.c.project_id == project_id)
        for name, wanted in asdict(filters).items():
            if wanted is not None:
                query = query.where(scores.c[name] == wanted)
        if cursor is not None:
            created_at, score_id = decode_cursor(cursor, *CURSOR_KEYS)
            query = query.where(sa.tuple_(scores.c.created_at, scores.c.id) < (created_at, score_id))
        query = query.order_by(scores.c.created_at.desc(), scores.c.id.desc()).limit(limit + 1)
        with self._translate_errors(), self._engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        if len(rows) <= limit:
            return rows, None
        return rows[:limit], encode_cursor(rows[limit - 1], *CURSOR_KEYS)

    def delete(self, project_id: str, score_id: str) -> bool:
        statement = sa.delete(scores).where(scores.c.project_id == project_id, scores.c.id == score_id)
        with self._translate_errors(), self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)

    # -- configs ---------------------------------------------------------------------------------

    def add_config(self, project_id: str, new: NewScoreConfig) -> Row:
        """Raises ``NameTakenError``."""
        row = {
            "project_id": project_id,
            "id": uuid.uuid4().hex,
            **asdict(new),
            "created_at": datetime.now(timezone.utc),
        }
        with name_taken(new.name, "score config"), self._translate_errors(), self._engine.begin() as connection:
            taken = sa.select(score_configs.c.id).where(
                score_configs.c.project_id == project_id, score_configs.c.name == new.name
            )
            if connection.execute(taken).first() is not None:
                raise NameTakenError(new.name, "score config")
            connection.execute(sa.insert(score_configs).values(row))
        return row

    def configs(self, project_id: str, ids: Sequence[str] | None = None) -> list[Row]:
        """The project's score configs by name (only ``ids``, when given)."""
        query = sa.select(score_configs).where(score_configs.c.project_id == project_id)
        if ids is not None:
            query = query.where(score_configs.c.id.in_(list(ids)))
        with self._translate_errors(), self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query.order_by(score_configs.c.name))]

    def delete_config(self, project_id: str, config_id: str) -> bool:
        """Scores that followed it keep their ``config_id``: they were checked when given."""
        statement = sa.delete(score_configs).where(
            score_configs.c.project_id == project_id, score_configs.c.id == config_id
        )
        with self._translate_errors(), self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)


def stored_value(row: Row) -> Any:
    """The value as given: a number, a bool or a label."""
    if row["data_type"] == "boolean":
        return row["value"] == 1
    if row["data_type"] == "categorical":
        return row["label"]
    return row["value"]
