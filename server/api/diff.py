"""``/api/v1/diff``: what changed between two traces, two runs or two cohorts of traces
(docs/diff.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector
from server.api.read import TraceQuery, trace_detail
from server.api.refusals import answer_refusals
from server.diff import compare_cohorts, diff_runs, diff_traces
from server.storage.base import TraceFilter

router = APIRouter(prefix="/api/v1/diff", tags=["diff"])

TraceId = Annotated[str, Query(min_length=1, max_length=200, description="A trace ID (32 hex digits)")]
RunId = Annotated[str, Query(min_length=1, max_length=200, description="A run ID")]


async def _json(compute: Callable[[], dict[str, Any]]) -> Response:
    # Aligning large trees and encoding megabytes of JSON is CPU work: off the event loop, as
    # the stores' calls are, and with orjson rather than a response model. A stored value's
    # keys that are not strings are written as strings rather than refused.
    body = await run_in_threadpool(lambda: orjson.dumps(compute(), default=str, option=orjson.OPT_NON_STR_KEYS))
    return Response(body, media_type="application/json")


@router.get(
    "/traces", dependencies=[Depends(READ)], summary="Two traces aligned span by span: added, removed and changed spans"
)
async def diff_two_traces(request: Request, a: TraceId, b: TraceId) -> Any:
    details = []
    for side, trace_id in (("a", a), ("b", b)):
        found = await trace_detail(request, trace_id)
        if found is None:
            raise HTTPException(404, f"no trace {trace_id!r} ({side}) in this project")
        details.append(found)
    return await _json(lambda: diff_traces(*details))


@router.get(
    "/runs",
    dependencies=[Depends(READ)],
    summary="Two runs over one dataset, example by example, with paired statistics",
)
async def diff_two_runs(request: Request, a: RunId, b: RunId) -> Any:
    collector = get_collector(request)
    store, project = collector.store.runs, project_of(request)
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


COHORT_LIMIT = 5_000  # traces per cohort by default, the most recent; at most MAX_COHORT
MAX_COHORT = 20_000


def _cohort_filters(request: Request) -> tuple[dict[str, TraceFilter], int]:
    """``a.<filter>=…&b.<filter>=…`` (the trace list's filters) and ``limit``; 422 naming any
    parameter that is not one."""
    sides: dict[str, dict[str, str]] = {"a": {}, "b": {}}
    limit = COHORT_LIMIT
    for key, value in request.query_params.multi_items():
        side, dot, name = key.partition(".")
        if key == "limit" and value.isdigit() and 1 <= int(value) <= MAX_COHORT:
            limit = int(value)
        elif key == "limit":
            raise HTTPException(422, f"limit: a whole number from 1 to {MAX_COHORT:,}, not {value!r}")
        elif dot and side in sides and name not in ("limit", "cursor"):
            sides[side][name] = value
        else:
            raise HTTPException(422, f"{key}: not a cohort filter; write a.<filter> or b.<filter>, as a.tag=prompt:v1")
    filters = {}
    for side, given in sides.items():
        try:
            query = TraceQuery.model_validate(given)  # the strings converted as a query string is
        except ValidationError as error:
            problems = [
                f"{side}.{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
            ]
            raise HTTPException(422, "; ".join(problems)) from None
        filters[side] = query.filters()
    return filters, limit


@router.get(
    "/cohorts",
    dependencies=[Depends(READ)],
    summary="Two sets of traces by filter, compared by distribution, with significance tests",
)
async def compare_two_cohorts(request: Request) -> Any:
    filters, limit = _cohort_filters(request)
    collector = get_collector(request)
    store, project = collector.store, project_of(request)
    found, names = {}, {}
    for side, given in filters.items():
        page = await run_in_threadpool(store.list_traces, project, given, limit, None)
        found[side] = (page.traces, page.next_cursor is not None)
        ids = [trace["trace_id"] for trace in page.traces]
        names[side] = await run_in_threadpool(store.span_names, project, ids)
    return await _json(
        lambda: compare_cohorts(found["a"][0], found["b"][0], (names["a"], names["b"]), (found["a"][1], found["b"][1]))
    )
