"""The export pipeline: a byte-bounded queue, one worker thread, retries, honest flush.

Spans are encoded on the application's thread when they end (cheap with orjson) so the
queue holds compact bytes and its bound is a real memory bound. The worker thread
only batches, sends and retries. Every span gets a sequence number; lost spans (queue
full, rejected, retries exhausted) are recorded by number, so ``flush()`` can say
whether everything before it was acknowledged, unlike the stock ``force_flush``.
"""

from __future__ import annotations

import bisect
import logging
import os
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from opentelemetry import context as otel_context

from tracer._internal.errors import internal_error_count, report_internal_error
from tracer._internal.export.encoder import EncodedSpan, build_request
from tracer._internal.export.transport import Transport

logger = logging.getLogger("spanscope")

MAX_BATCH_BYTES = 4 * 1024 * 1024
_BACKOFF_START = 0.5
_BACKOFF_MAX = 30.0
_MIN_RETRY_DELAY = 0.05


@dataclass(frozen=True)
class ExportStats:
    """What the exporter did since ``configure()``; from ``tracer.stats()``."""

    spans_exported: int
    spans_dropped: int  # the queue was full
    spans_failed: int  # rejected by the collector, or retries ran out
    spans_queued: int
    queue_bytes: int
    export_requests: int
    export_retries: int
    internal_errors: int

    @property
    def spans_lost(self) -> int:
        return self.spans_dropped + self.spans_failed


