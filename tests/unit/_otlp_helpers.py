"""Request bodies for the OTLP decoder tests, from the real encoders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tracer._internal.export.encoder import SpanEncoder
from tracer._internal.export.pipeline import Batch

NESTED = {"messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}], "n": 2, "ok": True}


def sdk_spans() -> list[ReadableSpan]:
    """A small agent trace from a real TracerProvider: every kind, status, event, link."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "svc", "deployment.environment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("my.scope", "1.2.3")
    with tracer.start_as_current_span("invoke_agent planner", kind=SpanKind.SERVER) as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span(
            "chat gpt-4o",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.request.temperature": 0.5,
                "gen_ai.input.messages": NESTED,  # SDK 1.45 accepts dict values
                "tag.tags": ["a", "b"],
                "flags": [True, False],
                "scores": [0.5, 1.5],
            },
        ) as llm:
            llm.add_event("gen_ai.choice", {"index": 0, "finish_reason": "stop"})
        with tracer.start_as_current_span(
            "execute_tool search", links=[Link(llm.get_span_context(), {"link.kind": "caused_by"})]
        ) as tool:
            tool.set_status(Status(StatusCode.ERROR, "tool timed out"))
        for kind in (SpanKind.PRODUCER, SpanKind.CONSUMER):
            with tracer.start_as_current_span(f"queue {kind.name}", kind=kind):
                pass
        root.set_status(Status(StatusCode.OK))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def protobuf_body(spans: Sequence[ReadableSpan]) -> bytes:
    """What the stock OTLPSpanExporter sends."""
    return bytes(encode_spans(spans).SerializeToString())


def json_body(spans: Sequence[ReadableSpan]) -> bytes:
    """What our SDK sends."""
    encoder = SpanEncoder()
    batch = Batch(1)
    for seq, span in enumerate(spans, 1):
        batch.add(seq, encoder.encode(span))
    return batch.request_body()


def json_request(*spans: dict[str, Any], resource: dict[str, Any] | None = None) -> dict[str, Any]:
    """A hand-written OTLP/JSON request around ``spans``."""
    return {
        "resourceSpans": [
            {
                "resource": resource or {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeSpans": [{"scope": {"name": "s"}, "spans": list(spans)}],
            }
        ]
    }


def json_span(**fields: Any) -> dict[str, Any]:
    """A valid OTLP/JSON span; ``fields`` override or (with None) remove its fields."""
    span: dict[str, Any] = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "b7ad6b7169203331",
        "name": "span",
        "kind": 1,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
    }
    for key, value in fields.items():
        if value is None:
            span.pop(key, None)
        else:
            span[key] = value
    return span
