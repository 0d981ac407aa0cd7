"""Datasets and their versioned examples, per project (docs/evaluation.md), the same on both
backends.

    >>> datasets = store.datasets  # doctest: +SKIP
    >>> found = datasets.create("default", NewDataset("support"), [NewExample(input={"q": "Hi"})])  # doctest: +SKIP
    >>> found["version"], found["example_count"]  # doctest: +SKIP
    (1, 1)

Every change to a dataset's examples is one new version (``server.storage.versions``); a row is
never changed but to close it, so any version reads back as it was.
Every method takes the project: another project's dataset is as missing as one never created.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from .base import Row
from .batch import scrub, stored_json
from .errors import NotFoundError, RefusedError
from .names import NameTakenError, name_taken
from .runs import delete_runs
from .tables import dataset_examples, datasets, runs
from .versions import in_version

Rows = list[Row]  # an alias: inside the classes, ``list`` is their method
WHAT = "dataset"


@dataclass(frozen=True, slots=True)
class NewDataset:
    name: str
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewExample:
    input: Any
    expected_output: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # None: the store makes one; an id the dataset holds replaces that example
    source_trace_id: str | None = None
    source_span_id: str | None = None


class Datasets:
    def __init__(self, engine: sa.Engine, translate_errors: Callable[[], AbstractContextManager[None]]) -> None:
        self._engine = engine
        self._translate_errors = translate_errors  # transient faults -> TransientStorageError

    def list(self, project_id: str) -> Rows:
        """Every dataset of the project by name, each with ``example_count`` (latest version)."""
        query = _with_example_count(project_id).order_by(datasets.c.name, datasets.c.id)
        with self._translate_errors(), self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def get(self, project_id: str, dataset_id: str) -> Row:
        """Raises ``NotFoundError``."""
        with self._translate_errors(), self._engine.connect() as connection:
            return _get(connection, project_id, dataset_id)

    def create(self, project_id: str, new: NewDataset, examples: Sequence[NewExample] = ()) -> Row:
        """The dataset at version 1 holding ``examples``, or at version 0 without any. Raises
        ``NameTakenError`` and ``RefusedError`` (an example id given twice)."""
        now = datetime.now(timezone.utc)
        name = scrub(new.name)
        dataset_id = uuid.uuid4().hex
        row = {
            "project_id": project_id,
            "id": dataset_id,
            "name": name,
            "description": scrub(new.description),
            "metadata": stored_json(new.metadata),
            "version": 1 if examples else 0,
            "created_at": now,
            "updated_at": now,
        }
        rows = _example_rows(project_id, dataset_id, 1, examples, now)
        with name_taken(name, WHAT), self._translate_errors(), self._engine.begin() as connection:
            taken = sa.select(datasets.c.id).where(datasets.c.project_id == project_id, datasets.c.name == name)
            if connection.execute(taken).first() is not None:
                raise NameTakenError(name, WHAT)
            connection.execute(sa.insert(datasets).values(row))
            _insert(connection, rows)
            return _get(connection, project_id, dataset_id)

    def delete(self, project_id: str, dataset_id: str) -> None:
        """The dataset, its examples of every version, its runs with their results and scores, in
        one transaction. Raises ``NotFoundError``."""
        with self._translate_errors(), self._engine.begin() as connection:
            deleted = connection.execute(sa.delete(datasets).where(*_same(project_id, dataset_id)))
            if not deleted.rowcount:
                raise NotFoundError(WHAT, dataset_id)
            its_runs = sa.select(runs.c.id).where(runs.c.project_id == project_id, runs.c.dataset_id == dataset_id)
            delete_runs(connection, project_id, its_runs)
            e = dataset_examples.c
            connection.execute(
                sa.delete(dataset_examples).where(e.project_id == project_id, e.dataset_id == dataset_id)
            )

    def add_examples(self, project_id: str, dataset_id: str, examples: Sequence[NewExample]) -> Row:
        """One new version with ``examples`` added; an example whose ``id`` the dataset holds
        replaces it. Returns the dataset. Raises ``NotFoundError`` and ``RefusedError``."""
        if not examples:
            raise RefusedError("no examples given: a new version needs at least one")
        now = datetime.now(timezone.utc)
        with self._translate_errors(), self._engine.begin() as connection:
            version = _next_version(connection, project_id, dataset_id, now)
            rows = _example_rows(project_id, dataset_id, version, examples, now)
            e = dataset_examples.c
            connection.execute(
                sa.update(dataset_examples)
                .where(
                    e.project_id == project_id,
                    e.dataset_id == dataset_id,
                    e.version_removed.is_(None),
                    e.id.in_([row["id"] for row in rows]),
                )
                .values(version_removed=version)
            )
            _insert(connection, rows)
            return _get(connection, project_id, dataset_id)

    def delete_example(self, project_id: str, dataset_id: str, example_id: str) -> Row:
        """One new version without the example. Returns the dataset. Raises ``NotFoundError``
        for the dataset or an example its latest version does not hold."""
        now = datetime.now(timezone.utc)
        with self._translate_errors(), self._engine.begin() as connection:
            version = _next_version(connection, project_id, dataset_id, now)
            e = dataset_examples.c
            closed = connection.execute(
                sa.update(dataset_examples)
                .where(
                    e.project_id == project_id,
                    e.dataset_id == dataset_id,
                    e.id == example_id,
                    e.version_removed.is_(None),
                )
                .values(version_removed=version)
            )
            if not closed.rowcount:
                raise NotFoundError("example", example_id, f" in dataset {dataset_id!r}")  # rolls back the version
            return _get(connection, project_id, dataset_id)

    def examples(self, project_id: str, dataset_id: str, version: int | None = None) -> tuple[Row, Rows]:
        """The dataset and the examples of ``version`` (default: the latest), oldest row first.
        Raises ``NotFoundError`` for the dataset or a version it has not reached."""
        # No snapshot needed: a change committed between the two statements adds rows of a later
        # version and closes rows with a later version_removed, neither of which changes this one.
        with self._translate_errors(), self._engine.connect() as connection:
            dataset = _get(connection, project_id, dataset_id)
            if version is None:
                version = dataset["version"]
            elif version > dataset["version"]:
                raise NotFoundError(
                    "version", str(version), f" of dataset {dataset_id!r} (the latest is {dataset['version']})"
                )
            e = dataset_examples.c
            query = (
                sa.select(dataset_examples)
                .where(e.project_id == project_id, e.dataset_id == dataset_id, in_version(version))
                .order_by(e.created_at, e.id)
            )
            return dataset, [dict(row._mapping) for row in connection.execute(query)]


def _same(project_id: str, dataset_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return datasets.c.project_id == project_id, datasets.c.id == dataset_id


def _with_example_count(project_id: str) -> sa.Select[Any]:
    e = dataset_examples.c
    counts = (
        sa.select(e.dataset_id, sa.func.count().label("example_count"))
        .where(e.project_id == project_id, e.version_removed.is_(None))
        .group_by(e.dataset_id)
        .subquery("counts")
    )
    count = sa.cast(sa.func.coalesce(counts.c.example_count, 0), sa.BigInteger).label("example_count")
    return (
        sa.select(datasets, count)
        .select_from(datasets.outerjoin(counts, counts.c.dataset_id == datasets.c.id))
        .where(datasets.c.project_id == project_id)
    )


def _get(connection: sa.Connection, project_id: str, dataset_id: str) -> Row:
    row = connection.execute(_with_example_count(project_id).where(datasets.c.id == dataset_id)).first()
    if row is None:
        raise NotFoundError(WHAT, dataset_id)
    return dict(row._mapping)


def _next_version(connection: sa.Connection, project_id: str, dataset_id: str, now: datetime) -> int:
    """Bump the dataset's version first: on Postgres the row lock makes a concurrent change wait
    and then take the next number; on DuckDB the second writer's transaction fails as a conflict
    (a 503 the client retries)."""
    bumped = connection.execute(
        sa.update(datasets)
        .where(*_same(project_id, dataset_id))
        .values(version=datasets.c.version + 1, updated_at=now)
        .returning(datasets.c.version)
    ).first()
    if bumped is None:
        raise NotFoundError(WHAT, dataset_id)
    return int(bumped.version)


def _example_rows(
    project_id: str, dataset_id: str, version: int, examples: Sequence[NewExample], now: datetime
) -> Rows:
    rows: list[Row] = []
    first_index: dict[str, int] = {}
    for index, example in enumerate(examples):
        example_id = uuid.uuid4().hex if example.id is None else scrub(example.id)
        if example_id in first_index:
            raise RefusedError(f"examples {first_index[example_id]} and {index} have the same id {example_id!r}")
        first_index[example_id] = index
        rows.append(
            {
                "project_id": project_id,
                "dataset_id": dataset_id,
                "id": example_id,
                "version_added": version,
                "version_removed": None,
                "input": stored_json(example.input),
                "expected_output": stored_json(example.expected_output),
                "metadata": stored_json(example.metadata),
                "source_trace_id": example.source_trace_id,
                "source_span_id": example.source_span_id,
                # One microsecond apart: a version lists its examples in the order they were given.
                "created_at": now + timedelta(microseconds=index),
            }
        )
    return rows


def _insert(connection: sa.Connection, rows: list[Row]) -> None:
    # A list of rows: SQLAlchemy sends them as multi-row INSERTs ("insertmanyvalues", 1,000 rows
    # a statement), about 13k rows/s on DuckDB, where row-by-row executemany would be ~1k/s.
    if rows:
        connection.execute(sa.insert(dataset_examples), rows)
