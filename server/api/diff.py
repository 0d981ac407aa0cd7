"""``/api/v1/diff``: what changed between two traces (docs/diff.md)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.api.read import trace_detail
from server.diff import diff_traces

router = APIRouter(prefix="/api/v1/diff", tags=["diff"])

TraceId = Annotated[str, Query(min_length=1, max_length=200, description="A trace ID (32 hex digits)")]


@router.get("/traces", summary="Two traces aligned span by span: added, removed and changed spans")
async def diff_two_traces(request: Request, a: TraceId, b: TraceId) -> Any:
    details = []
    for side, trace_id in (("a", a), ("b", b)):
        found = await trace_detail(request, trace_id)
        if found is None:
            raise HTTPException(404, f"no trace {trace_id!r} ({side}) in this project")
        details.append(found)
    # Aligning two large trees and encoding megabytes of JSON is CPU work: off the event
    # loop, as the stores' calls are, and with orjson rather than a response model. A stored
    # value's keys that are not strings are written as strings rather than refused.
    body = await run_in_threadpool(
        lambda: orjson.dumps(diff_traces(*details), default=str, option=orjson.OPT_NON_STR_KEYS)
    )
    return Response(body, media_type="application/json")
