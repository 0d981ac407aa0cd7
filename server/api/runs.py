"""``/api/v1/runs``: evaluations of a pipeline over one version of a dataset, per project
(docs/evaluation.md).

Status codes: 201 created (a run, or its results); 204 deleted; 400 a result for an example the
run's dataset version does not hold, an example given twice in one call, a status change other
than ``running`` to ``completed`` or ``failed``; 404 no such run or dataset in this project; 422
a malformed body (NaN and infinite numbers included); 503 a transient database fault
(``server.app``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from server.api.auth import ADMIN, INGEST, READ, project_of
from server.api.deps import get_collector
from server.api.json_values import CleanJsonRoute, JsonObject, JsonValue
from server.api.refusals import answer_refusals
from server.api.scores import Key, Name, TraceId
from server.storage.runs import NewResult

router = APIRouter(prefix="/api/v1/runs", tags=["runs"], route_class=CleanJsonRoute)

MAX_RESULTS = 10_000  # per call


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: Key
    name: Name
    metadata: JsonObject = Field(default_factory=dict)


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    example_id: Key
    output: JsonValue = None
    error: Annotated[str, StringConstraints(max_length=10_000)] | None = Field(
        None, description="null: the task returned"
    )
    trace_id: TraceId | None = Field(None, description="The trace of the task's root span")
    latency_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class ResultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    results: list[ResultIn] = Field(min_length=1, max_length=MAX_RESULTS)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["running", "completed", "failed"]


class ScoreFigures(BaseModel):
    name: str
    count: int = Field(description="Scores of this name in the run, categorical ones included")
    mean: float | None = Field(description="Of the numeric values (booleans are 1/0)")
    ci_low: float | None = Field(description="95% confidence interval of the mean; null under 2 values")
    ci_high: float | None


class RunOut(BaseModel):
    id: str
    name: str
    dataset_id: str
    dataset_version: int
    metadata: dict[str, Any]
    status: str
    started_at: datetime
    ended_at: datetime | None
    examples_run: int
    examples_failed: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    total_tokens: int = Field(description="Of the results' traces (those stored so far)")
    cost_usd: float | None
    models: list[str] = Field(description="The models of the results' traces (those stored so far), sorted")
    scores: list[ScoreFigures] = Field(description="Per score name with this run_id, by name")


class RunList(BaseModel):
    runs: list[RunOut]


class ResultScore(BaseModel):
    name: str
    span_id: str | None
    data_type: str
    value: float | None
    label: str | None
    comment: str | None
    source: str


class ResultOut(BaseModel):
    example_id: str
    input: Any
    expected_output: Any
    output: Any
    error: str | None
    trace_id: str | None
    latency_ms: float | None
    total_tokens: int | None
    cost_usd: float | None
    scores: list[ResultScore]


class ResultList(BaseModel):
    run_id: str
    results: list[ResultOut]


@router.post(
    "",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=RunOut,
    summary="Start a run on a dataset's latest version",
)
async def create_run(request: Request, body: RunIn) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(
            collector.store.runs.create, project_of(request), body.dataset_id, body.name, body.metadata
        )


@router.get(
    "", dependencies=[Depends(READ)], response_model=RunList, summary="Runs, newest first, with their aggregates"
)
async def list_runs(request: Request, dataset_id: str | None = None) -> Any:
    collector = get_collector(request)
    project = project_of(request)
    with answer_refusals():
        if dataset_id is not None:  # a dataset that is not there is a 404, not an empty list
            await run_in_threadpool(collector.store.datasets.get, project, dataset_id)
        return {"runs": await run_in_threadpool(collector.store.runs.list, project, dataset_id)}


@router.get("/{run_id}", dependencies=[Depends(READ)], response_model=RunOut, summary="One run and its aggregates")
async def get_run(request: Request, run_id: str) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(collector.store.runs.get, project_of(request), run_id)


@router.patch(
    "/{run_id}", dependencies=[Depends(INGEST)], response_model=RunOut, summary="Complete or fail a running run"
)
async def set_run_status(request: Request, run_id: str, body: StatusIn) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(collector.store.runs.set_status, project_of(request), run_id, body.status)


@router.delete(
    "/{run_id}", dependencies=[Depends(ADMIN)], status_code=204, summary="Delete a run, its results and its scores"
)
async def delete_run(request: Request, run_id: str) -> Response:
    collector = get_collector(request)
    with answer_refusals():
        await run_in_threadpool(collector.store.runs.delete, project_of(request), run_id)
    return Response(status_code=204)


@router.post(
    "/{run_id}/results",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=RunOut,
    summary="Add or replace results",
)
async def add_results(request: Request, run_id: str, body: ResultsIn) -> Any:
    collector = get_collector(request)
    results = [NewResult(**result.model_dump()) for result in body.results]
    with answer_refusals():
        return await run_in_threadpool(collector.store.runs.add_results, project_of(request), run_id, results)


@router.get(
    "/{run_id}/results",
    dependencies=[Depends(READ)],
    response_model=ResultList,
    summary="Per example: input, output, trace, scores",
)
async def list_results(request: Request, run_id: str) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        results = await run_in_threadpool(collector.store.runs.results, project_of(request), run_id)
    return {"run_id": run_id, "results": results}
