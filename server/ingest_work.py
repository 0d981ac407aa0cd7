"""The CPU half of trace ingest: decode, normalize, encode for the database.

It runs in worker processes (``IngestPool``) so that it uses every core: in one process the
GIL serialises it, and it is most of the collector's work (about 30 us a span, against the
database's insert that runs outside the GIL). The writer in the main process only inserts.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context

from server.normalize import normalize
from server.normalize.evaluations import scores_from_spans
from server.otlp.traces import decode_traces
from server.storage.base import PreparedBatch
from server.storage.prepare import prepare_batch
from server.storage.scores import NewScore
from server.storage.urls import Backend

logger = logging.getLogger("spanscope.ingest")


@dataclass(frozen=True)
class PreparedTraces:
    batch: PreparedBatch | None
    received: int
    rejected: int
    error_message: str
    # Evaluation results the spans carried (plain data: it crosses the process boundary).
    scores: tuple[NewScore, ...] = ()
    scores_skipped: int = 0


def prepare_traces(body: bytes, content_type: str, project: str, backend: Backend) -> PreparedTraces:
    """Decode an OTLP trace request and encode its normalized spans for ``backend``.

    Raises the decoder's errors (OtlpDecodeError, UnsupportedContentType) for the caller to
    answer; they pickle, so they cross the process boundary unchanged."""
    decoded = decode_traces(body, content_type)
    records = [normalize(span, project) for span in decoded.spans]
    batch = prepare_batch(backend, records) if records else None
    found = scores_from_spans(decoded.spans, records)
    return PreparedTraces(
        batch,
        len(decoded.spans),
        decoded.rejected,
        "; ".join(decoded.errors[:5]),
        tuple(found.scores),
        found.skipped,
    )


def _exit_with_parent(parent_pid: int, interval_s: float = 0.5) -> None:
    """Exit this worker once its collector is gone. A collector killed outright (SIGKILL, the
    OOM killer) cannot stop its workers, and they would not notice: each holds both ends of
    its own task queue's pipe, so it never reads end-of-file. They were left behind, 145 MB
    each, one pair per kill."""
    while True:
        time.sleep(interval_s)
        if os.getppid() != parent_pid:  # reparented: the collector died
            os._exit(0)


def _start_worker(parent_pid: int, backend: Backend) -> None:
    tune_for_ingest(backend)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="spanscope-parent-watch", daemon=True).start()


def tune_for_ingest(backend: Backend) -> None:
    """Memory settings for a process that ingests (the collector and its workers).

    - Ingest allocates millions of short-lived objects; with the default thresholds the cyclic
      GC took 40% of normalization time (measured). Objects alive now are frozen out of it.
    - Arrow's default pool (jemalloc) hands freed pages back to the system, so every request's
      columns fault them in again: with the system allocator, encoding a span for DuckDB took
      13 us of CPU instead of 19, and pickling it 2 instead of 4 (51k spans, 4 runs). Only
      DuckDB's path uses Arrow: on Postgres it is not even imported.
    """
    gc.set_threshold(100_000, 50, 100)
    gc.freeze()
    if backend == "duckdb":
        import pyarrow as pa  # type: ignore[import-untyped]

        pa.set_memory_pool(pa.system_memory_pool())


class IngestPool:
    """``prepare_traces`` on worker processes, or in the calling thread when ``workers`` is 0."""

    def __init__(self, workers: int, backend: Backend) -> None:
        self._workers = workers
        self._backend = backend
        self._pool = self._new_pool() if workers else None

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the collector has threads (and maybe a database) that fork would copy.
        return ProcessPoolExecutor(
            self._workers,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(), self._backend),
        )

    def prepare(self, body: bytes, content_type: str, project: str) -> PreparedTraces:
        """Decode, normalize and encode a request's spans for ``project`` (the caller's)."""
        if self._pool is None:
            return prepare_traces(body, content_type, project, self._backend)
        try:
            return self._pool.submit(prepare_traces, body, content_type, project, self._backend).result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start new ones; this request is retried by
            # its client after the 503 the caller answers.
            logger.error("an ingest worker died; starting new workers")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
