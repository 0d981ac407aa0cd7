"""``/api/v1/diff``: what changed between two traces, or two runs (docs/diff.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.api.deps import get_collector
from server.api.read import trace_detail
from server.api.refusals import answer_refusals
from server.diff import diff_runs, diff_traces

router = APIRouter(prefix="/api/v1/diff", tags=["diff"])

TraceId = Annotated[str, Query(min_length=1, max_length=200, description="A trace ID (32 hex digits)")]
RunId = Annotated[str, Query(min_length=1, max_length=200, description="A run ID")]


async def _json(compute: Callable[[], dict[str, Any]]) -> Response:
    # Aligning large trees and encoding megabytes of JSON is CPU work: off the event loop, as
    # the stores' calls are, and with orjson rather than a response model. A stored value's
    # keys that are not strings are written as strings rather than refused.
    body = await run_in_threadpool(lambda: orjson.dumps(compute(), default=str, option=orjson.OPT_NON_STR_KEYS))
    return Response(body, media_type="application/json")


@router.get("/traces", summary="Two traces aligned span by span: added, removed and changed spans")
async def diff_two_traces(request: Request, a: TraceId, b: TraceId) -> Any:
    details = []
    for side, trace_id in (("a", a), ("b", b)):
        found = await trace_detail(request, trace_id)
        if found is None:
            raise HTTPException(404, f"no trace {trace_id!r} ({side}) in this project")
        details.append(found)
    return await _json(lambda: diff_traces(*details))


@router.get("/runs", summary="Two runs over one dataset, example by example, with paired statistics")
async def diff_two_runs(request: Request, a: RunId, b: RunId) -> Any:
    collector = get_collector(request)
    store, project = collector.store.runs, collector.settings.project
    with answer_refusals():
        run_a, run_b = [await run_in_threadpool(store.get, project, run_id) for run_id in (a, b)]
    if run_a["dataset_id"] != run_b["dataset_id"]:
        raise HTTPException(
            400,
            f"runs {a!r} and {b!r} are over different datasets ({run_a['dataset_id']!r} and "
            f"{run_b['dataset_id']!r}): only runs over the same examples compare",
        )
    with answer_refusals():
        results_a, results_b = [await run_in_threadpool(store.results, project, run_id) for run_id in (a, b)]
    return await _json(lambda: diff_runs(run_a, run_b, results_a, results_b))
