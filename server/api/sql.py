"""``POST /api/v1/sql``: one read-only query over the versioned views (docs/sql.md).

Status codes: 400 for a syntax error, a refused construct, a query the database rejects or
one stopped at the time limit (the query is at fault, and a retry would be stopped again, so
not 408, which tells clients to retry); 413 for a query text over ``MAX_QUERY_CHARS``; 422 for
a malformed body; 503 for a transient database fault.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector
from server.api.json_values import CleanJsonRoute
from server.api.limits import OverLimitError
from server.settings import MAX_SQL_ROWS
from server.sql import SqlError, run_query
from server.sql.parse import DIALECT
from server.storage.base import TransientStorageError

router = APIRouter(prefix="/api/v1", tags=["sql"], route_class=CleanJsonRoute)

MAX_QUERY_CHARS = 100_000


class SqlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Checked in the route, not here: an oversized query is a 413, not a 422.
    query: str = Field(description="One SELECT in DuckDB's dialect over the views of docs/sql.md")
    limit: int | None = Field(None, ge=1, le=MAX_SQL_ROWS, description="Most rows returned; default sql_row_limit")


class SqlColumn(BaseModel):
    name: str
    type: str


class SqlResponse(BaseModel):
    columns: list[SqlColumn]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    elapsed_ms: float
    dialect: str


@router.post(
    "/sql",
    dependencies=[Depends(READ)],
    response_model=SqlResponse,
    summary="Run one read-only SQL query over the views",
)
async def run_sql(request: Request, body: SqlRequest) -> Any:
    collector = get_collector(request)
    if len(body.query) > MAX_QUERY_CHARS:
        raise HTTPException(413, f"query is {len(body.query):,} characters; the most is {MAX_QUERY_CHARS:,}")
    settings = collector.settings
    limit = body.limit or settings.sql_row_limit
    project = project_of(request)
    try:
        with collector.limits.sql_slot(project):
            result = await run_in_threadpool(
                run_query, collector.store, body.query, project, limit, settings.sql_time_limit
            )
    except OverLimitError as over:
        raise HTTPException(429, str(over), {"Retry-After": str(over.retry_after)}) from None
    except SqlError as error:
        raise HTTPException(400, str(error)) from None
    except TransientStorageError as error:
        headers = {"Retry-After": str(settings.retry_after)}
        raise HTTPException(503, f"database unavailable, retry: {error}", headers) from None
    return {
        "columns": [{"name": column.name, "type": column.type} for column in result.columns],
        "rows": jsonable_encoder(result.rows),
        "row_count": len(result.rows),
        "truncated": result.truncated,
        "elapsed_ms": result.elapsed_ms,
        "dialect": DIALECT,
    }
