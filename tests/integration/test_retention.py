"""Retention on DuckDB and Postgres: a project's traces older than its retention are deleted
whole, a batch at a time, others' and newer ones kept; the collector's sweeper does it in the
background; the API and CLI set it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from server.model import SpanRecord
from server.storage import open_store
from server.storage.base import Store, TraceFilter
from server.storage.tables import scores, spans
from tests.integration.collector_helpers import new_trace_id, running_collector, span, traces_request, wait_until
from tests.integration.conftest import Backend

NOW_NS = time.time_ns()


def _traces(store: Store, project_id: str) -> set[str]:
    return {row["trace_id"] for row in store.list_traces(project_id, TraceFilter(), 100, None).traces}


def _score(store: Store, project_id: str, trace_id: str) -> None:
    row = {
        "project_id": project_id, "id": f"s-{trace_id}", "trace_id": trace_id, "span_id": None, "name": "ok",
        "data_type": "numeric", "value": 1.0, "label": None, "source": "code", "comment": None, "author": None,
        "run_id": None, "config_id": None, "created_at": datetime.now(timezone.utc),
    }  # fmt: skip
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(sa.insert(scores).values(row))


def test_old_traces_go_a_batch_at_a_time_and_nothing_else(store: Store, make_span: Callable[..., SpanRecord]) -> None:
    keep_30_days = store.access.create_project("short-memory")["id"]
    store.access.set_retention("short-memory", 30)
    assert store.access.project("short-memory")["retention_days"] == 30
    old = [f"{number:032x}" for number in (1, 2, 3)]  # make_span's times: 2026-01-01, long ago
    new = f"{9:032x}"
    store.write(
        [make_span(trace=trace_id, project_id=keep_30_days) for trace_id in old]
        + [make_span(trace=trace_id, project_id=keep_30_days) for trace_id in old]  # two spans each
        + [make_span(trace=new, project_id=keep_30_days, start_time_ns=NOW_NS, end_time_ns=NOW_NS + 1000)]
        + [make_span(trace=old[0], project_id="default")]  # another project, as old: it has no retention
    )
    _score(store, keep_30_days, old[0])
    before = datetime.now(timezone.utc) - timedelta(days=30)
    assert [store.delete_expired(keep_30_days, before, 2) for _ in range(3)] == [2, 1, 0]
    assert _traces(store, keep_30_days) == {new}
    assert _traces(store, "default") == {old[0]}
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        left = connection.execute(sa.select(sa.func.count()).where(spans.c.project_id == keep_30_days)).scalar_one()
        scored = connection.execute(sa.select(sa.func.count()).where(scores.c.project_id == keep_30_days)).scalar_one()
    assert (left, scored) == (1, 0)
    store.access.set_retention("short-memory", None)
    assert store.access.project("short-memory")["retention_days"] is None


def test_the_collector_sweeps_in_the_background(backend: Backend) -> None:
    store = open_store(backend.url)
    try:
        project = store.access.create_project("team-a")["id"]
        key = store.access.create_key(project, "admin")[0]
    finally:
        store.close()
    headers = {"authorization": f"Bearer {key}"}
    with running_collector(backend.url, ingest_workers=0, retention_check_seconds=0.2) as collector:
        old, new = new_trace_id(), new_trace_id()
        year_ago = NOW_NS - 365 * 86_400 * 10**9
        body = traces_request(span(old, "old", start_ns=year_ago), span(new, "new", start_ns=NOW_NS))
        assert collector.client.post("/v1/traces", json=body, headers=headers).status_code == 200
        set_to = collector.client.patch("/api/v1/project", json={"retention_days": 30}, headers=headers)
        assert (set_to.status_code, set_to.json()["retention_days"]) == (200, 30), set_to.text

        def listed() -> set[str]:
            traces = collector.client.get("/api/v1/traces", headers=headers).json()["traces"]
            return {row["trace_id"] for row in traces}

        wait_until(lambda: listed() == {new}, "the old trace deleted", timeout=30)
        assert collector.counters()["traces_expired"] == 1
        refused = collector.client.patch("/api/v1/project", json={"retention_days": 0}, headers=headers)
        assert refused.status_code == 422
