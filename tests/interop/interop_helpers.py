"""What the interop tests share: the collector they read from, driver results, span trees."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

DRIVERS = Path(__file__).parent / "drivers"
# Spans are written in batches after the collector acknowledges them, so a trace can
# appear a moment after the driver has flushed.
TRACE_TIMEOUT = 10.0
# Settings of the environment that would change what a driver sends, or where.
_ISOLATED_PREFIXES = ("OTEL_", "SPANSCOPE_", "TRACELOOP_", "OPENAI_")

Span = dict[str, Any]


@dataclass(frozen=True)
class Collector:
    url: str
    log: Path

    def trace(self, trace_id: str, span_count: int) -> tuple[dict[str, Any], list[Span]]:
        """The trace summary and its span tree, once all ``span_count`` spans are stored."""
        deadline = time.monotonic() + TRACE_TIMEOUT
        while True:
            response = httpx.get(f"{self.url}/api/v1/traces/{trace_id}", timeout=5)
            if response.status_code == 200:
                body = response.json()
                if len(flatten(body["spans"])) >= span_count:
                    return body["trace"], body["spans"]
            elif response.status_code != 404:
                response.raise_for_status()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"trace {trace_id} did not reach {span_count} spans in {TRACE_TIMEOUT}s "
                    f"(last answer {response.status_code}); collector log:\n{self.log.read_text()}"
                )
            time.sleep(0.1)


@dataclass(frozen=True)
class DriverResult:
    traces: dict[str, str]  # scenario name -> trace ID
    span_counts: dict[str, int]  # trace ID -> number of spans the driver ended in it


class RunDriver(Protocol):
    def __call__(self, name: str, *args: str) -> DriverResult: ...


def flatten(spans: list[Span]) -> list[Span]:
    """The spans of a tree, parents before children."""
    flat: list[Span] = []
    for span in spans:
        flat.append(span)
        flat.extend(flatten(span.get("children", [])))
    return flat


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def isolated_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(_ISOLATED_PREFIXES)}
