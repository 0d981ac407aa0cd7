"""Response models of the read API (what /openapi.json publishes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
