"""Response models of the read API (what /openapi.json publishes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ScoreSummary(BaseModel):
    """The scores of one name on a trace or its spans."""

    name: str
    data_type: str
    count: int
    mean: float | None  # of the values: numbers, and booleans as 1/0
    label: str | None  # the latest label


class TraceSummary(BaseModel):
    trace_id: str
    name: str | None
    root_span_id: str | None
    start_time: datetime
    end_time: datetime
    duration_ms: float
    span_count: int
    error_count: int
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cost_usd: float | None
    session_id: str | None
    user_id: str | None
    tags: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    input_preview: str | None = None
    output_preview: str | None = None
    scores: list[ScoreSummary] = Field(default_factory=list, description="In the trace list: per score name")


class TraceList(BaseModel):
    traces: list[TraceSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class SpanDetail(BaseModel):
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    status: str
    status_message: str | None
    start_time: datetime
    end_time: datetime
    duration_ms: float
    service_name: str | None
    scope_name: str | None
    model: str | None
    provider: str | None
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    cost_usd: float | None
    cost_source: str | None
    input: str | None
    input_mime_type: str | None
    output: str | None
    output_mime_type: str | None
    input_messages: list[dict[str, Any]] | None
    output_messages: list[dict[str, Any]] | None
    documents: list[dict[str, Any]] | None
    tool_name: str | None
    tool_arguments: str | None
    tool_result: str | None
    session_id: str | None
    user_id: str | None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)
    resource_attributes: dict[str, Any] = Field(default_factory=dict)
    events: list[dict[str, Any]] = Field(default_factory=list)
    links: list[dict[str, Any]] = Field(default_factory=list)
    dialects: list[str] = Field(default_factory=list)
    unmapped_keys: list[str] = Field(default_factory=list)


class SpanNode(SpanDetail):
    children: list[SpanNode] = Field(default_factory=list)


class TraceDetail(BaseModel):
    trace: TraceSummary
    spans: list[SpanNode] = Field(description="The span tree: root spans, each with its children, by start time.")


class Health(BaseModel):
    status: str
    database: str
    queued_spans: int
    counters: dict[str, int]


class SessionSummary(BaseModel):
    session_id: str
    user_ids: list[str] = Field(description="The distinct user IDs of its traces, sorted.")
    trace_count: int
    first_start: datetime = Field(description="Start of its first trace.")
    last_end: datetime = Field(description="End of its last trace (the list's sort key).")
    duration_ms: float = Field(description="Sum of its traces' durations.")
    error_count: int = Field(description="Traces with at least one failed span.")
    total_tokens: int = Field(description="Sum over its traces; 0 when none reported tokens.")
    cost_usd: float | None = Field(description="Sum over its traces; null when none has a cost.")
    tags: list[str] = Field(description="The union of its traces' tags, sorted.")
    first_input_preview: str | None = Field(description="The input preview of its first trace.")
    last_output_preview: str | None = Field(description="The output preview of its last trace.")


class SessionList(BaseModel):
    sessions: list[SessionSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class SessionDetail(BaseModel):
    session: SessionSummary
    traces: list[TraceSummary] = Field(description="Its traces in start order, at most 1,000.")
    truncated: bool = Field(description="True when the session has more traces than listed.")


class TimelineBucket(BaseModel):
    bucket_start: datetime
    traces: int = Field(description="Traces that started in the bucket.")
    error_traces: int
    error_rate: float = Field(description="error_traces / traces, from 0 to 1.")
    p50_ms: float = Field(description="Trace duration percentiles (interpolated).")
    p95_ms: float
    p99_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = Field(description="Null when no trace in the bucket has a cost.")


class ModelBucket(BaseModel):
    bucket_start: datetime
    model: str
    calls: int = Field(description="Spans with this model that started in the bucket.")
    errors: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    p50_ms: float = Field(description="Span duration percentiles (interpolated).")
    p95_ms: float


class SpanNameStats(BaseModel):
    name: str
    kind: str
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    total_duration_ms: float
    total_tokens: int
    cost_usd: float | None


class Metrics(BaseModel):
    bucket_seconds: int
    start: datetime | None = Field(description="start_after, else the first trace start; null without data.")
    end: datetime | None = Field(description="start_before, else the last trace start; null without data.")
    timeline: list[TimelineBucket] = Field(description="Per bucket of trace start; empty buckets are left out.")
    by_model: list[ModelBucket] = Field(description="Per bucket of span start and model, over spans with a model.")
    by_span_name: list[SpanNameStats] = Field(description="The 50 (name, kind) pairs with the most total duration.")


class ErrorOut(BaseModel):
    """Every refusal of the query API: what is wrong, in one readable line."""

    detail: str


# The refusals any query API route may answer (docs/server.md, docs/security.md), documented
# on each so that clients and schema checkers know them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": meaning}
    for status, meaning in {
        400: "The request breaks a rule of the data (the message says which)",
        401: "No API key while auth is on, or an unknown, malformed or revoked one",
        403: "The key's role may not do this",
        404: "No such row in the caller's project",
        409: "The name is taken in the project",
        413: "The request is too large",
        415: "The body's content type is not one this route reads",
        422: "A parameter or a field of the body is malformed (the message names it)",
        429: "Over the project's limit; retry after Retry-After seconds",
        503: "The database is briefly unavailable; retry",
    }.items()
}
