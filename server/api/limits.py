"""Per-project limits (docs/security.md): spans ingested per second, and SQL queries running at
once. One project's flood or heavy queries must not starve the others on a shared collector.

Both answer 429 with Retry-After, which OTLP exporters retry (CONVENTIONS.md): nothing is
lost, the sender slows down.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

BURST_SECONDS = 2.0  # a project may send this many seconds' worth of spans at once


class OverLimitError(Exception):
    """Over a limit; ``retry_after`` seconds until it is worth trying again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``capacity`` saved up."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self, amount: float) -> float:
        """Take ``amount`` tokens; 0 when taken, else the seconds until there would be enough."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if amount <= self.tokens:
            self.tokens -= amount
            return 0.0
        # A request larger than the whole bucket is let through once the bucket is full, or
        # it could never pass; it then leaves the bucket in debt.
        if self.tokens >= self.capacity:
            self.tokens -= amount
            return 0.0
        return (min(amount, self.capacity) - self.tokens) / self.rate


class ProjectLimits:
    def __init__(self, spans_per_second: float, sql_concurrency: int) -> None:
        self._rate = spans_per_second
        self._sql_concurrency = sql_concurrency
        self._buckets: dict[str, _Bucket] = {}
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def admit_spans(self, project_id: str, spans: int) -> None:
        """Count ``spans`` against the project's rate; ``OverLimitError`` when over it (0: no limit)."""
        if self._rate <= 0 or spans <= 0:
            return
        with self._lock:
            bucket = self._buckets.get(project_id)
            if bucket is None:
                bucket = self._buckets[project_id] = _Bucket(self._rate, self._rate * BURST_SECONDS)
            wait = bucket.take(spans)
        if wait:
            raise OverLimitError(
                f"this project sends more than {self._rate:,.0f} spans a second; slow down and retry",
                max(1, math.ceil(wait)),
            )

    @contextmanager
    def sql_slot(self, project_id: str) -> Iterator[None]:
        """Hold one of the project's SQL slots while a query runs; ``OverLimitError`` when none is free."""
        with self._lock:
            running = self._running.get(project_id, 0)
            if running >= self._sql_concurrency:
                raise OverLimitError(
                    f"this project already runs {running} SQL queries, the most at once; retry when one ends", 1
                )
            self._running[project_id] = running + 1
        try:
            yield
        finally:
            with self._lock:
                self._running[project_id] -= 1
