"""``/api/v1/saved-queries``: the SQL page's saved queries, per project.

A query is checked as ``POST /api/v1/sql`` would check it before it is saved (parsed, only the
documented views, only allowed functions), so whatever is saved can be run. Status codes: 201
created; 204 deleted; 400 a query the SQL endpoint would refuse; 404 no such query in this
project; 409 the name is taken; 413 a query text over the SQL endpoint's limit; 422 a malformed
body; 503 a transient database fault (``server.app``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector, name_conflict
from server.api.json_values import CleanJsonRoute
from server.api.sql import MAX_QUERY_CHARS
from server.sql import SqlError
from server.sql.execute import prepare
from server.storage.saved_queries import SavedQuery

router = APIRouter(prefix="/api/v1/saved-queries", tags=["sql"], route_class=CleanJsonRoute)

ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Chart(BaseModel):
    """How the SQL page draws the result: ``y`` columns against ``x``, one series per ``color``
    value when given."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["line", "bar", "scatter"]
    x: ColumnName
    y: list[ColumnName] = Field(min_length=1, max_length=10)
    color: ColumnName | None = None


class SavedQueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    # Its length is checked in the route, as /api/v1/sql does: over the limit is a 413.
    query: str = Field(description="One SELECT in DuckDB's dialect over the views of docs/sql.md")
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    chart: Chart | None = None


class SavedQueryOut(BaseModel):
    id: str
    name: str
    description: str
    query: str
    chart: Chart | None
    created_at: datetime
    updated_at: datetime


class SavedQueryList(BaseModel):
    saved_queries: list[SavedQueryOut]


@router.get(
    "", dependencies=[Depends(READ)], response_model=SavedQueryList, summary="The project's saved queries, by name"
)
async def list_saved_queries(request: Request) -> Any:
    collector = get_collector(request)
    found = await run_in_threadpool(collector.store.saved_queries.list, project_of(request))
    return {"saved_queries": found}


@router.post("", dependencies=[Depends(READ)], status_code=201, response_model=SavedQueryOut, summary="Save a query")
async def create_saved_query(request: Request, body: SavedQueryBody) -> Any:
    collector = get_collector(request)
    saved = _checked(body, project_of(request))
    with name_conflict():
        return await run_in_threadpool(collector.store.saved_queries.create, project_of(request), saved)


@router.get("/{query_id}", dependencies=[Depends(READ)], response_model=SavedQueryOut, summary="One saved query")
async def get_saved_query(request: Request, query_id: str) -> Any:
    collector = get_collector(request)
    found = await run_in_threadpool(collector.store.saved_queries.get, project_of(request), query_id)
    return _found(found, query_id)


@router.put("/{query_id}", dependencies=[Depends(READ)], response_model=SavedQueryOut, summary="Replace a saved query")
async def update_saved_query(request: Request, query_id: str, body: SavedQueryBody) -> Any:
    collector = get_collector(request)
    saved = _checked(body, project_of(request))
    with name_conflict():
        found = await run_in_threadpool(collector.store.saved_queries.update, project_of(request), query_id, saved)
    return _found(found, query_id)


@router.delete("/{query_id}", dependencies=[Depends(READ)], status_code=204, summary="Delete a saved query")
async def delete_saved_query(request: Request, query_id: str) -> Response:
    collector = get_collector(request)
    deleted = await run_in_threadpool(collector.store.saved_queries.delete, project_of(request), query_id)
    _found(deleted or None, query_id)
    return Response(status_code=204)


def _checked(body: SavedQueryBody, project_id: str) -> SavedQuery:
    if len(body.query) > MAX_QUERY_CHARS:
        raise HTTPException(413, f"query is {len(body.query):,} characters; the most is {MAX_QUERY_CHARS:,}")
    try:
        prepare(body.query, project_id)
    except SqlError as error:
        raise HTTPException(400, f"not saved: {error}") from None
    chart = None if body.chart is None else body.chart.model_dump()
    return SavedQuery(name=body.name, query=body.query, description=body.description, chart=chart)


def _found(found: Any, query_id: str) -> Any:
    if found is None:
        raise HTTPException(404, f"no saved query {query_id!r}")
    return found
