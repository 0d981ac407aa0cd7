"""The read API: trace list, one trace as a tree, one span, health."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector
from server.api.schemas import Health, SpanDetail, TraceDetail, TraceList
from server.model import SpanKind
from server.storage.base import TraceFilter
from server.tree import span_tree

router = APIRouter(prefix="/api/v1", tags=["traces"])
health_router = APIRouter(tags=["health"])

_NOT_FOUND = "no such trace in this project"


class TraceQuery(BaseModel):
    """Filters of the trace list; every one is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=1000)
    start_after: datetime | None = None
    start_before: datetime | None = None
    name: str | None = None
    status: Literal["ok", "error"] | None = None
    kind: SpanKind | None = None
    model: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    tag: str | None = None
    min_duration_ms: float | None = Field(None, ge=0)
    max_duration_ms: float | None = Field(None, ge=0)
    min_tokens: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=0)
    min_cost: float | None = Field(None, ge=0)
    max_cost: float | None = Field(None, ge=0)
    text: str | None = Field(None, max_length=500, description="Substring of any span's input or output")
    score_name: str | None = Field(None, max_length=200, description="A score of this name is on the trace")
    min_score: float | None = Field(None, allow_inf_nan=False, description="...with a value at least this")
    max_score: float | None = Field(None, allow_inf_nan=False, description="...with a value at most this")
    score_label: str | None = Field(None, max_length=200, description="...with this label")
    without_score: str | None = Field(None, max_length=200, description="No score of this name is on the trace")
    order_by_score: Literal["desc", "asc"] | None = Field(
        None, description="Order by the mean score_name value (traces without one left out), not newest first"
    )

    @model_validator(mode="after")
    def _score_to_order_by(self) -> TraceQuery:
        if self.order_by_score is not None and self.score_name is None:
            raise ValueError("order_by_score needs score_name: the score to order by")
        return self

    def filters(self) -> TraceFilter:
        """The store's filter: every field but the paging ones."""
        return TraceFilter(**self.model_dump(exclude={"limit", "cursor"}))


@router.get(
    "/traces",
    dependencies=[Depends(READ)],
    response_model=TraceList,
    summary="Traces, newest first, filtered and paged",
)
async def list_traces(request: Request, query: Annotated[TraceQuery, Query()]) -> Any:
    collector = get_collector(request)
    filters = query.filters()
    try:
        page = await run_in_threadpool(
            collector.store.list_traces, project_of(request), filters, query.limit, query.cursor
        )
    except ValueError as error:  # a cursor that is not one of ours
        raise HTTPException(400, f"bad cursor: {error}") from None
    return {"traces": page.traces, "next_cursor": page.next_cursor}


@router.get(
    "/traces/{trace_id}",
    dependencies=[Depends(READ)],
    response_model=TraceDetail,
    summary="One trace with its span tree",
)
async def get_trace(request: Request, trace_id: str) -> Any:
    found = await trace_detail(request, trace_id)
    if found is None:
        raise HTTPException(404, _NOT_FOUND)
    return found


async def trace_detail(request: Request, trace_id: str) -> dict[str, Any] | None:
    """``{"trace": summary, "spans": tree}`` with logged messages merged; None if not found."""
    collector = get_collector(request)
    found = await run_in_threadpool(collector.store.get_trace, project_of(request), trace_id.lower())
    if found is None:
        return None
    spans = found.pop("spans")
    _merge_log_messages(
        spans, await run_in_threadpool(collector.store.log_messages, project_of(request), trace_id.lower())
    )
    return {"trace": found, "spans": span_tree(spans)}


@router.get("/spans/{trace_id}/{span_id}", dependencies=[Depends(READ)], response_model=SpanDetail, summary="One span")
async def get_span(request: Request, trace_id: str, span_id: str) -> Any:
    collector = get_collector(request)
    project = project_of(request)
    found = await run_in_threadpool(collector.store.get_span, project, trace_id.lower(), span_id.lower())
    if found is None:
        raise HTTPException(404, "no such span in this project")
    _merge_log_messages([found], await run_in_threadpool(collector.store.log_messages, project, trace_id.lower()))
    return found


def _merge_log_messages(spans: list[dict[str, Any]], from_logs: dict[str, tuple[list[Any], list[Any]]]) -> None:
    """Messages that came as log events fill a span's messages when its attributes had none."""
    for span in spans:
        logged = from_logs.get(span["span_id"])
        if logged is None:
            continue
        if not span.get("input_messages") and logged[0]:
            span["input_messages"] = logged[0]
        if not span.get("output_messages") and logged[1]:
            span["output_messages"] = logged[1]


@health_router.get("/health", response_model=Health, summary="Liveness and database reachability")
async def health(request: Request) -> Any:
    collector = get_collector(request)
    writer = collector.writer.stats()
    body: dict[str, Any] = {"status": "ok", "database": "ok", "queued_spans": writer.queued_spans}
    body["counters"] = {
        **collector.snapshot(),
        "spans_committed": writer.spans_committed,
        "transactions": writer.transactions,
        "failed_transactions": writer.failed_transactions,
    }
    try:
        await run_in_threadpool(collector.store.health)
    except Exception as error:
        body.update(status="degraded", database=f"unreachable: {type(error).__name__}")
        return JSONResponse(body, status_code=503)
    return body
