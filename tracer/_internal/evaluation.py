"""``tracer.evaluate`` / ``tracer.aevaluate``: run a task over a dataset as one run.

Both are one implementation on asyncio: async tasks and scorers are awaited under a
semaphore of ``concurrency``; sync ones run in a thread pool of the same size, each in a
copy of the caller's context so ``tracer.context(...)`` values reach their spans. Every
example runs under a new root span (even when evaluate is called inside a span), so each
example is one trace the run's result links to.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from opentelemetry import context as otel_context

from tracer._internal.api import ApiClient, CollectorError
from tracer._internal.configure import flush
from tracer._internal.datasets import Dataset, Example, get
from tracer._internal.manual import start_span
from tracer._internal.progress import Progress
from tracer._internal.scorers import Score, Scorer, scorer_name, scorer_source
from tracer._internal.scores import build_score, score_value
from tracer._internal.serialize import to_plain
from tracer._internal.state import STATE
from tracer._internal.summary import ExampleError, RunSummary, ScoreSummary, percentile

logger = logging.getLogger("spanscope")

# Attributes of each example's root span (docs/evaluation.md, "In the SDK").
RUN_ID = "spanscope.run.id"
RUN_NAME = "spanscope.run.name"
DATASET_ID = "spanscope.dataset.id"
EXAMPLE_ID = "spanscope.dataset.example.id"
RESULTS_PER_REQUEST = 100
SCORES_PER_REQUEST = 500  # the collector takes 1,000 at most


def git_commit(directory: str | None = None) -> str | None:
    """HEAD of the git repository around ``directory`` (the working directory); None if
    there is none, git is missing or slow: the run's metadata is a nicety, never a failure."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory or os.getcwd(),
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) in (40, 64) else None


@dataclass
class _Outcome:
    example: Example
    trace_id: str | None = None
    output: Any = None
    error: str | None = None
    latency: float | None = None
    scores: list[tuple[str, float | bool | str]] = field(default_factory=list)
    scorer_errors: list[ExampleError] = field(default_factory=list)


