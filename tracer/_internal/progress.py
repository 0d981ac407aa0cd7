"""A one-line progress bar on stderr for ``tracer.evaluate`` (no dependency for a bar).

On a terminal it redraws in place at most ten times a second; elsewhere (CI logs, a
redirected stderr) it writes one line at the end instead of hundreds of redraws.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

_WIDTH = 30
_REDRAW_EVERY = 0.1


class Progress:
    def __init__(self, title: str, total: int, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.title = title
        self.total = total
        self.done = 0
        self.failed = 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._lock = threading.Lock()
        self._live = enabled and _is_terminal(self.stream)
        if self._live:
            self._draw()

    def advance(self, *, failed: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.failed += failed
            if self._live and (time.monotonic() - self._drawn_at >= _REDRAW_EVERY or self.done == self.total):
                self._draw()

    def line(self) -> str:
        filled = _WIDTH if self.total == 0 else _WIDTH * self.done // self.total
        bar = "#" * filled + "." * (_WIDTH - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        elapsed = time.monotonic() - self.started
        return f"{self.title} [{bar}] {self.done}/{self.total}{failed} {elapsed:.1f}s"

    def _draw(self) -> None:
        self._drawn_at = time.monotonic()
        self._write("\r" + self.line())

    def close(self) -> None:
        if not self.enabled:
            return
        self._write(("\r" if self._live else "") + self.line() + "\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not stop the run
            self.enabled = self._live = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False
