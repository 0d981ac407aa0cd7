"""The store is shared by the writer thread and API request threads (and, on Postgres, by
several collector replicas): concurrent writes of one trace still give a right summary, and reads
never see half a batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from server.model import SpanRecord
from server.storage import Store, TraceFilter, open_store
from tests.integration.conftest import Backend

MakeSpan = Callable[..., SpanRecord]


def test_concurrent_writers_of_one_trace(backend: Backend, make_span: MakeSpan) -> None:
    # Two stores stand for two collector replicas (on DuckDB: two writers in one process).
    stores = [open_store(backend.url), open_store(backend.url)]
    try:
        root = make_span(trace=1)
        # Many small batches from 8 threads: summaries computed concurrently would lose spans.
        batches = [[make_span(trace=1, parent=root.span_id, total_tokens=1) for _ in range(2)] for _ in range(200)]
        batches[0].append(root)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda pair: stores[pair[0] % 2].write(pair[1]), enumerate(batches)))
        trace = stores[0].get_trace("default", root.trace_id)
        assert trace is not None
        assert (trace["span_count"], trace["total_tokens"]) == (401, 400)
    finally:
        for store in stores:
            store.close()


def test_reads_during_writes_see_whole_batches(store: Store, make_span: MakeSpan) -> None:
    # Every batch is 10 one-span traces: a reader must only ever see a multiple of 10.
    batches = [[make_span(trace=batch * 10 + i) for i in range(10)] for batch in range(30)]
    counts: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            counts.append(len(store.list_traces("default", TraceFilter(), limit=1000, cursor=None).traces))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for batch in batches:
            store.write(batch)
    finally:
        done.set()
        reader.join()
    assert counts and all(count % 10 == 0 for count in counts)
    assert len(store.list_traces("default", TraceFilter(), limit=1000, cursor=None).traces) == 300
