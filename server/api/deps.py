"""What the routes share: the running collector (settings, store, writer, counters)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from fastapi import HTTPException, Request

from server.ingest_work import IngestPool
from server.settings import ServerSettings
from server.storage.base import Store
from server.storage.names import NameTakenError
from server.writer import SpanWriter

if TYPE_CHECKING:
    from server.api.auth import KeyCache
    from server.api.limits import ProjectLimits
    from server.otlp.logs import LogRecord


@dataclass
class Collector:
    settings: ServerSettings
    store: Store
    writer: SpanWriter
    ingest: IngestPool
    keys: KeyCache  # API keys, checked against the store every few seconds at most
    limits: ProjectLimits  # spans a second and SQL queries at once, per project
    counters: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str, amount: int = 1) -> None:
        if amount:
            with self._lock:
                self.counters[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counters)

    def attach_log_messages(self, records: list[LogRecord], project_id: str) -> Future[int] | None:
        """GenAI log events become their span's input/output messages."""
        from server.logs import log_messages

        items = log_messages(records, project_id)
        self.count("log_records_attached", sum(item.event_count for item in items))
        return self.writer.submit_log_messages(items) if items else None


@contextmanager
def name_conflict() -> Iterator[None]:
    """A name taken in the project (``NameTakenError``) answers 409 with what is taken."""
    try:
        yield
    except NameTakenError as error:
        raise HTTPException(409, str(error)) from None


def get_collector(request: Request) -> Collector:
    return cast(Collector, request.app.state.collector)
