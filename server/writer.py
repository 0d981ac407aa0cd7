"""One writer thread with group commit (ARCHITECTURE.md, decisions 3 and 5).

Requests put their normalized spans in a bounded queue and wait for a future. The writer
takes everything waiting (up to ``max_batch_spans``), writes it in ONE transaction and
then resolves every future of the group: a request is acknowledged only after its spans
are committed. A full queue refuses at once (the caller answers 503 + Retry-After); a
transient database fault fails the group's futures with ``TransientStorageError`` (503).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from server.model import LogMessages
from server.storage.base import PreparedBatch, Store, TransientStorageError
from server.storage.scores import NewScore

logger = logging.getLogger("spanscope.writer")


class QueueFull(Exception):  # noqa: N818 - named like queue.Full
    """The writer has more spans waiting than it may hold."""


@dataclass
class _Request:
    batch: PreparedBatch | None
    future: Future[int]
    log_messages: Sequence[LogMessages] = ()
    scores: Sequence[NewScore] = ()  # read from the spans of ``batch`` (server.normalize.evaluations)
    project_id: str = ""  # the project of ``scores``

    @property
    def size(self) -> int:
        return (self.batch.count if self.batch is not None else 0) + len(self.log_messages) + len(self.scores)


@dataclass(frozen=True)
class WriterStats:
    spans_committed: int
    transactions: int
    queued_spans: int
    failed_transactions: int


def _fault(point: str) -> None:
    """Test hook for the kill test: ``SPANSCOPE_FAULT=<point>`` kills the process here.

    Points: ``before_commit`` (parsed and queued, nothing committed) and
    ``after_commit`` (committed, no response sent). Off unless the variable is set."""
    if os.environ.get("SPANSCOPE_FAULT") == point:
        os._exit(137)


class SpanWriter:
    def __init__(self, store: Store, *, max_queue_spans: int, max_batch_spans: int) -> None:
        self._store = store
        self._max_queue_spans = max_queue_spans
        self._max_batch_spans = max_batch_spans
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Request] = deque()
        self._queued_spans = 0
        self._closed = False
        self._committed = self._transactions = self._failed = 0
        self._thread = threading.Thread(target=self._run, name="spanscope-writer", daemon=True)
        self._thread.start()

    def submit_prepared(
        self, batch: PreparedBatch | None, scores: Sequence[NewScore] = (), project_id: str = ""
    ) -> Future[int]:
        """Queue spans encoded for the database (``prepare_batch``, done by the ingest workers,
        not by the one writer thread), and the scores of ``project_id`` that they carried; the
        future resolves after their commit."""
        return self._enqueue(_Request(batch, Future(), scores=scores, project_id=project_id))

    def submit_log_messages(self, items: Sequence[LogMessages]) -> Future[int]:
        """Queue messages from GenAI log events; committed like spans."""
        return self._enqueue(_Request(None, Future(), items))

    def _enqueue(self, request: _Request) -> Future[int]:
        if not request.size:
            request.future.set_result(0)
            return request.future
        with self._cond:
            if self._closed:
                raise QueueFull("the collector is shutting down")
            if self._queued_spans and self._queued_spans + request.size > self._max_queue_spans:
                raise QueueFull(f"{self._queued_spans} spans are waiting to be written")
            self._queue.append(request)
            self._queued_spans += request.size
            self._cond.notify()
        return request.future

    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(self._committed, self._transactions, self._queued_spans, self._failed)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout)

    def _next_group(self) -> list[_Request] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            group = [self._queue.popleft()]
            size = group[0].size
            while self._queue and size + self._queue[0].size <= self._max_batch_spans:
                request = self._queue.popleft()
                group.append(request)
                size += request.size
            self._queued_spans -= size
        # Claim the futures. A request whose waiter cancelled it got no answer, so its client
        # retries: it is dropped here, and set_result can no longer fail on a cancelled
        # future (which would kill this thread and every later commit with it).
        return [request for request in group if request.future.set_running_or_notify_cancel()]

    def _run(self) -> None:
        while True:
            group = self._next_group()
            if group is None:
                return
            self._commit(group)

    def _commit(self, group: list[_Request]) -> None:
        if not group:
            return
        batches = [request.batch for request in group if request.batch is not None]
        log_messages = [item for request in group for item in request.log_messages]
        scores: dict[str, list[NewScore]] = {}
        for request in group:
            if request.scores:
                scores.setdefault(request.project_id, []).extend(request.scores)
        try:
            _fault("before_commit")
            if batches:
                self._store.write_prepared(batches)
            if log_messages:
                self._store.write_log_messages(log_messages)
            for project_id, project_scores in scores.items():
                self._write_scores(project_id, project_scores)
            _fault("after_commit")
        except TransientStorageError as error:
            logger.warning(
                "transient storage fault, %d requests will be retried by their clients: %s", len(group), error
            )
            self._fail(group, error)
            return
        except Exception as error:
            if len(group) > 1:
                # One request's data may be what breaks the transaction: write each alone
                # so that the others are still stored.
                for request in group:
                    self._commit([request])
                return
            logger.exception("writing %d spans failed", sum(batch.count for batch in batches))
            self._fail(group, error)
            return
        with self._cond:
            self._committed += sum(batch.count for batch in batches)
            self._transactions += 1
        for request in group:
            request.future.set_result(request.size)

    def _write_scores(self, project_id: str, scores: list[NewScore]) -> None:
        """Scores read from spans, after the spans, in a transaction of their own. Both writes are
        idempotent (spans by key, scores by their derived id), so a failure between the two is
        repaired by the client's retry: a transient fault fails the group (503) and the resend
        writes the missing scores. Any other fault is logged and the spans stay acknowledged:
        they are committed, and a resend would fail the same way, forever."""
        try:
            self._store.scores.add_from_spans(project_id, scores)
        except TransientStorageError:
            raise
        except Exception:
            logger.exception("storing %d scores read from spans failed; their spans are stored", len(scores))

    def _fail(self, group: list[_Request], error: BaseException) -> None:
        with self._cond:
            self._failed += 1
        for request in group:
            request.future.set_exception(error)
