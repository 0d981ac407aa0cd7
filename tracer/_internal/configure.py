"""``tracer.configure()``, ``flush()``, ``stats()`` and ``shutdown()``."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes

from tracer._internal import errors
from tracer._internal.export.encoder import SpanEncoder
from tracer._internal.export.pipeline import ExportPipeline, ExportStats
from tracer._internal.export.transport import HttpTransport, Transport
from tracer._internal.processor import SpanscopeProcessor
from tracer._internal.scores import SENDER
from tracer._internal.settings import Settings, resolve_settings
from tracer._internal.state import STATE

logger = logging.getLogger("spanscope")

SCOPE_NAME = "spanscope.tracer"
_TRACE_ID_LIMIT = (1 << 64) - 1
_SHUTDOWN_TIMEOUT = 5.0


class RatioSampler(Sampler):
    """ParentBased(TraceIdRatioBased(rate)) in one step, with a rate ``configure()`` can
    change later (tracers keep a reference to their provider's sampler object).

    Same decisions as the stock pair: follow a valid parent's sampled flag, otherwise keep
    a trace when the low 64 bits of its ID fall under the rate's bound. One call instead
    of three layers matters on a path that runs for every span.
    """

    def __init__(self, rate: float) -> None:
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.bound = TraceIdRatioBased.get_bound_for_rate(rate)

    def should_sample(  # noqa: PLR0917 - the signature is OpenTelemetry's
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        parent = otel_trace.get_current_span(parent_context).get_span_context()
        if parent.is_valid:
            keep, parent_state = parent.trace_flags.sampled, parent.trace_state
        else:
            keep, parent_state = trace_id & _TRACE_ID_LIMIT < self.bound, None
        if keep:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent_state)
        return SamplingResult(Decision.DROP, None, parent_state)

    def get_description(self) -> str:
        return f"ParentBased{{TraceIdRatioBased{{{self.rate}}}}}"


def _transport(settings: Settings) -> Transport:
    headers = dict(settings.headers)
    if settings.api_key:
        headers["authorization"] = f"Bearer {settings.api_key}"
    if settings.project:
        headers["x-spanscope-project"] = settings.project
    return HttpTransport(settings.endpoint, headers, settings.export_timeout, settings.compression)


def _pipeline(settings: Settings, transport: Transport) -> ExportPipeline:
    return ExportPipeline(
        transport,
        max_queue_bytes=settings.max_queue_bytes,
        batch_size=settings.export_batch_size,
        interval=settings.export_interval,
        max_retry_time=settings.max_retry_time,
    )


def _choose_provider(settings: Settings, explicit: TracerProvider | None) -> tuple[TracerProvider, bool]:
    """The provider to use and whether it is ours. The application's own provider wins,
    so its existing instrumentation and ours end up in the same traces."""
    if explicit is not None:
        return explicit, False
    if STATE.own_provider is not None:
        return STATE.own_provider, True
    current = otel_trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current, False
    attributes = {SERVICE_NAME: settings.service_name} if settings.service_name else {}
    provider = TracerProvider(resource=Resource.create(attributes), sampler=RatioSampler(1.0))
    otel_trace.set_tracer_provider(provider)
    STATE.own_provider = provider
    return provider, True


def install(
    settings: Settings,
    transport: Transport,
    mask: Callable[[str], str] | None,
    provider: TracerProvider | None = None,
) -> None:
    """Put a configuration in place (``configure`` and ``tracer.testing`` both call this)."""
    errors.set_raise_setting(settings.raise_internal_errors)
    encoder = SpanEncoder(mask)
    pipeline = _pipeline(settings, transport)
    chosen, ours = _choose_provider(settings, provider)
    if ours and isinstance(chosen.sampler, RatioSampler):
        chosen.sampler.set_rate(settings.sample_rate)
    elif settings.service_name and chosen.resource.attributes.get(SERVICE_NAME) != settings.service_name:
        logger.warning(
            "spanscope: the application's TracerProvider sets service.name; service_name=%r is not applied",
            settings.service_name,
        )
    sample_rate = None if ours or settings.sample_rate >= 1.0 else settings.sample_rate
    if STATE.processor is None:
        STATE.processor = SpanscopeProcessor(encoder, pipeline, sample_rate)
        old = None
    else:
        old = STATE.processor.use(encoder, pipeline, sample_rate)
    if not any(chosen is attached for attached in STATE.attached):
        chosen.add_span_processor(STATE.processor)
        STATE.attached.append(chosen)
    STATE.settings = settings
    STATE.otel_tracer = chosen.get_tracer(SCOPE_NAME)  # type: ignore[assignment]
    if old is not None:
        old.shutdown(_SHUTDOWN_TIMEOUT)


def configure(
    *,
    endpoint: str | None = None,
    project: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    capture_content: bool | None = None,
    mask: Callable[[str], str] | None = None,
    sample_rate: float | None = None,
    max_value_size: int | None = None,
    headers: dict[str, str] | None = None,
    compression: str | None = None,
    max_queue_bytes: int | None = None,
    export_batch_size: int | None = None,
    export_interval: float | None = None,
    export_timeout: float | None = None,
    max_retry_time: float | None = None,
    enabled: bool | None = None,
    tracer_provider: TracerProvider | None = None,
) -> None:
    """Start sending spans to a Spanscope collector (or any OTLP/HTTP endpoint).

    Each argument overrides its ``SPANSCOPE_*`` variable, which overrides the standard
    ``OTEL_*`` one (see docs/configuration.md). Calling it again with the same values
    changes nothing; with other values it flushes and replaces the exporter. A bad value
    raises ``SettingError`` (a ValueError) that names the setting::

        import tracer
        tracer.configure(service_name="support-bot", mask=tracer.redact("email"))
    """
    if mask is not None and not callable(mask):
        raise TypeError(f"mask must be a callable taking and returning a string, got {type(mask).__name__}")
    explicit = {name: value for name, value in locals().items() if value is not None}
    explicit.pop("mask", None)
    explicit.pop("tracer_provider", None)
    settings = resolve_settings(explicit)
    if (
        STATE.otel_tracer is not None
        and settings == STATE.settings
        and STATE.mask_id == id(mask)
        and (tracer_provider is None or any(tracer_provider is p for p in STATE.attached))
    ):
        return
    if not settings.enabled:
        STATE.otel_tracer = None
        STATE.settings = settings
        return
    install(settings, _transport(settings), mask, tracer_provider)
    STATE.mask_id = id(mask)
    _register_exit_flush()


_exit_registered = False


def _register_exit_flush() -> None:
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        atexit.register(_flush_at_exit)


def _flush_at_exit() -> None:
    processor = STATE.processor
    if processor is not None:
        processor.pipeline.shutdown(_SHUTDOWN_TIMEOUT)


def flush(timeout: float | None = 30.0) -> bool:
    """Wait until the spans ended so far and the scores given so far (``tracer.score``) are
    sent. True only when every one of them was acknowledged by the collector (and none was
    dropped since the last flush)."""
    processor = STATE.processor
    try:
        spans_sent = True if processor is None else processor.pipeline.flush(timeout)
        return SENDER.flush(timeout) and spans_sent
    except Exception:
        errors.report_internal_error("flush")
        return False


def stats() -> ExportStats:
    """Counters of the exporter: exported, dropped, failed, queued, retries."""
    processor = STATE.processor
    if processor is None:
        return ExportStats(0, 0, 0, 0, 0, 0, 0, errors.internal_error_count())
    return processor.pipeline.stats()


def shutdown(timeout: float = _SHUTDOWN_TIMEOUT) -> bool:
    """Flush, stop exporting and turn the decorators back into no-ops."""
    STATE.otel_tracer = None
    processor = STATE.processor
    if processor is None:
        return True
    return processor.pipeline.shutdown(timeout)
