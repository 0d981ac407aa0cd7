"""``tracer.score()``: validate on the caller's thread, send from a background thread.

Why a background queue and not a synchronous POST with a short timeout: ``score()`` is
called on the application's hot path (a request handler that just answered), where even a
short timeout would add its full length to every request while the collector is slow or
down. The queue costs a dict append; ``tracer.flush()`` waits for it like it waits for
spans. What cannot be sent (collector down past the retries, a score the collector
refuses) is logged and counted, never raised: see ``score_stats()``.
"""

from __future__ import annotations

import atexit
import logging
import math
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace as otel_trace

from tracer._internal.api import ApiClient, CollectorError, current_settings
from tracer._internal.state import STATE

logger = logging.getLogger("spanscope")

SOURCES = ("human", "code", "llm_judge", "sdk")
_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-fA-F]{16}$")
_TRACE_ID_LIMIT = (1 << 64) - 1
CURRENT = "current"  # span_id's default: the current span
MAX_QUEUE = 10_000
MAX_BATCH = 100  # under the collector's 1,000 per batch
RETRY_FOR = 60.0  # seconds a batch is retried while the collector is unreachable or busy


def score_value(value: Any, where: str = "value") -> bool | float | str:
    """A score value as the API takes it; ValueError for NaN/inf, TypeError for other types."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{where} must be a finite number, got {value!r}")
        return number
    if isinstance(value, str):
        if not 1 <= len(value) <= 200:
            raise ValueError(f"{where}: a category is 1 to 200 characters, got {len(value)}")
        return value
    raise TypeError(f"{where} must be a number, a bool or a str (a category), got {type(value).__name__}")


def build_score(
    name: str,
    value: Any,
    *,
    trace_id: str,
    span_id: str | None,
    comment: str | None = None,
    source: str = "sdk",
    author: str | None = None,
    config_id: str | None = None,
    run_id: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """The JSON body of one score, checked as far as the client can check it."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise ValueError(f"name must be 1 to 200 characters, got {name!r}")
    if not _TRACE_ID.match(trace_id or ""):
        raise ValueError(f"trace_id must be 32 hex digits, got {trace_id!r}")
    if span_id is not None and not _SPAN_ID.match(span_id):
        raise ValueError(f"span_id must be 16 hex digits or None (the whole trace), got {span_id!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    if comment is not None and len(comment) > 10_000:
        raise ValueError(f"comment is at most 10,000 characters, got {len(comment)}")
    body: dict[str, Any] = {
        "id": id or uuid.uuid4().hex,  # chosen here so that a resend is idempotent
        "trace_id": trace_id.lower(),
        "span_id": span_id.lower() if span_id else None,
        "name": name,
        "value": score_value(value),
        "source": source,
    }
    optional = {"comment": comment, "author": author, "config_id": config_id, "run_id": run_id}
    body.update({key: item for key, item in optional.items() if item is not None})
    return body


def score(
    name: str,
    value: float | bool | str,
    *,
    trace_id: str | None = None,
    span_id: str | None = CURRENT,
    comment: str | None = None,
    source: str = "sdk",
    author: str | None = None,
    config_id: str | None = None,
    id: str | None = None,
) -> str | None:
    """Score the current span (or a given trace or span); returns the score's id.

    ``value`` is a number, a bool or a str (a category). With no ``trace_id`` the score goes
    on the current span; ``span_id=None`` puts it on the whole current trace instead. With
    a ``trace_id`` it goes on that trace, or on its span ``span_id``.

    The score is queued and sent in the background (``tracer.flush()`` waits for it): a
    slow or unreachable collector never slows or breaks the application, it is logged.
    Bad arguments raise at once, before anything is sent: ValueError for NaN or infinite
    values, malformed IDs, an unknown source, or no current trace (while the SDK is on)
    with no ``trace_id``; TypeError for a value of another type. Nothing is sent and None
    is returned when the SDK is disabled (``enabled=False``), or, with no ``trace_id``, when
    nothing is traced (not configured) or the current trace is sampled out. A score with a
    ``trace_id`` before ``configure()`` goes to the collector that the ``SPANSCOPE_*`` and
    ``OTEL_*`` variables name (scoring traces after the fact)::

        @tracer.chain
        def answer(question: str) -> str:
            reply = ...
            tracer.score("helpful", True, comment="solved it")       # this span
            tracer.score("tone", "friendly", span_id=None)           # the whole trace
            return reply

        tracer.score("correctness", 0.8, trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    """
    checked_value = score_value(value)  # checked first, also when nothing will be sent
    if trace_id is None:
        if STATE.otel_tracer is None:
            return None
        context = otel_trace.get_current_span().get_span_context()
        if not context.is_valid:
            raise ValueError("tracer.score: no current trace; call it inside a traced function or pass trace_id=")
        if not context.trace_flags.sampled or _sampled_out(context.trace_id):
            return None
        trace_id = format(context.trace_id, "032x")
        span_id = format(context.span_id, "016x") if span_id == CURRENT else span_id
    elif span_id == CURRENT:
        span_id = None  # another trace: the current span is not part of it
    settings = current_settings()
    if not settings.enabled:
        return None
    body = build_score(
        name,
        checked_value,
        trace_id=trace_id,
        span_id=span_id,
        comment=comment,
        source=source,
        author=author,
        config_id=config_id,
        id=id,
    )
    SENDER.submit(body, ApiClient.from_settings(settings))
    return str(body["id"])


def _sampled_out(trace_id: int) -> bool:
    """On the application's own provider our processor samples (``processor.py``): same rule."""
    bound = STATE.processor.ratio_bound if STATE.processor is not None else None
    return bound is not None and trace_id & _TRACE_ID_LIMIT >= bound


@dataclass(frozen=True)
class ScoreStats:
    """What the background score sender did in this process."""

    sent: int
    failed: int  # refused by the collector, or retries ran out
    dropped: int  # the queue was full
    queued: int


class ScoreSender:
    """A bounded queue and one daemon thread that sends scores in batches."""

    def __init__(self) -> None:
        self._queue: deque[tuple[dict[str, Any], ApiClient]] = deque()
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = 0
        self.sent = self.failed = self.dropped = 0

    def submit(self, body: dict[str, Any], client: ApiClient) -> None:
        with self._lock:
            if len(self._queue) >= MAX_QUEUE:
                self.dropped += 1
                logger.warning("spanscope: the score queue is full; score %r dropped", body["name"])
                return
            self._queue.append((body, client))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="spanscope-scores", daemon=True)
                self._thread.start()
                atexit.register(self.flush, 5.0)
            self._lock.notify_all()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every queued score was sent or given up; True when all were sent."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            failed_before = self.failed + self.dropped
            while self._queue or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return self.failed + self.dropped == failed_before

    def stats(self) -> ScoreStats:
        with self._lock:
            return ScoreStats(self.sent, self.failed, self.dropped, len(self._queue) + self._busy)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._lock.wait()
                client = self._queue[0][1]
                batch: list[dict[str, Any]] = []
                while self._queue and len(batch) < MAX_BATCH and self._queue[0][1] == client:
                    batch.append(self._queue.popleft()[0])
                self._busy = len(batch)
            sent = 0
            try:
                sent = self._send(client, batch)
            except Exception:  # never let the thread die: later scores must still go
                logger.exception("spanscope: sending %d score(s) failed", len(batch))
            with self._lock:
                self.sent += sent
                self.failed += len(batch) - sent
                self._busy = 0
                self._lock.notify_all()

    def _send(self, client: ApiClient, batch: list[dict[str, Any]]) -> int:
        """Send a batch; returns how many were stored. All or nothing on the collector's side,
        so a refused batch (one bad score) is sent again one score at a time."""
        try:
            _retrying(lambda: client.request("POST", "/api/v1/scores/batch", {"scores": batch}))
            return len(batch)
        except CollectorError as error:
            if error.status is None or len(batch) == 1:
                logger.warning("spanscope: %d score(s) not sent: %s", len(batch), error)
                return 0
        return sum(self._one(client, body) for body in batch)

    def _one(self, client: ApiClient, body: dict[str, Any]) -> int:
        try:
            _retrying(lambda: client.request("POST", "/api/v1/scores", body))
            return 1
        except CollectorError as error:
            logger.warning("spanscope: score %r not sent: %s", body["name"], error)
            return 0


def _retrying(send: Any) -> Any:
    """Retry an unreachable collector for RETRY_FOR seconds (the client retries 503 itself)."""
    deadline = time.monotonic() + RETRY_FOR
    delay = 0.5
    while True:
        try:
            return send()
        except CollectorError as error:
            if error.status is not None or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


SENDER = ScoreSender()


def score_stats() -> ScoreStats:
    """Counters of the background score sender: sent, failed, dropped, queued."""
    return SENDER.stats()
