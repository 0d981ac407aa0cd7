"""The span processor we add to the TracerProvider (ours, or the application's own)."""

from __future__ import annotations

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

from tracer._internal.attribution import current_attribution
from tracer._internal.errors import report_internal_error
from tracer._internal.export.encoder import SpanEncoder
from tracer._internal.export.pipeline import ExportPipeline

_TRACE_ID_LIMIT = (1 << 64) - 1


def _bound(sample_rate: float | None) -> int | None:
    return None if sample_rate is None else TraceIdRatioBased.get_bound_for_rate(sample_rate)


class SpanscopeProcessor(SpanProcessor):
    """Stamps context attribution on span start; encodes and queues spans on end.

    A provider cannot drop a processor, so this object stays registered and
    ``configure()`` swaps the pipeline and encoder inside it.
    """

    def __init__(self, encoder: SpanEncoder, pipeline: ExportPipeline, sample_rate: float | None) -> None:
        self.encoder = encoder
        self.pipeline = pipeline
        # Set when the application's own provider samples: we then keep a trace-ID ratio
        # ourselves, consistent across a trace as TraceIdRatioBased is.
        self.ratio_bound = _bound(sample_rate)

    def use(self, encoder: SpanEncoder, pipeline: ExportPipeline, sample_rate: float | None) -> ExportPipeline:
        """Switch to a new pipeline; returns the old one for the caller to shut down."""
        old = self.pipeline
        self.encoder, self.pipeline = encoder, pipeline
        self.ratio_bound = _bound(sample_rate)
        return old

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        attribution = current_attribution.get()
        if attribution is not None and attribution.attributes:
            try:
                span.set_attributes(attribution.attributes)
            except Exception:
                report_internal_error("span start")

    def on_end(self, span: ReadableSpan) -> None:
        try:
            bound = self.ratio_bound
            if bound is not None and span.context.trace_id & _TRACE_ID_LIMIT >= bound:
                return
            self.pipeline.submit(self.encoder.encode(span))
        except Exception:
            report_internal_error("span end")

    def shutdown(self) -> None:
        self.pipeline.shutdown(timeout=5.0)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.pipeline.flush(timeout_millis / 1000)
