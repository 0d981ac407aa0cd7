"""OTLP/HTTP ingest: ``/v1/traces`` (and the Langfuse path), ``/v1/logs``, ``/v1/metrics``.

Status codes (ARCHITECTURE.md decision 3, CONVENTIONS.md): 200 only after commit (with
``partial_success`` when some spans were invalid), 400 malformed body, 413 too large
after decompression, 415 unknown content type or encoding, 429 + Retry-After when the
project sends more spans a second than its limit, 503 + Retry-After when the queue is full
or the database has a transient fault. Never 500 for a transient cause.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.api.auth import INGEST
from server.api.deps import Collector, get_collector
from server.api.limits import OverLimitError
from server.otlp.body import read_body
from server.otlp.errors import BodyTooLarge, OtlpDecodeError, UnsupportedContentType, UnsupportedEncoding
from server.otlp.logs import decode_logs
from server.otlp.metrics import count_data_points
from server.otlp.responses import error_response_body, logs_response, metrics_response, traces_response
from server.storage.access import Caller
from server.storage.base import TransientStorageError
from server.writer import QueueFull

logger = logging.getLogger("spanscope.ingest")

router = APIRouter(tags=["ingest"])

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _answer_type(content_type: str) -> str:
    return JSON if content_type.split(";", maxsplit=1)[0].strip().lower() == JSON else PROTOBUF


def _error(status: int, message: str, content_type: str, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    answer_type = _answer_type(content_type)
    return Response(error_response_body(status, message, answer_type), status, headers, media_type=answer_type)


async def request_body(request: Request, limit: int) -> bytes:
    """The decompressed body, refusing early what is over ``limit`` bytes (``BodyTooLarge``)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body of {declared} bytes is over the {limit}-byte limit")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return read_body(b"".join(chunks), request.headers.get("content-encoding"), limit)


@dataclass
class Accepted:
    """What a handler made of a request: the success body, and the commit to wait for."""

    content: bytes
    media_type: str
    commit: Future[int] | None = None


Handler = Callable[[Collector, bytes, str, str], Accepted]  # collector, body, content type, project


async def _ingest(request: Request, caller: Caller, handler: Handler) -> Response:
    collector = get_collector(request)
    content_type = request.headers.get("content-type", "")
    retry_after = collector.settings.retry_after
    try:
        body = await request_body(request, collector.settings.max_body_bytes)
        # Decoding and normalizing are CPU work: off the event loop.
        accepted = await run_in_threadpool(handler, collector, body, content_type, caller.project_id)
        if accepted.commit is not None:
            # shield: a timed-out wait must not cancel the writer's future (the commit goes on,
            # and the client's retry is idempotent).
            commit = asyncio.wrap_future(accepted.commit)
            await asyncio.wait_for(asyncio.shield(commit), collector.settings.commit_timeout)
    except OtlpDecodeError as error:
        return _error(400, str(error), content_type)
    except BodyTooLarge as error:
        return _error(413, str(error), content_type)
    except (UnsupportedContentType, UnsupportedEncoding) as error:
        return _error(415, str(error), content_type)
    except QueueFull as full:
        return _error(503, f"the collector is busy ({full}); retry", content_type, retry_after)
    except OverLimitError as over:
        return _error(429, str(over), content_type, over.retry_after)
    except TimeoutError:
        return _error(503, "the database did not commit in time; retry", content_type, retry_after)
    except TransientStorageError as error:
        return _error(503, f"transient database fault ({error}); retry", content_type, retry_after)
    except BrokenProcessPool:
        return _error(503, "an ingest worker stopped; retry", content_type, retry_after)
    return Response(accepted.content, 200, media_type=accepted.media_type)


def _store_traces(collector: Collector, body: bytes, content_type: str, project: str) -> Accepted:
    prepared = collector.ingest.prepare(body, content_type, project)
    collector.limits.admit_spans(project, prepared.received)
    answer_type = _answer_type(content_type)
    commit = collector.writer.submit_prepared(prepared.batch, prepared.scores, project)
    collector.count("spans_received", prepared.received)
    collector.count("spans_rejected", prepared.rejected)
    collector.count("scores_from_spans", len(prepared.scores))
    collector.count("scores_from_spans_skipped", prepared.scores_skipped)
    return Accepted(traces_response(prepared.rejected, prepared.error_message, answer_type), answer_type, commit)


def _store_logs(collector: Collector, body: bytes, content_type: str, project: str) -> Accepted:
    records = decode_logs(body, content_type)
    collector.count("log_records", len(records))
    commit = collector.attach_log_messages(records, project)
    answer_type = _answer_type(content_type)
    return Accepted(logs_response(answer_type), answer_type, commit)


def _count_metrics(collector: Collector, body: bytes, content_type: str, project: str) -> Accepted:
    collector.count("metric_data_points", count_data_points(body, content_type))
    answer_type = _answer_type(content_type)
    return Accepted(metrics_response(answer_type), answer_type)


@router.post("/v1/traces", summary="OTLP/HTTP traces (protobuf or JSON, gzip)")
async def ingest_traces(request: Request, caller: Annotated[Caller, Depends(INGEST)]) -> Response:
    return await _ingest(request, caller, _store_traces)


@router.post("/api/public/otel/v1/traces", summary="OTLP/HTTP traces on the Langfuse-compatible path")
async def ingest_traces_langfuse_path(request: Request, caller: Annotated[Caller, Depends(INGEST)]) -> Response:
    return await _ingest(request, caller, _store_traces)


@router.post("/v1/logs", summary="OTLP/HTTP logs: GenAI events become their span's messages")
async def ingest_logs(request: Request, caller: Annotated[Caller, Depends(INGEST)]) -> Response:
    return await _ingest(request, caller, _store_logs)


@router.post("/v1/metrics", summary="OTLP/HTTP metrics: accepted and counted, not stored yet")
async def ingest_metrics(request: Request, caller: Annotated[Caller, Depends(INGEST)]) -> Response:
    return await _ingest(request, caller, _count_metrics)
