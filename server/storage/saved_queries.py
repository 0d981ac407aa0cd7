"""Saved SQL queries, per project: plain rows in ``saved_queries``, the same on both backends.

    >>> saved = store.saved_queries  # doctest: +SKIP
    >>> row = saved.create("default", SavedQuery("Slow tools", "SELECT ...", "", None))  # doctest: +SKIP
    >>> saved.get("default", row["id"])["name"]  # doctest: +SKIP
    'Slow tools'

Every method takes the project: a query of another project is as missing as one never saved.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from .base import Row
from .names import NameTakenError, name_taken
from .tables import saved_queries

WHAT = "saved query"


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """What a user saves; the store adds ``id``, ``created_at`` and ``updated_at``."""

    name: str
    query: str
    description: str = ""
    chart: dict[str, Any] | None = None  # how the SQL page draws the result; None: a table


class SavedQueries:
    def __init__(self, engine: sa.Engine, translate_errors: Callable[[], AbstractContextManager[None]]) -> None:
        self._engine = engine
        self._translate_errors = translate_errors  # transient faults -> TransientStorageError

    def list(self, project_id: str) -> list[Row]:
        """Every saved query of the project, by name."""
        query = (
            sa.select(saved_queries)
            .where(saved_queries.c.project_id == project_id)
            .order_by(saved_queries.c.name, saved_queries.c.id)
        )
        with self._translate_errors(), self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def get(self, project_id: str, query_id: str) -> Row | None:
        query = sa.select(saved_queries).where(*self._same(project_id, query_id))
        with self._translate_errors(), self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else dict(row._mapping)

    def create(self, project_id: str, saved: SavedQuery) -> Row:
        """Store ``saved``; raises ``NameTakenError``."""
        now = datetime.now(timezone.utc)
        row = {"project_id": project_id, "id": uuid.uuid4().hex, **asdict(saved), "created_at": now, "updated_at": now}
        with name_taken(saved.name, WHAT), self._translate_errors(), self._engine.begin() as connection:
            self._check_name(connection, project_id, saved.name, None)
            connection.execute(sa.insert(saved_queries).values(row))
        return row

    def update(self, project_id: str, query_id: str, saved: SavedQuery) -> Row | None:
        """Replace what was saved under ``query_id``; None when there is none. Raises
        ``NameTakenError``."""
        with name_taken(saved.name, WHAT), self._translate_errors(), self._engine.begin() as connection:
            self._check_name(connection, project_id, saved.name, query_id)
            changed = connection.execute(
                sa.update(saved_queries)
                .where(*self._same(project_id, query_id))
                .values(**asdict(saved), updated_at=datetime.now(timezone.utc))
                .returning(*saved_queries.c)
            ).first()
        return None if changed is None else dict(changed._mapping)

    def delete(self, project_id: str, query_id: str) -> bool:
        """Whether there was such a query."""
        statement = sa.delete(saved_queries).where(*self._same(project_id, query_id))
        with self._translate_errors(), self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)

    @staticmethod
    def _same(project_id: str, query_id: str) -> tuple[sa.ColumnElement[bool], ...]:
        return saved_queries.c.project_id == project_id, saved_queries.c.id == query_id

    @staticmethod
    def _check_name(connection: sa.Connection, project_id: str, name: str, query_id: str | None) -> None:
        # Checked first; the unique constraint still guards two saves racing (``name_taken``).
        others = sa.select(saved_queries.c.id).where(
            saved_queries.c.project_id == project_id, saved_queries.c.name == name
        )
        if query_id is not None:
            others = others.where(saved_queries.c.id != query_id)
        if connection.execute(others.limit(1)).first() is not None:
            raise NameTakenError(name, WHAT)
