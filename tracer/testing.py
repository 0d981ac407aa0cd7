"""Capture spans in memory, for deterministic assertions in tests (yours and ours).

The spans go through the real pipeline (processor, masking, OTLP/JSON encoding, queue,
flush); only the HTTP request is replaced. Trace and span IDs count up from 1::

    from tracer.testing import capture

    def test_answer():
        with capture() as spans:
            answer("hi")
        assert spans.named("answer").attributes["spanscope.span.kind"] == "chain"
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator

from tracer._internal.configure import install
from tracer._internal.errors import set_raise_setting
from tracer._internal.export.pipeline import ExportPipeline
from tracer._internal.export.transport import SendResult
from tracer._internal.settings import resolve_settings
from tracer._internal.state import STATE

_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


def decode_value(value: dict[str, Any]) -> Any:
    """An OTLP/JSON AnyValue as a Python value."""
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [decode_value(item) for item in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return decode_attributes(value["kvlistValue"].get("values", []))
    return None


def decode_attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {item["key"]: decode_value(item["value"]) for item in items}


@dataclass(frozen=True)
class CapturedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    status: str
    status_message: str | None
    start_time_ns: int
    end_time_ns: int
    resource: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        return self.attributes.get("spanscope.span.kind")

    @property
    def duration_s(self) -> float:
        return (self.end_time_ns - self.start_time_ns) / 1e9


class IncrementingIds(IdGenerator):
    """Trace and span IDs 1, 2, 3...: stable across runs, readable in failures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trace = 0
        self._span = 0

    def generate_trace_id(self) -> int:
        with self._lock:
            self._trace += 1
            return self._trace

    def generate_span_id(self) -> int:
        with self._lock:
            self._span += 1
            return self._span


class MemoryTransport:
    """Decodes every request body into CapturedSpans instead of sending it."""

    def __init__(self) -> None:
        self.spans: list[CapturedSpan] = []
        self.requests = 0
        self._lock = threading.Lock()

    def send(self, body: bytes) -> SendResult:
        decoded = orjson.loads(body)
        spans = []
        for resource_spans in decoded["resourceSpans"]:
            resource = decode_attributes(resource_spans["resource"].get("attributes", []))
            for scope_spans in resource_spans["scopeSpans"]:
                for span in scope_spans["spans"]:
                    spans.append(_captured(span, resource))
        with self._lock:
            self.requests += 1
            self.spans.extend(spans)
        return SendResult(ok=True)

    def close(self) -> None:
        pass


def _captured(span: dict[str, Any], resource: dict[str, Any]) -> CapturedSpan:
    status = span.get("status", {})
    return CapturedSpan(
        name=span["name"],
        trace_id=span["traceId"],
        span_id=span["spanId"],
        parent_span_id=span.get("parentSpanId"),
        attributes=decode_attributes(span.get("attributes", [])),
        events=[
            {"name": event["name"], "attributes": decode_attributes(event.get("attributes", []))}
            for event in span.get("events", [])
        ],
        status=_STATUS[status.get("code", 0)],
        status_message=status.get("message"),
        start_time_ns=int(span["startTimeUnixNano"]),
        end_time_ns=int(span["endTimeUnixNano"]),
        resource=resource,
    )


class CapturedSpans:
    """The spans captured so far; reading them flushes the pipeline first."""

    def __init__(self, transport: MemoryTransport, pipeline: ExportPipeline) -> None:
        self._transport = transport
        self._pipeline = pipeline

    @property
    def spans(self) -> list[CapturedSpan]:
        if not self._pipeline.flush(10.0):
            raise AssertionError(f"spans were lost before they reached the capture: {self._pipeline.stats()}")
        return list(self._transport.spans)

    def __iter__(self) -> Iterator[CapturedSpan]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    def named(self, name: str) -> CapturedSpan:
        """The one span with this name (fails if there are none or several)."""
        matches = [span for span in self.spans if span.name == name]
        if len(matches) != 1:
            raise AssertionError(f"expected one span named {name!r}, found {len(matches)}: {self.names()}")
        return matches[0]

    def names(self) -> list[str]:
        return [span.name for span in self.spans]

    def children(self, parent: CapturedSpan) -> list[CapturedSpan]:
        return [span for span in self.spans if span.parent_span_id == parent.span_id]


@contextmanager
def capture(
    mask: Callable[[str], str] | None = None, ids: IdGenerator | None = None, **settings: Any
) -> Iterator[CapturedSpans]:
    """Configure the SDK to record into memory for the ``with`` block, then turn it off.

    ``settings`` are ``configure()`` arguments (``capture_content``, ``max_value_size``,
    ``sample_rate``...); environment variables are ignored so tests are deterministic.
    ``ids`` replaces the incrementing IDs (sampling tests need random trace IDs).
    """
    resolved = resolve_settings({"raise_internal_errors": True, **settings}, env={})
    transport = MemoryTransport()
    provider = TracerProvider(id_generator=ids or IncrementingIds(), shutdown_on_exit=False)
    install(resolved, transport, mask, provider)
    assert STATE.processor is not None
    pipeline = STATE.processor.pipeline
    try:
        yield CapturedSpans(transport, pipeline)
    finally:
        STATE.otel_tracer = None
        pipeline.shutdown(5.0)
        set_raise_setting(None)
        STATE.attached[:] = [p for p in STATE.attached if p is not provider]