class _Recorder:
    """Buffers results and scores and posts them in batches, one request at a time."""

    def __init__(self, client: ApiClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id
        self.results: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.failure: CollectorError | None = None
        self._lock = asyncio.Lock()

    async def add(self, result: dict[str, Any], scores: list[dict[str, Any]]) -> None:
        self.results.append(result)
        self.scores.extend(scores)
        if len(self.results) >= RESULTS_PER_REQUEST or len(self.scores) >= SCORES_PER_REQUEST:
            await self.send()

    async def send(self) -> None:
        async with self._lock:
            while self.failure is None and (self.results or self.scores):
                results, self.results = self.results[:RESULTS_PER_REQUEST], self.results[RESULTS_PER_REQUEST:]
                scores, self.scores = self.scores[:SCORES_PER_REQUEST], self.scores[SCORES_PER_REQUEST:]
                try:
                    if results:
                        path = f"/api/v1/runs/{quote(self.run_id, safe='')}/results"
                        await asyncio.to_thread(self.client.request, "POST", path, {"results": results})
                    if scores:
                        await asyncio.to_thread(self.client.request, "POST", "/api/v1/scores/batch", {"scores": scores})
                except CollectorError as error:
                    self.failure = error


class _Evaluation:
    def __init__(
        self,
        task: Callable[[Any], Any],
        scorers: Sequence[Scorer],
        *,
        run: Mapping[str, Any],
        dataset: Dataset,
        concurrency: int,
        executor: ThreadPoolExecutor,
    ) -> None:
        self.task = task
        self.task_is_async = inspect.iscoroutinefunction(task)
        self.task_name = getattr(task, "__name__", None) or type(task).__name__
        self.scorers = scorers
        self.run_id = str(run["id"])
        self.run_name = str(run.get("name") or "")
        self.dataset = dataset
        self.executor = executor
        self.semaphore = asyncio.Semaphore(concurrency)
        self.recorder = _Recorder(dataset._client, self.run_id)

    def _span(self, example: Example) -> start_span:
        attributes = {RUN_ID: self.run_id, RUN_NAME: self.run_name, DATASET_ID: self.dataset.id}
        if example.id is not None:
            attributes[EXAMPLE_ID] = example.id
        return start_span(self.task_name, kind="chain", input=example.input, attributes=attributes)

    def _run_sync(self, example: Example, outcome: _Outcome) -> None:
        token = otel_context.attach(otel_context.Context())  # a new root: one trace per example
        try:
            with self._span(example) as span:
                outcome.trace_id = _trace_id(span.otel_span)
                started = time.perf_counter()
                try:
                    output = self.task(example.input)
                finally:
                    outcome.latency = time.perf_counter() - started
                span.set_output(output)
                outcome.output = output
        except Exception as error:
            outcome.error = _describe(error)
        finally:
            otel_context.detach(token)

    async def _run_async(self, example: Example, outcome: _Outcome) -> None:
        token = otel_context.attach(otel_context.Context())
        try:
            with self._span(example) as span:
                outcome.trace_id = _trace_id(span.otel_span)
                started = time.perf_counter()
                try:
                    output = await self.task(example.input)
                finally:
                    outcome.latency = time.perf_counter() - started
                span.set_output(output)
                outcome.output = output
        except Exception as error:
            outcome.error = _describe(error)
        finally:
            otel_context.detach(token)

    async def _call_scorer(self, scorer: Scorer, example: Example, output: Any) -> Any:
        if inspect.iscoroutinefunction(scorer) or inspect.iscoroutinefunction(type(scorer).__call__):
            result: Any = scorer(example.input, output, example.expected_output)
        else:
            loop = asyncio.get_running_loop()
            call = contextvars.copy_context().run
            result = await loop.run_in_executor(
                self.executor, call, scorer, example.input, output, example.expected_output
            )
        return await result if inspect.isawaitable(result) else result

    async def run_one(self, example: Example, progress: Progress) -> _Outcome:
        outcome = _Outcome(example)
        async with self.semaphore:
            if self.recorder.failure is not None:  # the run cannot be recorded: stop spending
                outcome.error = "not run: recording the run failed"
                return outcome
            if self.task_is_async:
                await self._run_async(example, outcome)
            else:
                loop = asyncio.get_running_loop()
                call = contextvars.copy_context().run
                await loop.run_in_executor(self.executor, call, self._run_sync, example, outcome)
            score_bodies = [] if outcome.error is not None else await self._score(example, outcome)
        await self.recorder.add(self._result(outcome), score_bodies)
        progress.advance(failed=outcome.error is not None)
        return outcome

    async def _score(self, example: Example, outcome: _Outcome) -> list[dict[str, Any]]:
        bodies = []
        for scorer in self.scorers:
            name = scorer_name(scorer)
            try:
                returned = await self._call_scorer(scorer, example, outcome.output)
                scored = returned if isinstance(returned, Score) else Score(returned)
                name = scored.name or name
                value = score_value(scored.value, f"scorer {name}")
            except Exception as error:
                outcome.scorer_errors.append(ExampleError(str(example.id), _describe(error), name))
                continue
            outcome.scores.append((name, value))
            if outcome.trace_id is not None:
                bodies.append(
                    build_score(
                        name,
                        value,
                        trace_id=outcome.trace_id,
                        span_id=None,
                        comment=scored.explanation[:10_000] if scored.explanation else None,
                        source=scorer_source(scorer),
                        run_id=self.run_id,
                    )
                )
        return bodies

    def _result(self, outcome: _Outcome) -> dict[str, Any]:
        result: dict[str, Any] = {
            "example_id": outcome.example.id,
            "trace_id": outcome.trace_id,
            "latency_ms": None if outcome.latency is None else round(outcome.latency * 1000, 3),
        }
        if outcome.error is not None:
            result["error"] = outcome.error
        else:
            result["output"] = to_plain(outcome.output)
        return result


def _trace_id(otel_span: Any) -> str | None:
    context = otel_span.get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 2000 else text[:2000] + "..."


def _aggregate(body: Mapping[str, Any], key: str) -> Any:
    """A run aggregate of ``GET /api/v1/runs/{id}`` (fields of the run, docs/evaluation.md)."""
    return body.get(key)


def _check(task: Any, scorers: Sequence[Any], concurrency: int) -> None:
    if not callable(task):
        raise TypeError(f"task must be a callable taking an example's input, got {type(task).__name__}")
    for scorer in scorers:
        if not callable(scorer):
            raise TypeError(f"a scorer must be callable as scorer(input, output, expected), got {scorer!r}")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
    if STATE.otel_tracer is None:
        raise RuntimeError(
            "tracer.evaluate needs tracing on, as each example's trace carries its latency, tokens and cost: "
            "call tracer.configure(...) first"
        )


async def aevaluate(
    dataset: Dataset | str,
    task: Callable[[Any], Any] | Callable[[Any], Awaitable[Any]],
    *,
    scorers: Sequence[Scorer] = (),
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    concurrency: int = 4,
    progress: bool = True,
) -> RunSummary:
    """``tracer.evaluate`` for code already inside an event loop (a notebook, an async app)::

    summary = await tracer.aevaluate("support-questions", answer_question, scorers=[tracer.scorers.contains])
    """
    scorers = list(scorers)
    _check(task, scorers, concurrency)
    chosen = dataset if isinstance(dataset, Dataset) else await asyncio.to_thread(get, dataset)
    client = chosen._client
    task_name = getattr(task, "__name__", None) or type(task).__name__
    run_name = name or f"{task_name} {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}"
    run_metadata: dict[str, Any] = {}
    commit = await asyncio.to_thread(git_commit)
    if commit:
        run_metadata["git_commit"] = commit
    run_metadata.update(to_plain(dict(metadata or {})))
    run = await asyncio.to_thread(
        client.request, "POST", "/api/v1/runs", {"dataset_id": chosen.id, "name": run_name, "metadata": run_metadata}
    )
    run_path = f"/api/v1/runs/{quote(str(run['id']), safe='')}"
    try:
        version = run.get("dataset_version")
        listed = await asyncio.to_thread(
            client.request, "GET", f"/api/v1/datasets/{quote(chosen.id, safe='')}/examples", None, {"version": version}
        )
        examples = [Example.from_json(item) for item in (listed.get("examples") or [])]
        with ThreadPoolExecutor(concurrency, thread_name_prefix="spanscope-evaluate") as executor:
            evaluation = _Evaluation(task, scorers, run=run, dataset=chosen, concurrency=concurrency, executor=executor)
            bar = Progress(run_name, len(examples), enabled=progress)
            try:
                outcomes = await asyncio.gather(*(evaluation.run_one(example, bar) for example in examples))
            finally:
                bar.close()
        # The run's tokens and cost are read from its traces: they must be stored first.
        if not await asyncio.to_thread(flush, 60.0):
            logger.warning("spanscope: spans of run %r were lost; its tokens and cost may be short", run_name)
        await evaluation.recorder.send()
        if evaluation.recorder.failure is not None:
            raise evaluation.recorder.failure
    except BaseException:
        try:
            await asyncio.to_thread(client.request, "PATCH", run_path, {"status": "failed"})
        except CollectorError as error:
            logger.warning("spanscope: could not mark run %r failed: %s", run_name, error)
        raise
    await asyncio.to_thread(client.request, "PATCH", run_path, {"status": "completed"})
    stored = await asyncio.to_thread(client.request, "GET", run_path)
    return _summary(run, stored if isinstance(stored, Mapping) else {}, outcomes, scorers, run_metadata)


def _summary(
    run: Mapping[str, Any],
    stored: Mapping[str, Any],
    outcomes: Sequence[_Outcome],
    scorers: Sequence[Scorer],
    metadata: dict[str, Any],
) -> RunSummary:
    values: dict[str, list[float | bool | str]] = {scorer_name(scorer): [] for scorer in scorers}
    scorer_errors: dict[str, int] = {}
    errors: list[ExampleError] = []
    for outcome in outcomes:
        for score_name, value in outcome.scores:
            values.setdefault(score_name, []).append(value)
        for error in outcome.scorer_errors:
            scorer_errors[str(error.scorer)] = scorer_errors.get(str(error.scorer), 0) + 1
        if outcome.error is not None:
            errors.append(ExampleError(str(outcome.example.id), outcome.error))
        errors.extend(outcome.scorer_errors)
    for scorer_label in scorer_errors:
        values.setdefault(scorer_label, [])
    latencies = [outcome.latency for outcome in outcomes if outcome.latency is not None and outcome.error is None]
    tokens = _aggregate(stored, "total_tokens")
    cost = _aggregate(stored, "cost_usd")
    return RunSummary(
        run_id=str(run["id"]),
        name=str(run.get("name") or ""),
        dataset_id=str(run.get("dataset_id") or ""),
        dataset_version=run.get("dataset_version"),
        examples=len(outcomes),
        failed=sum(outcome.error is not None for outcome in outcomes),
        scores={key: ScoreSummary.of(key, found, scorer_errors.get(key, 0)) for key, found in values.items()},
        latency_p50=percentile(latencies, 0.5),
        latency_p95=percentile(latencies, 0.95),
        total_tokens=None if tokens is None else int(tokens),
        cost=None if cost is None else float(cost),
        errors=errors,
        metadata=metadata,
        models=[str(model) for model in _aggregate(stored, "models") or []],
    )


def evaluate(
    dataset: Dataset | str,
    task: Callable[[Any], Any] | Callable[[Any], Awaitable[Any]],
    *,
    scorers: Sequence[Scorer] = (),
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    concurrency: int = 4,
    progress: bool = True,
) -> RunSummary:
    """Run ``task`` on every example of a dataset as one run, score it and summarise it.

    ``task(input)`` (sync or async) runs once per example under a new root span that names
    the run and the example; its output or error, its trace and its latency become the
    example's result. Each scorer (sync or async ``(input, output, expected)`` returning a
    number, bool, category or ``tracer.scorers.Score``) scores every output that did not
    fail; its score is stored with the run. A task or scorer that raises is recorded as
    that example's error and the run completes. ``metadata`` is stored with the run along
    with the current git commit. A progress bar goes to stderr unless ``progress=False``.
    Inside a running event loop use ``await tracer.aevaluate(...)``. Raises
    ``tracer.datasets.CollectorError`` when the collector refuses the run::

        summary = tracer.evaluate(
            "support-questions", answer_question,
            scorers=[tracer.scorers.exact_match, tracer.scorers.similarity],
            name="prompt v2", metadata={"prompt_version": "v2"}, concurrency=4,
        )
        print(summary)
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(
            aevaluate(
                dataset,
                task,
                scorers=scorers,
                name=name,
                metadata=metadata,
                concurrency=concurrency,
                progress=progress,
            )
        )
    raise RuntimeError("tracer.evaluate() cannot block a running event loop; use `await tracer.aevaluate(...)` here")
