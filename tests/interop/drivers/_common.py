"""What every interop driver does around its scenario: tracing setup, flushing, output.

A driver runs in a process of its own (instrumentors patch libraries globally, and OTel's
global provider can be set only once). It prints one JSON object on stdout::

    {"traces": {"<scenario>": "<trace id>", ...}, "span_counts": {"<trace id>": <spans>, ...}}

With ``--dump`` it also has ``spans``, the raw spans as the instrumentation made them:
that is how we see which attributes an instrumentation emits.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--collector", required=True, help="Collector base URL, e.g. http://127.0.0.1:4318")
    parser.add_argument("--openai", help="Base URL of the OpenAI API stub, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--exporter",
        choices=("otlp-proto", "spanscope"),
        default="otlp-proto",
        help="otlp-proto: the stock OTLPSpanExporter (protobuf); spanscope: our SDK's tracer.configure (JSON)",
    )
    parser.add_argument("--dump", action="store_true", help="Also print the raw spans")
    return parser.parse_args()


class _CheckedExporter(SpanExporter):
    """Remembers whether every export succeeded: the stock ``force_flush()`` says True
    even when an export failed (CONVENTIONS.md), and a driver must not report lost spans
    as sent."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter
        self.failures = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.exporter.export(spans)
        if result is not SpanExportResult.SUCCESS:
            self.failures += 1
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


class SpanRecorder(SpanProcessor):
    """Keeps the ended spans, to tell each scenario's trace ID and to dump attributes."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self._seen = 0

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)

    def new_trace_id(self) -> str:
        """The trace of the spans ended since the last call; exactly one trace is expected."""
        new, self._seen = self.spans[self._seen :], len(self.spans)
        trace_ids = {format(span.context.trace_id, "032x") for span in new if span.context is not None}
        if len(trace_ids) != 1:
            raise RuntimeError(f"expected the scenario to make one trace, got {sorted(trace_ids)}")
        return trace_ids.pop()


class Tracing:
    """The tracing pipeline of a driver: set up before instrumenting, flushed at the end."""

    def __init__(self, collector: str, exporter: str, service_name: str) -> None:
        self.recorder = SpanRecorder()
        self._checked: _CheckedExporter | None = None
        self._flush: Callable[[], bool]
        endpoint = collector.rstrip("/") + "/v1/traces"
        if exporter == "spanscope":
            import tracer

            # No provider exists yet, so configure() installs a global one; the
            # instrumentations' spans go through it and our JSON exporter.
            tracer.configure(endpoint=endpoint, service_name=service_name)
            provider = trace.get_tracer_provider()
            assert isinstance(provider, TracerProvider)
            self._flush = lambda: tracer.flush(timeout=15)
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource

            provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
            self._checked = _CheckedExporter(OTLPSpanExporter(endpoint=endpoint))
            provider.add_span_processor(BatchSpanProcessor(self._checked))
            trace.set_tracer_provider(provider)
            self._flush = lambda: provider.force_flush(15_000)
        provider.add_span_processor(self.recorder)
        self.provider = provider

    def finish(self, traces: dict[str, str], *, dump: bool) -> None:
        """Flush, then print the trace IDs (and the raw spans with ``dump``). Exits 1 when
        the collector did not take every span."""
        flushed = self._flush()
        if self._checked is not None and self._checked.failures:
            flushed = False
        span_counts = Counter(format(span.context.trace_id, "032x") for span in self.recorder.spans if span.context)
        output: dict[str, Any] = {"traces": traces, "span_counts": span_counts}
        if dump:
            output["spans"] = [_span_json(span) for span in self.recorder.spans]
        print(json.dumps(output, default=str))
        if not flushed:
            print("not every span reached the collector", file=sys.stderr)
            sys.exit(1)


def _span_json(span: ReadableSpan) -> dict[str, Any]:
    context, parent = span.context, span.parent
    return {
        "name": span.name,
        "trace_id": format(context.trace_id, "032x") if context else None,
        "span_id": format(context.span_id, "016x") if context else None,
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
        "attributes": dict(span.attributes or {}),
    }
