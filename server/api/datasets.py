"""``/api/v1/datasets``: named, versioned collections of examples, per project
(docs/evaluation.md).

Status codes: 201 created (a dataset, or a new version of its examples); 204 deleted; 400 an
example id given twice in one call, a file that cannot be imported (naming its line); 404 no
such dataset, example or version in this project; 409 the name is taken; 413 an import over
``MAX_IMPORT_BYTES`` or ``MAX_IMPORT_EXAMPLES``; 415 an import that is neither JSON Lines nor
CSV; 422 a malformed body (NaN and infinite numbers included); 503 a transient database fault
(``server.app``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool

from server.api import dataset_files
from server.api.auth import ADMIN, INGEST, READ, project_of
from server.api.deps import get_collector
from server.api.ingest import request_body
from server.api.json_values import CleanJsonRoute, JsonObject, JsonValue
from server.api.refusals import answer_refusals
from server.api.scores import Key, Name, SpanId, TraceId
from server.otlp.errors import BodyTooLarge, OtlpDecodeError, UnsupportedEncoding
from server.storage.base import Row
from server.storage.datasets import NewDataset, NewExample

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"], route_class=CleanJsonRoute)

MAX_EXAMPLES = 10_000  # per JSON call
MAX_IMPORT_BYTES = 50 * 1024 * 1024  # after decompression
MAX_IMPORT_EXAMPLES = 100_000
JSONL = "application/x-ndjson"
CSV = "text/csv"


class ExampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Key | None = Field(None, description="Stable across versions; an id the dataset holds replaces that example")
    input: JsonValue
    expected_output: JsonValue = None
    metadata: JsonObject = Field(default_factory=dict)
    source_trace_id: TraceId | None = None
    source_span_id: SpanId | None = None

    def new(self) -> NewExample:
        return NewExample(**self.model_dump())


class DatasetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    metadata: JsonObject = Field(default_factory=dict)
    examples: list[ExampleIn] = Field(default_factory=list, max_length=MAX_EXAMPLES)


class ExamplesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    examples: list[ExampleIn] = Field(min_length=1, max_length=MAX_EXAMPLES)


class DatasetOut(BaseModel):
    id: str
    name: str
    description: str
    metadata: dict[str, Any]
    version: int = Field(description="Grows by one with every change to the examples; 0: never had any")
    example_count: int = Field(description="Examples in the latest version")
    created_at: datetime
    updated_at: datetime


class DatasetList(BaseModel):
    datasets: list[DatasetOut]


class ExampleOut(BaseModel):
    id: str
    input: Any
    expected_output: Any
    metadata: dict[str, Any]
    source_trace_id: str | None
    source_span_id: str | None
    version_added: int
    version_removed: int | None = Field(description="The version that replaced or deleted it; null: in the latest")
    created_at: datetime


class ExampleList(BaseModel):
    dataset_id: str
    version: int
    examples: list[ExampleOut]


@router.get("", dependencies=[Depends(READ)], response_model=DatasetList, summary="The project's datasets, by name")
async def list_datasets(request: Request) -> Any:
    collector = get_collector(request)
    return {"datasets": await run_in_threadpool(collector.store.datasets.list, project_of(request))}


@router.post(
    "",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=DatasetOut,
    summary="Create a dataset (version 1 with examples)",
)
async def create_dataset(request: Request, body: DatasetIn) -> Any:
    collector = get_collector(request)
    new = NewDataset(name=body.name, description=body.description, metadata=body.metadata)
    examples = [example.new() for example in body.examples]
    with answer_refusals():
        return await run_in_threadpool(collector.store.datasets.create, project_of(request), new, examples)


@router.get("/{dataset_id}", dependencies=[Depends(READ)], response_model=DatasetOut, summary="One dataset")
async def get_dataset(request: Request, dataset_id: str) -> Any:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(collector.store.datasets.get, project_of(request), dataset_id)


@router.delete(
    "/{dataset_id}",
    dependencies=[Depends(ADMIN)],
    status_code=204,
    summary="Delete a dataset, its examples, runs and their scores",
)
async def delete_dataset(request: Request, dataset_id: str) -> Response:
    collector = get_collector(request)
    with answer_refusals():
        await run_in_threadpool(collector.store.datasets.delete, project_of(request), dataset_id)
    return Response(status_code=204)


@router.post(
    "/{dataset_id}/examples",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=DatasetOut,
    summary="Add or replace examples",
)
async def add_examples(request: Request, dataset_id: str, body: ExamplesIn) -> Any:
    collector = get_collector(request)
    examples = [example.new() for example in body.examples]
    with answer_refusals():
        return await run_in_threadpool(collector.store.datasets.add_examples, project_of(request), dataset_id, examples)


@router.delete(
    "/{dataset_id}/examples/{example_id}",
    dependencies=[Depends(ADMIN)],
    status_code=204,
    summary="Delete an example (a new version)",
)
async def delete_example(request: Request, dataset_id: str, example_id: str) -> Response:
    collector = get_collector(request)
    with answer_refusals():
        await run_in_threadpool(collector.store.datasets.delete_example, project_of(request), dataset_id, example_id)
    return Response(status_code=204)


@router.get(
    "/{dataset_id}/examples",
    dependencies=[Depends(READ)],
    response_model=ExampleList,
    summary="The examples of one version",
)
async def list_examples(
    request: Request, dataset_id: str, version: Annotated[int | None, Query(ge=0, description="Default: latest")] = None
) -> Any:
    dataset, examples = await _examples(request, dataset_id, version)
    return {"dataset_id": dataset_id, "version": _version(version, dataset), "examples": examples}


@router.post(
    "/{dataset_id}/import",
    dependencies=[Depends(INGEST)],
    status_code=201,
    response_model=DatasetOut,
    summary="Import a JSONL or CSV file",
)
async def import_examples(request: Request, dataset_id: str) -> Any:
    """All or nothing: one new version with every example of the file, or a 400 naming the
    first bad line and nothing stored."""
    collector = get_collector(request)
    read = _reader(request.headers.get("content-type", ""))
    try:
        body = await request_body(request, MAX_IMPORT_BYTES)
    except BodyTooLarge as error:
        raise HTTPException(413, str(error)) from None
    except UnsupportedEncoding as error:
        raise HTTPException(415, str(error)) from None
    except OtlpDecodeError as error:  # a corrupt gzip or deflate stream
        raise HTTPException(400, str(error)) from None
    examples = await run_in_threadpool(_parsed, read, body)
    with answer_refusals():
        return await run_in_threadpool(collector.store.datasets.add_examples, project_of(request), dataset_id, examples)


@router.get(
    "/{dataset_id}/export", dependencies=[Depends(READ)], summary="The examples of one version as a JSONL or CSV file"
)
async def export_examples(
    request: Request,
    dataset_id: str,
    format: Literal["jsonl", "csv"] = "jsonl",
    version: Annotated[int | None, Query(ge=0, description="Default: latest")] = None,
) -> Response:
    dataset, examples = await _examples(request, dataset_id, version)
    write, media_type = (dataset_files.write_jsonl, JSONL) if format == "jsonl" else (dataset_files.write_csv, CSV)
    content = await run_in_threadpool(write, examples)
    filename = f"dataset-{dataset_id}-v{_version(version, dataset)}.{format}"
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


async def _examples(request: Request, dataset_id: str, version: int | None) -> tuple[Row, list[Row]]:
    collector = get_collector(request)
    with answer_refusals():
        return await run_in_threadpool(collector.store.datasets.examples, project_of(request), dataset_id, version)


def _version(asked: int | None, dataset: Row) -> int:
    return dataset["version"] if asked is None else asked


Reader = Callable[[bytes], Iterator[tuple[int, Any]]]


def _reader(content_type: str) -> Reader:
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type == JSONL:
        return dataset_files.read_jsonl
    if media_type == CSV:
        return dataset_files.read_csv
    raise HTTPException(415, f"content-type {media_type or 'missing'!r}: send {JSONL} or {CSV}")


def _parsed(read: Reader, body: bytes) -> list[NewExample]:
    """Every example of the file, checked as ``POST .../examples`` checks them."""
    examples: list[NewExample] = []
    try:
        for line, value in read(body):
            if len(examples) == MAX_IMPORT_EXAMPLES:
                raise HTTPException(413, f"line {line}: the file has over {MAX_IMPORT_EXAMPLES:,} examples")
            try:
                examples.append(ExampleIn.model_validate(value).new())
            except ValidationError as error:
                raise HTTPException(400, f"line {line}: {_problems(error)}") from None
    except dataset_files.FileError as error:
        raise HTTPException(400, str(error)) from None
    if not examples:
        raise HTTPException(400, "the file holds no examples")
    return examples


def _problems(error: ValidationError) -> str:
    # As server.app words a 422: where, then what, per problem.
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        problems.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(problems)
