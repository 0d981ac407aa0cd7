"""The metrics route: what the Overview page charts, aggregated in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector
from server.api.schemas import Metrics

router = APIRouter(prefix="/api/v1", tags=["metrics"])


class MetricsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_after: datetime | None = Field(None, description="Start >= this; default: the first trace start")
    start_before: datetime | None = Field(None, description="Start < this; default: no upper bound")
    # Checked by the store, for a 400 that says why (with the bucket count it would make).
    bucket_seconds: int | None = Field(None, description="Bucket size; default: about 60 buckets over the range")


@router.get(
    "/metrics",
    dependencies=[Depends(READ)],
    response_model=Metrics,
    summary="Volume, errors, latency, tokens and cost over time",
)
async def metrics(request: Request, query: Annotated[MetricsQuery, Query()]) -> Any:
    collector = get_collector(request)
    try:
        return await run_in_threadpool(
            collector.store.metrics,
            project_of(request),
            query.start_after,
            query.start_before,
            query.bucket_seconds,
        )
    except ValueError as error:  # an empty range, or too many buckets: the message says which
        raise HTTPException(400, str(error)) from None
