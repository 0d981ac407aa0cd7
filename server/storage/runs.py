"""Runs of a pipeline over one version of a dataset, and their results, per project
(docs/evaluation.md), the same on both backends.

    >>> run = store.runs.create("default", dataset_id, "prompt v2", {"model": "gpt-4o"})  # doctest: +SKIP
    >>> store.runs.add_results("default", run["id"], [NewResult(example_id, output="Tomorrow")])  # doctest: +SKIP
    >>> store.runs.set_status("default", run["id"], "completed")["examples_run"]  # doctest: +SKIP
    1

A run is read with its aggregates (``server.storage.run_figures``). Its scores are ordinary rows
of ``scores`` with ``run_id`` set; deleting a run deletes them with its results.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import sqlalchemy as sa

from . import run_figures
from .base import Row, TransientStorageError
from .batch import scrub, stored_json
from .errors import NotFoundError, RefusedError
from .tables import dataset_examples, datasets, run_results, runs, scores, traces
from .versions import in_version

Rows = list[Row]  # an alias: inside the classes, ``list`` is their method
WHAT = "run"
Status = Literal["running", "completed", "failed"]
NO_FIGURES = {
    "examples_run": 0,
    "examples_failed": 0,
    "latency_p50_ms": None,
    "latency_p95_ms": None,
    "total_tokens": 0,
    "cost_usd": None,
}
RESULT_SCORE_FIELDS = ("name", "span_id", "data_type", "value", "label", "comment", "source")


@dataclass(frozen=True, slots=True)
class NewResult:
    example_id: str
    output: Any = None
    error: str | None = None  # None: the task returned ``output``
    trace_id: str | None = None  # the trace of the task's root span
    latency_ms: float | None = None


def delete_runs(connection: sa.Connection, project_id: str, run_ids: sa.Select[Any]) -> None:
    """In the open transaction: the runs ``run_ids`` selects, their results and their scores."""
    connection.execute(sa.delete(scores).where(scores.c.project_id == project_id, scores.c.run_id.in_(run_ids)))
    r = run_results.c
    connection.execute(sa.delete(run_results).where(r.project_id == project_id, r.run_id.in_(run_ids)))
    connection.execute(sa.delete(runs).where(runs.c.project_id == project_id, runs.c.id.in_(run_ids)))


class Runs:
    def __init__(
        self,
        engine: sa.Engine,
        translate_errors: Callable[[], AbstractContextManager[None]],
        refresh_summaries: Callable[[], None],
    ) -> None:
        self._engine = engine
        self._translate_errors = translate_errors  # transient faults -> TransientStorageError
        self._refresh_summaries = refresh_summaries  # DuckDB folds queued trace summaries first

    def create(self, project_id: str, dataset_id: str, name: str, metadata: dict[str, Any]) -> Row:
        """A running run on the dataset's latest version. Raises ``NotFoundError``."""
        row = {
            "project_id": project_id,
            "id": uuid.uuid4().hex,
            "dataset_id": dataset_id,
            "name": scrub(name),
            "metadata": stored_json(metadata),
            "status": "running",
            "started_at": datetime.now(timezone.utc),
            "ended_at": None,
        }
        version = sa.select(datasets.c.version).where(datasets.c.project_id == project_id, datasets.c.id == dataset_id)
        with self._translate_errors(), self._engine.begin() as connection:
            found = connection.execute(version).scalar()
            if found is None:
                raise NotFoundError("dataset", dataset_id)
            row["dataset_version"] = found
            connection.execute(sa.insert(runs).values(row))
        return {**row, **NO_FIGURES, "models": [], "scores": []}

    def list(self, project_id: str, dataset_id: str | None = None) -> Rows:
        """The project's runs (of one dataset, when given), newest first, with their aggregates."""
        query = sa.select(runs).where(runs.c.project_id == project_id)
        if dataset_id is not None:
            query = query.where(runs.c.dataset_id == dataset_id)
        return self._with_figures(project_id, query.order_by(runs.c.started_at.desc(), runs.c.id.desc()))

    def get(self, project_id: str, run_id: str) -> Row:
        """The run and its aggregates. Raises ``NotFoundError``."""
        found = self._with_figures(project_id, sa.select(runs).where(*_same(project_id, run_id)))
        if not found:
            raise NotFoundError(WHAT, run_id)
        return found[0]

    def delete(self, project_id: str, run_id: str) -> None:
        """The run, its results and its scores. Raises ``NotFoundError``."""
        with self._translate_errors(), self._engine.begin() as connection:
            if connection.execute(sa.select(runs.c.id).where(*_same(project_id, run_id))).first() is None:
                raise NotFoundError(WHAT, run_id)
            delete_runs(connection, project_id, sa.select(sa.literal(run_id)))

    def set_status(self, project_id: str, run_id: str, status: Status) -> Row:
        """``running`` to ``completed`` or ``failed``, which sets ``ended_at``; no other change.
        Raises ``NotFoundError`` and ``RefusedError``."""
        if status == "running":
            raise RefusedError("a run is running from its start; it can only become 'completed' or 'failed'")
        changed = (
            sa.update(runs)
            .where(*_same(project_id, run_id), runs.c.status == "running")  # one winner when two race
            .values(status=status, ended_at=datetime.now(timezone.utc))
        )
        with self._translate_errors(), self._engine.begin() as connection:
            if not connection.execute(changed).rowcount:
                current = connection.execute(sa.select(runs.c.status).where(*_same(project_id, run_id))).scalar()
                if current is None:
                    raise NotFoundError(WHAT, run_id)
                raise RefusedError(f"run {run_id!r} is {current} already; only a running run can become {status!r}")
        return self.get(project_id, run_id)

    def add_results(self, project_id: str, run_id: str, results: Sequence[NewResult]) -> Row:
        """Store ``results`` in one transaction; a result for an example that has one replaces
        it. Returns the run. Raises ``NotFoundError`` and ``RefusedError`` (an example the run's
        dataset version does not hold, or one given twice), and then stores none."""
        if not results:
            raise RefusedError("no results given")
        _refuse_repeats([result.example_id for result in results])
        now = datetime.now(timezone.utc)
        rows: Rows = [
            {
                "project_id": project_id,
                "run_id": run_id,
                "example_id": result.example_id,
                "trace_id": result.trace_id,
                "output": stored_json(result.output),
                "error": None if result.error is None else scrub(result.error),
                "latency_ms": result.latency_ms,
                "created_at": now,
            }
            for result in results
        ]
        with self._translate_errors(), self._engine.begin() as connection:
            run = connection.execute(sa.select(runs).where(*_same(project_id, run_id))).first()
            if run is None:
                raise NotFoundError(WHAT, run_id)
            self._refuse_unknown_examples(connection, run, [row["example_id"] for row in rows])
            r = run_results.c
            replaced = [row["example_id"] for row in rows]
            connection.execute(
                sa.delete(run_results).where(r.project_id == project_id, r.run_id == run_id, r.example_id.in_(replaced))
            )
            try:
                # Delete and insert, not an upsert: DuckDB runs ON CONFLICT DO UPDATE row by row
                # (3,000 rows: 3.7 s against 0.3 s).
                connection.execute(sa.insert(run_results), rows)
            except sa.exc.IntegrityError as error:
                # Only when another request stored a result for one of these examples between our
                # delete and insert (Postgres): a retry replaces it.
                raise TransientStorageError(f"results for the same examples were stored at once: {error}") from error
        return self.get(project_id, run_id)

    def results(self, project_id: str, run_id: str) -> Rows:
        """Per example the run has a result for: the example's input and expected output (at the
        run's version), the output or error, trace, latency, the trace's tokens and cost, and
        the run's scores on that trace. Raises ``NotFoundError``."""
        r, e, t, s = run_results.c, dataset_examples.c, traces.c, scores.c
        run = sa.select(runs).where(*_same(project_id, run_id)).subquery("run")
        example = sa.and_(
            e.project_id == project_id,
            e.dataset_id == run.c.dataset_id,
            e.id == r.example_id,
            in_version(run.c.dataset_version),
        )
        query = (
            sa.select(
                r.example_id,
                e.input,
                e.expected_output,
                r.output,
                r.error,
                r.trace_id,
                r.latency_ms,
                t.total_tokens,
                t.cost_usd,
            )
            .select_from(
                run_results.join(run, run.c.id == r.run_id)
                .outerjoin(dataset_examples, example)
                .outerjoin(traces, sa.and_(t.project_id == project_id, t.trace_id == r.trace_id))
            )
            .where(r.project_id == project_id, r.run_id == run_id)
            .order_by(e.created_at, r.example_id)
        )
        run_scores = (
            sa.select(s.trace_id, *(s[name] for name in RESULT_SCORE_FIELDS))
            .where(s.project_id == project_id, s.run_id == run_id)
            .order_by(s.name, s.created_at, s.id)
        )
        self._refresh_summaries()
        with self._translate_errors(), self._engine.connect() as connection:
            if connection.execute(sa.select(runs.c.id).where(*_same(project_id, run_id))).first() is None:
                raise NotFoundError(WHAT, run_id)
            found = [dict(row._mapping) for row in connection.execute(query)]
            by_trace: dict[str, Rows] = {}
            for score in connection.execute(run_scores):
                by_trace.setdefault(score.trace_id, []).append(
                    {name: score._mapping[name] for name in RESULT_SCORE_FIELDS}
                )
        for row in found:
            row["scores"] = by_trace.get(row["trace_id"], []) if row["trace_id"] is not None else []
        return found

    # -- helpers --------------------------------------------------------------------------------

    def _with_figures(self, project_id: str, query: sa.Select[Any]) -> Rows:
        self._refresh_summaries()
        with self._translate_errors(), self._engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(query)]
            ids = [row["id"] for row in found]
            if not ids:
                return []
            figures: dict[str, Row] = {row_id: dict(NO_FIGURES) for row_id in ids}
            for figure_query in (run_figures.result_figures, run_figures.trace_figures):
                for row in connection.execute(figure_query(project_id, ids)):
                    figures[row.run_id].update({k: v for k, v in row._mapping.items() if k != "run_id"})
            models: dict[str, set[str]] = {row_id: set() for row_id in ids}
            for row in connection.execute(run_figures.model_lists(project_id, ids)):
                models[row.run_id].update(json.loads(row.models))
            per_score: dict[str, Rows] = {row_id: [] for row_id in ids}
            for row in connection.execute(run_figures.score_figures(project_id, ids)):
                per_score[row.run_id].append({k: v for k, v in row._mapping.items() if k != "run_id"})
        return [
            {**run, **figures[run["id"]], "models": sorted(models[run["id"]]), "scores": per_score[run["id"]]}
            for run in found
        ]

    @staticmethod
    def _refuse_unknown_examples(connection: sa.Connection, run: sa.Row[Any], example_ids: Sequence[str]) -> None:
        e = dataset_examples.c
        held = sa.select(e.id).where(
            e.project_id == run.project_id,
            e.dataset_id == run.dataset_id,
            e.id.in_(example_ids),
            in_version(run.dataset_version),
        )
        known = set(connection.execute(held).scalars())
        for index, example_id in enumerate(example_ids):
            if example_id not in known:
                raise RefusedError(
                    f"results[{index}]: example {example_id!r} is not in version {run.dataset_version}"
                    f" of dataset {run.dataset_id!r}"
                )


def _same(project_id: str, run_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return runs.c.project_id == project_id, runs.c.id == run_id


def _refuse_repeats(example_ids: list[str]) -> None:
    first_index: dict[str, int] = {}
    for index, example_id in enumerate(example_ids):
        if example_id in first_index:
            raise RefusedError(f"results {first_index[example_id]} and {index} are for the same example {example_id!r}")
        first_index[example_id] = index
