"""``GET /api/v1/export/spans``: every span of the project, streamed as JSON Lines or Parquet.

The SQL endpoint stops at 10,000 rows; an export has no cap, so it streams: spans are read in
batches (``server.storage.export``) and each is encoded and sent before the next is read.

Status codes: 400 for a bad ``since``, ``until`` or ``format`` (the message names the parameter
and gives a valid example); 503 with Retry-After when the database cannot answer the first batch.
A fault after the first bytes are sent can no longer change the status: the response is cut
off, which the client sees as an incomplete body (``spanscope export`` reports it and fails).
"""

from __future__ import annotations

import itertools
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector
from server.export_formats import FORMATS
from server.storage.export import read_spans
from server.time_window import BadTime, parse_time, since_time

router = APIRouter(prefix="/api/v1", tags=["export"])


@router.get(
    "/export/spans",
    dependencies=[Depends(READ)],
    summary="Every span of the project in start time order, as JSON Lines or Parquet",
    response_class=StreamingResponse,
    responses={200: {"description": "The spans, streamed", "content": {f.media_type: {} for f in FORMATS.values()}}},
)
async def export_spans(
    request: Request,
    since: Annotated[str | None, Query(description="Start >= this: ISO 8601, or a window back: 30m, 24h, 7d")] = None,
    until: Annotated[str | None, Query(description="Start < this: ISO 8601")] = None,
    format: Annotated[str, Query(description="jsonl or parquet")] = "jsonl",
) -> StreamingResponse:
    collector = get_collector(request)
    chosen = FORMATS.get(format)
    if chosen is None:
        raise HTTPException(400, f"format: must be jsonl or parquet, not {format!r}")
    try:
        start = since_time(since) if since is not None else None
        end = parse_time(until, "until") if until is not None else None
    except BadTime as error:
        raise HTTPException(400, str(error)) from None
    if start is not None and end is not None and start > end:
        raise HTTPException(400, f"since ({start.isoformat()}) is after until ({end.isoformat()})")

    project = project_of(request)
    tables = read_spans(collector.store, project, start, end)
    # The first batch before the status is sent: a database fault here is still a 503 with
    # Retry-After (the app's TransientStorageError handler).
    first = await run_in_threadpool(next, tables)
    filename = f"spans-{re.sub(r'[^A-Za-z0-9_.-]', '_', project)}.{chosen.extension}"
    return StreamingResponse(
        # A plain iterator: Starlette runs each step on a worker thread, off the event loop.
        chosen.encode(itertools.chain([first], tables)),
        media_type=chosen.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
