"""``create_app(settings)``: the collector as a FastAPI application.

Nothing is built at import time (STYLE.md): the store and the writer start in the
lifespan, after the migrations, and stop with it (the writer commits what it holds).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import Request

from server.api import (
    admin,
    datasets,
    diff,
    export,
    ingest,
    metrics,
    read,
    runs,
    saved_queries,
    scores,
    sessions,
    sql,
    sql_reference,
)
from server.api.auth import KeyCache
from server.api.deps import Collector
from server.api.limits import ProjectLimits
from server.api.schemas import ERROR_RESPONSES
from server.ingest_work import IngestPool, tune_for_ingest
from server.retention import RetentionSweeper
from server.settings import ServerSettings
from server.storage import migrate, open_store
from server.storage.base import TransientStorageError
from server.storage.urls import backend_of
from server.writer import SpanWriter

logger = logging.getLogger("spanscope.server")


def create_app(settings: ServerSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = backend_of(settings.database_url)
        tune_for_ingest(backend)
        migrate.upgrade(settings.database_url)
        store = open_store(settings.database_url)
        store.access.ensure_project(settings.project)
        writer = SpanWriter(store, max_queue_spans=settings.max_queue_spans, max_batch_spans=settings.max_batch_spans)
        pool = IngestPool(settings.ingest_workers, backend)
        limits = ProjectLimits(settings.ingest_spans_per_second, settings.sql_concurrency)
        app.state.collector = collector = Collector(
            settings, store, writer, pool, KeyCache(store.access.authenticate, store.access.project_id), limits
        )
        sweeper = RetentionSweeper(store, settings.retention_check_seconds, collector.count)
        sweeper.start()
        try:
            yield
        finally:
            sweeper.close()
            writer.close()
            pool.close()
            store.close()

    app = FastAPI(
        title="Spanscope collector",
        summary="OTLP/HTTP ingest and the query API of Spanscope.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(ingest.router)
    app.include_router(read.router, responses=ERROR_RESPONSES)
    app.include_router(sessions.router, responses=ERROR_RESPONSES)
    app.include_router(metrics.router, responses=ERROR_RESPONSES)
    app.include_router(sql.router, responses=ERROR_RESPONSES)
    app.include_router(export.router, responses=ERROR_RESPONSES)
    app.include_router(sql_reference.router, responses=ERROR_RESPONSES)
    app.include_router(saved_queries.router, responses=ERROR_RESPONSES)
    app.include_router(scores.router, responses=ERROR_RESPONSES)
    app.include_router(datasets.router, responses=ERROR_RESPONSES)
    app.include_router(runs.router, responses=ERROR_RESPONSES)
    app.include_router(diff.router, responses=ERROR_RESPONSES)
    app.include_router(admin.router, responses=ERROR_RESPONSES)
    app.include_router(read.health_router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        # Name the parameter and what is wrong with it, in one readable line per problem.
        problems = [f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=422)

    @app.exception_handler(TransientStorageError)
    async def database_unavailable(request: Request, error: TransientStorageError) -> JSONResponse:
        # Any route: the database is briefly out of reach (restart, failover, lock), so the
        # client should retry rather than treat it as a server bug (500).
        headers = {"Retry-After": str(settings.retry_after)}
        return JSONResponse({"detail": f"database unavailable, retry: {error}"}, status_code=503, headers=headers)

    return app