class LossLedger:
    """Sequence numbers of lost spans, as sorted, merged, inclusive ranges."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, first: int, last: int) -> None:
        index = bisect.bisect_left(self._starts, first)
        if index > 0 and self._ends[index - 1] >= first - 1:
            self._ends[index - 1] = max(self._ends[index - 1], last)
            return
        self._starts.insert(index, first)
        self._ends.insert(index, last)

    def any_between(self, after: int, through: int) -> bool:
        """Is any lost number in ``(after, through]``?"""
        index = bisect.bisect_right(self._ends, after)
        return index < len(self._starts) and self._starts[index] <= through


class Batch:
    """Spans on their way out, appended straight into one buffer per (resource, scope).

    Copying each span's JSON into a growing buffer frees it at once, so the allocator
    reuses the same warm memory for the next span, instead of the queue holding
    thousands of separate objects until the batch is sent (measurably slower)."""

    __slots__ = ("count", "first_seq", "groups", "last_seq", "size")

    def __init__(self, first_seq: int) -> None:
        self.groups: dict[bytes, bytearray] = {}
        self.count = 0
        self.size = 0
        self.first_seq = first_seq
        self.last_seq = first_seq

    def add(self, seq: int, encoded: EncodedSpan) -> None:
        span_json, group = encoded
        buffer = self.groups.get(group)
        if buffer is None:
            self.groups[group] = bytearray(span_json)
        else:
            buffer += b","
            buffer += span_json
        self.count += 1
        self.size += len(span_json)
        self.last_seq = seq

    def request_body(self) -> bytes:
        return build_request(self.groups)


class ExportPipeline:
    def __init__(
        self,
        transport: Transport,
        *,
        max_queue_bytes: int,
        batch_size: int,
        interval: float,
        max_retry_time: float,
    ) -> None:
        self._transport = transport
        self._max_queue_bytes = max_queue_bytes
        self._batch_size = batch_size
        self._interval = interval
        self._max_retry_time = max_retry_time
        # A plain Lock: Condition() would default to the slower RLock.
        self._cond = threading.Condition(threading.Lock())
        self._sealed: deque[Batch] = deque()  # full batches, oldest first
        self._open: Batch | None = None  # the batch new spans go into
        self._queue_spans = 0
        self._queue_bytes = 0
        self._next_seq = 1
        self._queued_total = 0
        self._settled_total = 0
        self._flush_target = 0
        self._reported_through = 0
        self._losses = LossLedger()
        self._closed = False
        self._give_up_at: float | None = None  # set by shutdown: stop retrying then
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._warned_drop = False
        self._exported = self._dropped = self._failed = self._requests = self._retries = 0

    # Application side ------------------------------------------------------------------

    def submit(self, encoded: EncodedSpan) -> None:
        size = len(encoded[0])
        with self._cond:
            seq = self._next_seq
            self._next_seq += 1
            if self._closed or self._queue_bytes + size > self._max_queue_bytes:
                self._dropped += 1
                self._losses.add(seq, seq)
                warn = not self._warned_drop
                self._warned_drop = True
            else:
                warn = False
                batch = self._open
                if batch is None:
                    batch = self._open = Batch(seq)
                batch.add(seq, encoded)
                self._queue_spans += 1
                self._queue_bytes += size
                self._queued_total += 1
                if batch.count >= self._batch_size or batch.size >= MAX_BATCH_BYTES:
                    self._sealed.append(batch)
                    self._open = None
                    self._cond.notify()
        if warn:
            logger.warning(
                "spanscope: dropping spans, the export queue is full (%d bytes); see tracer.stats()",
                self._max_queue_bytes,
            )
        if self._pid != os.getpid():  # first span, or we are in a forked child
            self._start_worker()

    def _start_worker(self) -> None:
        with self._cond:
            if self._pid == os.getpid() or self._closed:
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="spanscope-exporter", daemon=True)
            self._thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """True only when every span that ended before this call, and was not already
        reported lost by an earlier flush, was acknowledged by the collector."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            through = self._next_seq - 1
            target = self._queued_total
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            while self._settled_total < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                if self._thread is None or not self._thread.is_alive():
                    return False
                self._cond.wait(remaining)
            lost = self._losses.any_between(self._reported_through, through)
            self._reported_through = max(self._reported_through, through)
            return not lost

    def shutdown(self, timeout: float) -> bool:
        """Flush for at most ``timeout`` seconds, then stop; returns the flush verdict."""
        with self._cond:
            self._give_up_at = time.monotonic() + timeout
        flushed = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._transport.close()
        return flushed

    def stats(self) -> ExportStats:
        with self._cond:
            return ExportStats(
                spans_exported=self._exported,
                spans_dropped=self._dropped,
                spans_failed=self._failed,
                spans_queued=self._queue_spans,
                queue_bytes=self._queue_bytes,
                export_requests=self._requests,
                export_retries=self._retries,
                internal_errors=internal_error_count(),
            )

    # Worker side -----------------------------------------------------------------------

    def _run(self) -> None:
        # Our own HTTP calls must not be traced by an instrumented urllib3 or requests.
        otel_context.attach(otel_context.set_value(otel_context._SUPPRESS_INSTRUMENTATION_KEY, True))
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._export(batch)
            except Exception:
                report_internal_error("span export", reraise=False)
                self._settle(batch, lost=True)

    def _next_batch(self) -> Batch | None:
        """The next batch to send: a full one at once, else what there is after the
        export interval or when a flush asks. None when closed and drained."""
        with self._cond:
            wake_at = time.monotonic() + self._interval
            while not self._closed and not self._sealed and self._settled_total >= self._flush_target:
                remaining = wake_at - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if not self._sealed and self._open is not None:
                self._sealed.append(self._open)
                self._open = None
            if not self._sealed:
                return None if self._closed else Batch(0)
            batch = self._sealed.popleft()
            self._queue_spans -= batch.count
            self._queue_bytes -= batch.size
            return batch

    def _export(self, batch: Batch) -> None:
        if not batch.count:
            return
        body = batch.request_body()
        started = time.monotonic()
        attempt = 0
        while True:
            with self._cond:
                self._requests += 1
            result = self._transport.send(body)
            if result.ok:
                if result.rejected_spans:
                    logger.warning("spanscope: collector rejected %d spans: %s", result.rejected_spans, result.detail)
                self._settle(batch, lost=bool(result.rejected_spans), rejected=result.rejected_spans)
                return
            give_up_at = started + self._max_retry_time
            if self._give_up_at is not None:
                give_up_at = min(give_up_at, self._give_up_at)
            remaining = give_up_at - time.monotonic()
            if result.retry_after is None:
                # Our own backoff may be cut short to fit the time left...
                delay = min(_BACKOFF_MAX, _BACKOFF_START * 2**attempt) * random.uniform(0.5, 1.0)
                delay = min(delay, remaining)
            else:
                # ...the collector's Retry-After may not: retrying sooner is what it asked us
                # not to do. "0" means now, with a floor so a broken server cannot spin us.
                delay = max(result.retry_after, _MIN_RETRY_DELAY)
            if not result.retryable or remaining <= 0 or delay > remaining:
                logger.warning("spanscope: export of %d spans failed for good: %s", batch.count, result.detail)
                self._settle(batch, lost=True)
                return
            with self._cond:
                self._retries += 1
            attempt += 1
            self._stop.wait(delay)

    def _settle(self, batch: Batch, *, lost: bool, rejected: int = 0) -> None:
        with self._cond:
            if lost:
                # Spans dropped between first_seq and last_seq are in the ledger already.
                self._losses.add(batch.first_seq, batch.last_seq)
                failed = min(rejected, batch.count) or batch.count
                self._failed += failed
                self._exported += batch.count - failed
            else:
                self._exported += batch.count
            self._settled_total += batch.count
            self._cond.notify_all()
