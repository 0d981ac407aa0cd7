"""``Span``: the handle users get from ``start_span`` and ``current_span``, with typed helpers.

Every helper is safe: a failure inside is an internal error (logged in production,
raised under pytest), never the application's problem. On a span that does not record
(not configured, sampled out) every helper returns at once.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from opentelemetry import trace as otel_trace
from opentelemetry.trace import Status, StatusCode

from tracer._internal import conventions as attr
from tracer._internal.attribution import coerce_metadata, coerce_tags, current_attribution, merge_tags
from tracer._internal.errors import report_internal_error
from tracer._internal.extract import LLMResponse, Usage, content_parts, normalize_documents, normalize_messages
from tracer._internal.serialize import to_json, to_text, truncate
from tracer._internal.state import STATE

F = TypeVar("F", bound=Callable[..., Any])

_PRIMITIVES = (str, bool, int, float)
_PRIMITIVE_TYPES = frozenset(_PRIMITIVES)


def _safe(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: Span, *args: Any, **kwargs: Any) -> Any:
        if not self.recording:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception:
            report_internal_error(f"Span.{method.__name__}")
            return None

    return cast(F, wrapper)


def _attribute_value(value: Any) -> Any:
    """OTel attribute values are primitives or homogeneous lists of them; JSON for the rest."""
    if type(value) in _PRIMITIVE_TYPES or isinstance(value, _PRIMITIVES):  # exact types first: cheaper
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    return to_json(value)


class Span:
    """A span being recorded. Get one from ``tracer.start_span(...)`` or ``tracer.current_span()``."""

    __slots__ = ("_explicit", "_metadata", "_otel", "_tags", "kind", "recording", "started")

    def __init__(self, otel_span: otel_trace.Span, kind: str = "span") -> None:
        self._otel = otel_span
        self.kind = kind
        self.recording = otel_span.is_recording()
        # Which of input/output/messages the user set by hand, so automatic capture keeps off.
        self._explicit: set[str] = set()
        self._tags: tuple[str, ...] = ()
        self._metadata: dict[str, Any] = {}
        self.started = time.perf_counter()

    # Identity ----------------------------------------------------------------------------

    @property
    def trace_id(self) -> str:
        """The trace ID as 32 hex digits (all zeros when not recording)."""
        return format(self._otel.get_span_context().trace_id, "032x")

    @property
    def span_id(self) -> str:
        """The span ID as 16 hex digits."""
        return format(self._otel.get_span_context().span_id, "016x")

    @property
    def otel_span(self) -> otel_trace.Span:
        """The underlying OpenTelemetry span, for anything the helpers do not cover."""
        return self._otel

    # Content -------------------------------------------------------------------------------

    @_safe
    def set_input(self, value: Any) -> None:
        """Record the span's input (any value; serialized to JSON, bounded)."""
        self._explicit.add("input")
        self._record_value(attr.INPUT_VALUE, attr.INPUT_MIME_TYPE, value)

    @_safe
    def set_output(self, value: Any) -> None:
        """Record the span's output."""
        self._explicit.add("output")
        self._record_value(attr.OUTPUT_VALUE, attr.OUTPUT_MIME_TYPE, value)

    def _record_value(self, key: str, mime_key: str, value: Any) -> str | None:
        if not STATE.settings.capture_content:
            return None
        text, mime = to_text(value, STATE.settings.max_value_size)
        self._otel.set_attributes({key: text, mime_key: mime})
        return text

    @_safe
    def set_messages(self, input: Any = None, output: Any = None, *, system: Any = None) -> None:
        """Chat messages (OpenAI, Anthropic or LangChain style, or plain strings)."""
        if not STATE.settings.capture_content:
            return
        limit = STATE.settings.max_value_size
        if input is not None:
            self._explicit.add("input_messages")
            self._otel.set_attribute(attr.INPUT_MESSAGES, truncate(to_json(normalize_messages(input)), limit))
        if output is not None:
            self._explicit.add("output_messages")
            output_messages = normalize_messages(output, default_role="assistant")
            self._otel.set_attribute(attr.OUTPUT_MESSAGES, truncate(to_json(output_messages), limit))
        if system is not None:
            # A string, or Anthropic-style content blocks.
            self._otel.set_attribute(attr.SYSTEM_INSTRUCTIONS, truncate(to_json(content_parts(system)), limit))

    @_safe
    def set_documents(self, documents: Iterable[Any]) -> None:
        """Retrieved or reranked documents: strings, dicts (id, content, score, metadata),
        LangChain-style documents or (document, score) pairs. Order is rank."""
        self._explicit.add("documents")
        self._record_documents(list(documents))

    def _record_documents(self, value: Any) -> str | None:
        documents = normalize_documents(value)
        if documents is None:
            return None
        if not STATE.settings.capture_content:
            documents = [{key: doc[key] for key in ("id", "score") if key in doc} for doc in documents]
        text = truncate(to_json(documents), STATE.settings.max_value_size)
        self._otel.set_attribute(attr.RETRIEVAL_DOCUMENTS, text)
        return text

    # Models and usage ------------------------------------------------------------------------

    @_safe
    def set_model(self, model: str, provider: str | None = None, *, response_model: str | None = None) -> None:
        """The model asked for, its provider (``openai``, ``anthropic``...) and the model that answered."""
        attributes: dict[str, Any] = {attr.REQUEST_MODEL: model, attr.OPENINFERENCE_MODEL: response_model or model}
        if response_model:
            attributes[attr.RESPONSE_MODEL] = response_model
        if provider:
            attributes[attr.PROVIDER] = provider
            attributes[attr.OPENINFERENCE_PROVIDER] = provider
        self._otel.set_attributes(attributes)

    @_safe
    def set_usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        *,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> None:
        """Token usage. ``input_tokens`` counts all input tokens, cached ones included."""
        self._explicit.add("usage")
        self._record_usage(Usage(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens))

    def _record_usage(self, usage: Usage) -> None:
        pairs = (
            (attr.INPUT_TOKENS, usage.input_tokens),
            (attr.OUTPUT_TOKENS, usage.output_tokens),
            (attr.CACHE_READ_TOKENS, usage.cache_read_tokens),
            (attr.CACHE_WRITE_TOKENS, usage.cache_write_tokens),
            (attr.REASONING_TOKENS, usage.reasoning_tokens),
            (attr.OPENINFERENCE_PROMPT_TOKENS, usage.input_tokens),
            (attr.OPENINFERENCE_COMPLETION_TOKENS, usage.output_tokens),
        )
        attributes = {key: int(value) for key, value in pairs if value is not None}
        if usage.input_tokens is not None and usage.output_tokens is not None:
            attributes[attr.OPENINFERENCE_TOTAL_TOKENS] = int(usage.input_tokens + usage.output_tokens)
        self._otel.set_attributes(attributes)

    def _record_llm_response(self, response: LLMResponse) -> None:
        attributes: dict[str, Any] = {}
        if response.model:
            attributes[attr.RESPONSE_MODEL] = response.model
            attributes[attr.OPENINFERENCE_MODEL] = response.model
        if response.provider:
            attributes[attr.PROVIDER] = response.provider
            attributes[attr.OPENINFERENCE_PROVIDER] = response.provider
        if response.response_id:
            attributes[attr.RESPONSE_ID] = str(response.response_id)
        if response.finish_reasons:
            attributes[attr.FINISH_REASONS] = tuple(response.finish_reasons)
        if response.output_messages and STATE.settings.capture_content and "output_messages" not in self._explicit:
            limit = STATE.settings.max_value_size
            attributes[attr.OUTPUT_MESSAGES] = truncate(to_json(response.output_messages), limit)
        self._otel.set_attributes(attributes)
        if "usage" not in self._explicit:
            self._record_usage(response.usage)

    # Tools, metadata, tags ------------------------------------------------------------------

    @_safe
    def set_tool_call(self, name: str, arguments: Any = None, result: Any = None) -> None:
        """A tool call: the tool's name, its arguments and its result."""
        attributes: dict[str, Any] = {attr.TOOL_NAME: name, attr.OPENINFERENCE_TOOL_NAME: name}
        if STATE.settings.capture_content:
            limit = STATE.settings.max_value_size
            if arguments is not None:
                attributes[attr.TOOL_ARGUMENTS] = to_text(arguments, limit)[0]
            if result is not None:
                attributes[attr.TOOL_RESULT] = to_text(result, limit)[0]
        self._otel.set_attributes(attributes)

    @_safe
    def set_metadata(self, metadata: Mapping[str, Any] | None = None, **values: Any) -> None:
        """Merge key/values into the span's metadata (on top of ``tracer.context`` metadata)."""
        self._metadata.update(coerce_metadata({**(metadata or {}), **values}))
        parent = current_attribution.get()
        merged = {**(parent.metadata if parent else {}), **self._metadata}
        self._otel.set_attribute(attr.METADATA, to_json(merged))

    @_safe
    def add_tags(self, *tags: str) -> None:
        """Add tags to the span (on top of ``tracer.context`` tags)."""
        self._tags = merge_tags(self._tags, coerce_tags(tags))
        parent = current_attribution.get()
        self._otel.set_attribute(attr.TAGS, merge_tags(parent.tags if parent else (), self._tags))

    @_safe
    def set_attribute(self, key: str, value: Any) -> None:
        """Any attribute; values that are not primitives are stored as JSON."""
        self._otel.set_attribute(key, _attribute_value(value))

    @_safe
    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        self._otel.set_attributes({key: _attribute_value(value) for key, value in attributes.items()})

    # Errors and ending ----------------------------------------------------------------------

    def record_error(self, error: BaseException) -> None:
        """Mark the span failed: ERROR status, ``error.type`` and an exception event with stack."""
        if not self.recording:
            return
        try:
            description = (
                "cancelled" if type(error).__name__ == "CancelledError" else f"{type(error).__name__}: {error}"
            )
            self._otel.set_status(Status(StatusCode.ERROR, truncate(description, 1000)))
            self._otel.set_attribute(attr.ERROR_TYPE, type(error).__qualname__)
            self._otel.record_exception(error, escaped=True)
        except Exception:
            report_internal_error("Span.record_error")

    def end(self) -> None:
        try:
            self._otel.end()
        except Exception:
            report_internal_error("Span.end")


# The handle of the innermost span our SDK started, so current_span() returns the same
# object the decorator will finish (and explicit set_output() wins over the return value).
current_handle: ContextVar[Span | None] = ContextVar("spanscope_span", default=None)


def current_span() -> Span:
    """The span of the code that is running now (a no-op span outside any span)."""
    otel_span = otel_trace.get_current_span()
    handle = current_handle.get()
    if handle is not None and handle._otel is otel_span:
        return handle
    return Span(otel_span)
