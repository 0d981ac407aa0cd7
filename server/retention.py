"""The collector's retention sweeper: a background thread that deletes each project's traces
past its retention (``spanscope projects retention``), a batch at a time, every few minutes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from server.storage.base import Store

logger = logging.getLogger("spanscope.retention")

BATCH_TRACES = 500
PAUSE_SECONDS = 0.05  # between batches: ingest gets the database in between


class RetentionSweeper:
    def __init__(self, store: Store, every_seconds: float, count: Callable[[str, int], None]) -> None:
        self._store = store
        self._every = every_seconds
        self._count = count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def sweep(self) -> int:
        """One pass over every project with a retention; how many traces went."""
        deleted = 0
        for project in self._store.access.projects():
            if project["retention_days"] is None:
                continue
            before = datetime.now(timezone.utc) - timedelta(days=project["retention_days"])
            while not self._stop.is_set():
                done = self._store.delete_expired(project["id"], before, BATCH_TRACES)
                deleted += done
                self._count("traces_expired", done)
                if done < BATCH_TRACES:
                    break
                self._stop.wait(PAUSE_SECONDS)
        return deleted

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeper: it tries again later
                logger.exception("retention sweep failed; retrying in %s s", self._every)
                self._count("retention_sweeps_failed", 1)
