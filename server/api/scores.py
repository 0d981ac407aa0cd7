"""``/api/v1/scores`` and ``/api/v1/score-configs`` (docs/evaluation.md).

A score's type follows its value unless ``data_type`` says otherwise: a bool is ``boolean``
(stored as 1/0 and "true"/"false"), a string ``categorical``, a number ``numeric``. A score may
name a trace that has not arrived yet. Status codes: 201 created; 200 a score resent with the
same ``id`` and content; 204 deleted; 400 a value that does not fit its type or config, an
unknown config, a bad cursor; 404 no such score or config in this project; 409 an ``id`` sent
again with other content, a config name taken; 422 a malformed body (NaN and infinite values
included); 503 a transient database fault (``server.app``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from starlette.concurrency import run_in_threadpool

from server.api.auth import ADMIN, INGEST, READ, project_of
from server.api.deps import get_collector, name_conflict
from server.api.json_values import CleanJsonRoute
from server.storage.base import Row
from server.storage.scores import NewScore, NewScoreConfig, ScoreConflictError, ScoreFilter

router = APIRouter(prefix="/api/v1", tags=["scores"], route_class=CleanJsonRoute)

MAX_BATCH = 1000
DataType = Literal["numeric", "boolean", "categorical"]
Source = Literal["human", "code", "llm_judge", "sdk"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TraceId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$", to_lower=True)]
SpanId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{16}$", to_lower=True)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Key | None = Field(None, description="Makes a resend harmless; the server picks one if absent")
    trace_id: TraceId
    span_id: SpanId | None = Field(None, description="None scores the whole trace")
    name: Name
    # bool first: JSON true is a bool, not the number 1.
    value: bool | Finite | Annotated[str, StringConstraints(min_length=1, max_length=200)]
    data_type: DataType | None = Field(None, description="Default: from the value's JSON type")
    source: Source = "sdk"
    comment: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    author: Annotated[str, StringConstraints(max_length=200)] | None = None
    run_id: Key | None = None
    config_id: Key | None = None


class ScoreBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: list[ScoreIn] = Field(min_length=1, max_length=MAX_BATCH)


class ScoreOut(BaseModel):
    id: str
    trace_id: str
    span_id: str | None
    name: str
    data_type: str
    value: float | None
    label: str | None
    source: str
    comment: str | None
    author: str | None
    run_id: str | None
    config_id: str | None
    created_at: datetime


class ScoreList(BaseModel):
    scores: list[ScoreOut]
    next_cursor: str | None = None


class ScoreConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    data_type: DataType
    min_value: Finite | None = None
    max_value: Finite | None = None
    categories: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = Field(
        None, min_length=1, max_length=100
    )
    description: Annotated[str, StringConstraints(max_length=2000)] = ""

    @model_validator(mode="after")
    def _fits_its_type(self) -> ScoreConfigIn:
        if self.data_type != "numeric" and (self.min_value is not None or self.max_value is not None):
            raise ValueError("min_value and max_value are for numeric scores only")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError(f"min_value {self.min_value} is above max_value {self.max_value}")
        if (self.data_type == "categorical") != (self.categories is not None):
            raise ValueError("categories are needed for a categorical score, and only for one")
        if self.categories is not None and len(set(self.categories)) != len(self.categories):
            raise ValueError("categories must be distinct")
        return self


class ScoreConfigOut(BaseModel):
    id: str
    name: str
    data_type: str
    min_value: float | None
    max_value: float | None
    categories: list[str] | None
    description: str
    created_at: datetime


class ScoreConfigList(BaseModel):
    score_configs: list[ScoreConfigOut]


# -- scores ----------------------------------------------------------------------------------


@router.post(
    "/scores",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=ScoreOut,
    summary="Score a trace or a span",
)
async def create_score(request: Request, body: ScoreIn) -> Any:
    ((row, created),) = await _add(request, [body])
    return JSONResponse(jsonable_encoder(ScoreOut.model_validate(row)), status_code=201 if created else 200)


@router.post(
    "/scores/batch",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=ScoreList,
    summary="Store many scores, all or none",
)
async def create_scores(request: Request, body: ScoreBatch) -> Any:
    return {"scores": [row for row, _ in await _add(request, body.scores)]}


class ScoreQuery(BaseModel):
    """Filters of the score list (AND); IDs of traces and spans in any letter case."""

    model_config = ConfigDict(extra="forbid")

    trace_id: Annotated[str, StringConstraints(max_length=200, to_lower=True)] | None = None
    span_id: Annotated[str, StringConstraints(max_length=200, to_lower=True)] | None = None
    name: Key | None = None
    source: Source | None = None
    run_id: Key | None = None
    limit: int = Field(100, ge=1, le=1000)
    cursor: str | None = Field(None, max_length=1000)


@router.get("/scores", dependencies=[Depends(READ)], response_model=ScoreList, summary="Scores, newest first")
async def list_scores(request: Request, query: Annotated[ScoreQuery, Query()]) -> Any:
    collector = get_collector(request)
    filters = ScoreFilter(**query.model_dump(exclude={"limit", "cursor"}))
    try:
        rows, next_cursor = await run_in_threadpool(
            collector.store.scores.find, project_of(request), filters, query.limit, query.cursor
        )
    except ValueError as error:  # a cursor that is not one of ours
        raise HTTPException(400, f"bad cursor: {error}") from None
    return {"scores": rows, "next_cursor": next_cursor}


@router.delete("/scores/{score_id}", dependencies=[Depends(ADMIN)], status_code=204, summary="Delete a score")
async def delete_score(request: Request, score_id: str) -> Response:
    collector = get_collector(request)
    if not await run_in_threadpool(collector.store.scores.delete, project_of(request), score_id):
        raise HTTPException(404, f"no score {score_id!r}")
    return Response(status_code=204)


async def _add(request: Request, given: Sequence[ScoreIn]) -> list[tuple[Row, bool]]:
    collector = get_collector(request)
    project = project_of(request)
    wanted = {score.config_id for score in given if score.config_id is not None}
    configs = {}
    if wanted:
        found = await run_in_threadpool(collector.store.scores.configs, project, sorted(wanted))
        configs = {row["id"]: row for row in found}
    checked = []
    for index, score in enumerate(given):
        try:
            checked.append(_checked(score, configs))
        except ValueError as error:
            where = f"scores[{index}]: " if len(given) > 1 else ""
            raise HTTPException(400, f"{where}{error}") from None
    try:
        return await run_in_threadpool(collector.store.scores.add, project, checked)
    except ScoreConflictError as error:
        raise HTTPException(409, str(error)) from None


def _checked(score: ScoreIn, configs: dict[str, Row]) -> NewScore:
    """The score with ``data_type``, ``value`` and ``label`` agreeing; ValueError says what
    does not fit."""
    data_type, value, label = _typed(score.value, score.data_type)
    if score.config_id is not None:
        config = configs.get(score.config_id)
        if config is None:
            raise ValueError(f"no score config {score.config_id!r}")
        _fits(config, score.name, data_type, value, label)
    fields = score.model_dump(exclude={"value", "data_type"})
    return NewScore(**fields, data_type=data_type, value=value, label=label)


def _typed(given: bool | float | str, data_type: DataType | None) -> tuple[DataType, float | None, str | None]:
    if isinstance(given, bool):
        if data_type not in (None, "boolean"):
            raise ValueError(f"value {given!r} is a boolean, not {data_type}")
        return "boolean", float(given), str(given).lower()
    if isinstance(given, str):
        if data_type == "boolean" and given.lower() in ("true", "false"):
            return "boolean", float(given.lower() == "true"), given.lower()
        if data_type not in (None, "categorical"):
            raise ValueError(f"value {given!r} is text, not {data_type}")
        return "categorical", None, given
    if data_type == "boolean":
        if given not in (0, 1):
            raise ValueError(f"value {given!r} is not a boolean (1 or 0)")
        return "boolean", float(given), "true" if given == 1 else "false"
    if data_type not in (None, "numeric"):
        raise ValueError(f"value {given!r} is a number, not {data_type}")
    return "numeric", float(given), None


def _fits(config: Row, name: str, data_type: str, value: float | None, label: str | None) -> None:
    if config["name"] != name:
        raise ValueError(f"score config {config['id']!r} is for {config['name']!r}, not {name!r}")
    if config["data_type"] != data_type:
        raise ValueError(f"score config {config['name']!r} wants a {config['data_type']} value, not {data_type}")
    low, high = config["min_value"], config["max_value"]
    if value is not None and low is not None and value < low:
        raise ValueError(f"value {value:g} is below {config['name']!r}'s minimum {low:g}")
    if value is not None and high is not None and value > high:
        raise ValueError(f"value {value:g} is above {config['name']!r}'s maximum {high:g}")
    if data_type == "categorical" and label not in (config["categories"] or []):
        raise ValueError(f"{label!r} is not one of {config['name']!r}'s categories: {', '.join(config['categories'])}")


# -- score configs ---------------------------------------------------------------------------


@router.get(
    "/score-configs",
    dependencies=[Depends(READ)],
    response_model=ScoreConfigList,
    summary="The project's score configs, by name",
)
async def list_score_configs(request: Request) -> Any:
    collector = get_collector(request)
    return {"score_configs": await run_in_threadpool(collector.store.scores.configs, project_of(request))}


@router.post(
    "/score-configs",
    dependencies=[Depends(ADMIN)],
    status_code=201,
    response_model=ScoreConfigOut,
    summary="Define a score",
)
async def create_score_config(request: Request, body: ScoreConfigIn) -> Any:
    collector = get_collector(request)
    with name_conflict():
        return await run_in_threadpool(
            collector.store.scores.add_config, project_of(request), NewScoreConfig(**body.model_dump())
        )


@router.delete(
    "/score-configs/{config_id}", dependencies=[Depends(ADMIN)], status_code=204, summary="Delete a score config"
)
async def delete_score_config(request: Request, config_id: str) -> Response:
    collector = get_collector(request)
    if not await run_in_threadpool(collector.store.scores.delete_config, project_of(request), config_id):
        raise HTTPException(404, f"no score config {config_id!r}")
    return Response(status_code=204)
