"""The collector's domain records, one representation per layer (STYLE.md):

- ``RawSpan``: an OTLP span as decoded from the wire, before any convention is applied.
- ``SpanRecord``: the normalized span, with typed columns; what storage writes.

Decoding (``server/otlp``) produces RawSpans; normalization (``server/normalize``) turns
each into a SpanRecord; storage (``server/storage``) writes SpanRecords and reads rows
back as plain dicts for the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# One list of span kinds for the SDK and the collector.
from tracer._internal.conventions import SPAN_KINDS, SpanKind

__all__ = ["DEFAULT_PROJECT", "SPAN_KINDS", "LogMessages", "RawEvent", "RawSpan", "SpanKind", "SpanRecord"]

SpanStatus = Literal["unset", "ok", "error"]
DEFAULT_PROJECT = "default"


@dataclass(frozen=True, slots=True)
class RawEvent:
    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RawSpan:
    """One span as sent. Attribute values are decoded OTLP AnyValues: str, int, float,
    bool, bytes, lists and dicts (from arrayValue / kvlistValue), or None."""

    trace_id: str  # 32 lowercase hex digits
    span_id: str  # 16 lowercase hex digits
    parent_span_id: str | None
    name: str
    kind: int  # OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
    start_time_ns: int
    end_time_ns: int
    status_code: int  # 0 unset, 1 ok, 2 error
    status_message: str | None
    attributes: dict[str, Any]
    events: tuple[RawEvent, ...] = ()
    links: tuple[dict[str, Any], ...] = ()
    resource: dict[str, Any] = field(default_factory=dict)
    scope_name: str | None = None
    scope_version: str | None = None


@dataclass(slots=True)
class SpanRecord:
    """A normalized span. JSON-typed fields hold plain Python values (lists, dicts)."""

    project_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str  # one of SPAN_KINDS
    status: str  # one of "unset", "ok", "error"
    status_message: str | None
    start_time_ns: int
    end_time_ns: int
    service_name: str | None = None
    scope_name: str | None = None
    model: str | None = None
    provider: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None
    cost_source: str | None = None  # "span" when the span carried it, else the price table used
    input: str | None = None  # text, or JSON text (see input_mime_type)
    input_mime_type: str | None = None
    output: str | None = None
    output_mime_type: str | None = None
    input_messages: list[dict[str, Any]] | None = None  # GenAI parts format
    output_messages: list[dict[str, Any]] | None = None
    documents: list[dict[str, Any]] | None = None  # [{id, content, score, metadata}] in rank order
    tool_name: str | None = None
    tool_arguments: str | None = None
    tool_result: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)  # raw span attributes
    resource_attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # [{name, time_ns, attributes}]
    links: list[dict[str, Any]] = field(default_factory=list)
    dialects: list[str] = field(default_factory=list)  # conventions detected, e.g. ["openinference"]
    unmapped_keys: list[str] = field(default_factory=list)  # attribute keys no dialect used

    @property
    def duration_ms(self) -> float:
        return (self.end_time_ns - self.start_time_ns) / 1e6


@dataclass(frozen=True, slots=True)
class LogMessages:
    """Chat messages a span's GenAI log events carried (OTLP logs, not span attributes).

    Some instrumentations (opentelemetry-instrumentation-openai-v2 by default) send the
    messages as log records beside the span. They are stored apart, keyed by ``key`` (a
    hash of the events, so a resent batch changes nothing), and merged into the span's
    messages when it is read, whichever of the two arrived first."""

    project_id: str
    trace_id: str
    span_id: str
    key: str
    time_ns: int
    input_messages: list[dict[str, Any]]
    output_messages: list[dict[str, Any]]
    event_count: int
