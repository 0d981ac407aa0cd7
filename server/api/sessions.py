"""The session routes: sessions (traces grouped by session_id) and one session with its traces."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from server.api.auth import READ, project_of
from server.api.deps import get_collector
from server.api.schemas import SessionDetail, SessionList
from server.storage.base import SessionFilter

router = APIRouter(prefix="/api/v1", tags=["sessions"])

# A session detail lists at most this many traces (a chat of 1,000 turns); the summary counts all.
MAX_SESSION_TRACES = 1000


class SessionQuery(BaseModel):
    """Filters on the traces that the sessions summarize; a session is listed when any of its
    traces matches, with the figures of the traces that match."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=1000)
    start_after: datetime | None = Field(None, description="Trace start >= this")
    start_before: datetime | None = Field(None, description="Trace start < this")
    user_id: str | None = None


@router.get(
    "/sessions",
    dependencies=[Depends(READ)],
    response_model=SessionList,
    summary="Sessions, most recently active first",
)
async def list_sessions(request: Request, query: Annotated[SessionQuery, Query()]) -> Any:
    collector = get_collector(request)
    filters = SessionFilter(**query.model_dump(exclude={"limit", "cursor"}))
    try:
        page = await run_in_threadpool(
            collector.store.list_sessions, project_of(request), filters, query.limit, query.cursor
        )
    except ValueError as error:  # a cursor that is not one of ours
        raise HTTPException(400, f"bad cursor: {error}") from None
    return {"sessions": page.sessions, "next_cursor": page.next_cursor}


# ":path": a session ID is any string the application chose, slashes included ("%2F" arrives
# decoded, so it needs the path converter too).
@router.get(
    "/sessions/{session_id:path}",
    dependencies=[Depends(READ)],
    response_model=SessionDetail,
    summary="One session with its traces",
)
async def get_session(request: Request, session_id: str) -> Any:
    collector = get_collector(request)
    found = await run_in_threadpool(collector.store.get_session, project_of(request), session_id, MAX_SESSION_TRACES)
    if found is None:
        raise HTTPException(404, f"no such session in this project: {session_id!r}")
    traces, truncated = found.pop("traces"), found.pop("truncated")
    return {"session": found, "traces": traces, "truncated": truncated}
