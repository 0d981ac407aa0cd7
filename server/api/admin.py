"""``/api/v1/project``, ``/api/v1/keys`` and ``/api/v1/projects``: the caller's project and its
API keys, and, for server admins, every project (docs/security.md).

A project's admin keys manage that project's keys. A *server admin* (an admin key of the
server's own project, ``SPANSCOPE_PROJECT``, or anyone on 127.0.0.1 while auth is off) also
creates, renames and deletes projects; another project's admin gets 403 there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from server.api.auth import ADMIN, READ, project_of
from server.api.deps import get_collector
from server.api.json_values import CleanJsonRoute
from server.api.refusals import answer_refusals
from server.storage.access import Caller, Role

router = APIRouter(prefix="/api/v1", tags=["projects and keys"], route_class=CleanJsonRoute)


class ProjectOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    retention_days: int | None = Field(description="Traces older than this are deleted; None: kept for ever")


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: int | None = Field(ge=1, le=36_500)


class ProjectList(BaseModel):
    projects: list[ProjectOut]


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str = Field("", max_length=200, description="What the key is for")


class KeyOut(BaseModel):
    id: str
    project_id: str
    role: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKey(KeyOut):
    key: str = Field(description="The key itself: shown only in this answer, stored only as a hash")


class KeyList(BaseModel):
    keys: list[KeyOut]


def _server_admin(request: Request, caller: Annotated[Caller, Depends(ADMIN)]) -> Caller:
    if caller.project_id != get_collector(request).settings.project:
        raise HTTPException(403, "managing projects needs an admin key of the server's own project")
    return caller


_server_admin.required_role = "admin"  # type: ignore[attr-defined]  # for the route inventory test


@router.get("/project", dependencies=[Depends(READ)], response_model=ProjectOut, summary="The caller's project")
async def own_project(request: Request) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(collector.store.access.project, project_of(request))


@router.patch("/project", dependencies=[Depends(ADMIN)], response_model=ProjectOut, summary="Set the retention")
async def set_retention(request: Request, body: RetentionIn) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(collector.store.access.set_retention, project_of(request), body.retention_days)


@router.get("/keys", dependencies=[Depends(ADMIN)], response_model=KeyList, summary="The project's API keys")
async def list_keys(request: Request) -> Any:
    collector = get_collector(request)
    return {"keys": await run_in_threadpool(collector.store.access.list_keys, project_of(request))}


@router.post("/keys", dependencies=[Depends(ADMIN)], status_code=201, response_model=NewKey, summary="Create a key")
async def create_key(request: Request, body: KeyIn) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        key, row = await run_in_threadpool(collector.store.access.create_key, project_of(request), body.role, body.name)
    return {**row, "key": key}


@router.delete("/keys/{key_id}", dependencies=[Depends(ADMIN)], response_model=KeyOut, summary="Revoke a key")
async def revoke_key(request: Request, key_id: str) -> Any:
    collector = get_collector(request)
    access, project = collector.store.access, project_of(request)
    owned = {row["id"] for row in await run_in_threadpool(access.list_keys, project)}
    if key_id not in owned:  # another project's key is as missing as one never made
        raise HTTPException(404, f"no API key {key_id!r}")
    with answer_refusals():
        return await run_in_threadpool(access.revoke_key, key_id)


@router.get("/projects", response_model=ProjectList, summary="Every project (server admins)")
async def list_projects(request: Request, _: Annotated[Caller, Depends(_server_admin)]) -> Any:
    return {"projects": await run_in_threadpool(get_collector(request).store.access.projects)}


@router.post("/projects", status_code=201, response_model=ProjectOut, summary="Create a project (server admins)")
async def create_project(request: Request, body: ProjectIn, _: Annotated[Caller, Depends(_server_admin)]) -> Any:
    with answer_refusals():
        return await run_in_threadpool(get_collector(request).store.access.create_project, body.name)


@router.patch("/projects/{project_id}", response_model=ProjectOut, summary="Rename a project (server admins)")
async def rename_project(
    request: Request, project_id: str, body: ProjectIn, _: Annotated[Caller, Depends(_server_admin)]
) -> Any:
    with answer_refusals():
        return await run_in_threadpool(get_collector(request).store.access.rename_project, project_id, body.name)


@router.delete("/projects/{project_id}", status_code=204, summary="Delete a project and all of its data")
async def delete_project(
    request: Request,
    project_id: str,
    confirm: Annotated[str, Query(description="The project's name again: deleting is for good")],
    _: Annotated[Caller, Depends(_server_admin)],
) -> Response:
    access = get_collector(request).store.access
    with answer_refusals():
        project = await run_in_threadpool(access.project, project_id)
        if confirm != project["name"]:
            raise HTTPException(400, f"confirm must be the project's name, {project['name']!r}: nothing deleted")
        if project["id"] == get_collector(request).settings.project:
            raise HTTPException(400, "the server's own project cannot be deleted while the server uses it")
        await run_in_threadpool(access.delete_project, project["id"])
    return Response(status_code=204)
