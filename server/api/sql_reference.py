"""``GET /api/v1/sql/reference``: the views users write SQL against, each column's type and
meaning, and the worked examples, all from docs/sql.md (``server.sql.reference``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from server.api.auth import READ
from server.sql import reference

router = APIRouter(prefix="/api/v1/sql", tags=["sql"])


class ColumnOut(BaseModel):
    name: str
    type: str
    meaning: str  # Markdown


class ViewOut(BaseModel):
    name: str
    description: str  # Markdown
    columns: list[ColumnOut]


class ExampleOut(BaseModel):
    question: str
    query: str


class Reference(BaseModel):
    views: list[ViewOut]
    examples: list[ExampleOut]


@router.get(
    "/reference",
    dependencies=[Depends(READ)],
    response_model=Reference,
    summary="The documented views and example queries",
)
async def sql_reference() -> Any:
    return {"views": reference.views(), "examples": reference.examples()}
