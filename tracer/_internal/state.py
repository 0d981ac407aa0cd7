"""The SDK's one mutable state. Decorators read ``STATE.otel_tracer`` on every call:
None means "not configured" (or disabled), and the call goes straight to the function."""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.sdk.trace import Tracer, TracerProvider

from tracer._internal.processor import SpanscopeProcessor
from tracer._internal.settings import Settings, resolve_settings


@dataclass
class TracerState:
    settings: Settings = field(default_factory=lambda: resolve_settings({}, env={}))
    otel_tracer: Tracer | None = None
    processor: SpanscopeProcessor | None = None
    # The provider we created, if the application had none.
    own_provider: TracerProvider | None = None
    # Providers our processor is registered with (a provider cannot drop one).
    attached: list[TracerProvider] = field(default_factory=list)
    mask_id: int | None = None


STATE = TracerState()
