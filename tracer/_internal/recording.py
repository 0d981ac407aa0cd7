"""What a traced call records automatically: arguments in, return value out, by span kind.

Shared by the decorators (``instrument.py``) and ``start_span``. ``Call`` owns one span
and its context token; ``begin`` never raises into the caller (it returns None and the
function runs untraced), ``finish``/``fail`` always end the span and detach the context.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from contextvars import Token
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace

from tracer._internal import conventions as attr
from tracer._internal.errors import report_internal_error
from tracer._internal.extract import chunk_text, get, parse_embedding_response, parse_llm_response
from tracer._internal.serialize import to_text, truncate
from tracer._internal.span import Span, current_handle
from tracer._internal.state import STATE

Reducer = Callable[[list[Any]], Any]


@dataclass
class FunctionInfo:
    """What the wrapper needs about the function, worked out once at decoration time."""

    name: str
    kind: str
    start_attributes: dict[str, Any]
    positional: tuple[str, ...] = ()
    var_positional: str | None = None
    defaults: tuple[tuple[str, Any], ...] = ()
    drop: str | None = None  # "self" or "cls"
    capture_input: bool = True
    capture_output: bool = True
    reduce: Reducer | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def kind_attributes(kind: str, name: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {attr.SPANSCOPE_KIND: kind}
    if kind in attr.OPENINFERENCE_KINDS:
        attributes[attr.OPENINFERENCE_KIND] = attr.OPENINFERENCE_KINDS[kind]
    if kind in attr.GEN_AI_OPERATIONS:
        attributes[attr.GEN_AI_OPERATION] = attr.GEN_AI_OPERATIONS[kind]
    if kind == "tool":
        attributes[attr.TOOL_NAME] = name
        attributes[attr.OPENINFERENCE_TOOL_NAME] = name
    elif kind == "agent":
        attributes[attr.AGENT_NAME] = name
    return attributes


def function_info(
    func: Callable[..., Any],
    kind: str,
    name: str | None,
    *,
    capture_input: bool,
    capture_output: bool,
    reduce: Reducer | None,
    attributes: dict[str, Any] | None,
) -> FunctionInfo:
    span_name = name or getattr(func, "__name__", None) or type(func).__name__
    start = kind_attributes(kind, span_name)
    if kind == "tool":
        description = inspect.getdoc(func)
        if description:
            start[attr.TOOL_DESCRIPTION] = description.split("\n\n", 1)[0]
    if attributes:
        start.update(attributes)
    info = FunctionInfo(
        span_name, kind, start, capture_input=capture_input, capture_output=capture_output, reduce=reduce
    )
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # some builtins have no signature
        return info
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    info.positional = tuple(p.name for p in parameters if p.kind in positional_kinds)
    info.var_positional = next((p.name for p in parameters if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
    info.defaults = tuple(
        (p.name, p.default)
        for p in parameters
        if p.default is not inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
    )
    if info.positional and info.positional[0] in ("self", "cls"):
        info.drop = info.positional[0]
    return info


def bind_arguments(info: FunctionInfo, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Arguments by parameter name, defaults filled in; much cheaper than Signature.bind."""
    positional = info.positional
    bound = dict(zip(positional, args, strict=False))
    if len(args) > len(positional):
        bound[info.var_positional or "args"] = args[len(positional) :]
    if kwargs:
        bound.update(kwargs)
    for parameter, default in info.defaults:
        if parameter not in bound:
            bound[parameter] = default
    if info.drop is not None:
        bound.pop(info.drop, None)
    return bound


class Call:
    """One traced call in progress."""

    __slots__ = ("_handle_token", "_token", "info", "otel_ctx", "span")

    def __init__(self, span: Span, info: FunctionInfo, otel_ctx: otel_context.Context) -> None:
        self.span = span
        self.info = info
        self.otel_ctx = otel_ctx
        self._token: object | None = None
        self._handle_token: Token[Span | None] | None = None

    def attach(self) -> None:
        self._token = otel_context.attach(self.otel_ctx)
        self._handle_token = current_handle.set(self.span)

    def detach(self) -> None:
        if self._handle_token is not None:
            try:
                current_handle.reset(self._handle_token)
            except ValueError:  # detached in another context (a generator moved between tasks)
                current_handle.set(None)
            self._handle_token = None
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]
            self._token = None

    def finish(self, result: Any) -> None:
        try:
            if self.span.recording and self.info.capture_output:
                record_output(self.span, self.info, result)
        except Exception:
            report_internal_error("recording the output")
        finally:
            self.detach()
            self.span.end()

    def finish_stream(self, chunks: StreamRecorder, completed: bool) -> None:
        try:
            if self.span.recording:
                self.span._otel.set_attribute(attr.STREAM_COMPLETED, completed)
                if chunks.first_chunk_at is not None:
                    ttfc = chunks.first_chunk_at - self.span.started
                    self.span._otel.set_attribute(attr.TIME_TO_FIRST_CHUNK, ttfc)
                if self.info.kind == "llm":
                    stream_llm_summary(self.span, chunks.chunks)
                if self.info.capture_output:
                    record_output(self.span, self.info, chunks.result(self.info.reduce))
        except Exception:
            report_internal_error("recording the stream")
        finally:
            self.detach()
            self.span.end()

    def fail(self, error: BaseException) -> None:
        try:
            self.span.record_error(error)
        finally:
            self.detach()
            self.span.end()


def begin(info: FunctionInfo, args: tuple[Any, ...], kwargs: dict[str, Any], *, attach: bool = True) -> Call | None:
    """Start the span for one call. None if the SDK failed: the caller runs untraced."""
    otel_tracer = STATE.otel_tracer
    if otel_tracer is None:
        return None
    try:
        attributes = info.start_attributes
        bound = None
        if info.capture_input and STATE.settings.capture_content:
            bound = bind_arguments(info, args, kwargs)
            # Passed at start: one attribute update for the span instead of two.
            attributes = {**attributes, **input_attributes(info.kind, bound)}
        otel_span = otel_tracer.start_span(info.name, attributes=attributes)
        span = Span(otel_span, info.kind)
        call = Call(span, info, otel_trace.set_span_in_context(otel_span))
        if attach:
            call.attach()
    except Exception:
        report_internal_error("starting a span")
        return None
    if bound is not None and info.kind == "llm" and span.recording:
        messages = bound.get("messages")
        if messages is None:
            messages = bound.get("prompt")
        if messages is not None or bound.get("system") is not None:
            span.set_messages(input=messages, system=bound.get("system"))
    return call


def input_attributes(kind: str, bound: dict[str, Any]) -> dict[str, Any]:
    """The attributes a call's arguments give, by span kind."""
    limit = STATE.settings.max_value_size
    text, mime = to_text(bound, limit)
    attributes: dict[str, Any] = {attr.INPUT_VALUE: text, attr.INPUT_MIME_TYPE: mime}
    if kind == "tool":
        attributes[attr.TOOL_ARGUMENTS] = text
    elif kind == "llm":
        model = bound.get("model")
        if isinstance(model, str):
            attributes[attr.REQUEST_MODEL] = model
            attributes[attr.OPENINFERENCE_MODEL] = model
        for argument, key in attr.REQUEST_PARAMETERS.items():
            value = bound.get(argument)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attributes[key] = value
            elif argument == "stop" and isinstance(value, (str, list, tuple)) and value:
                attributes[key] = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
    elif kind in ("retriever", "reranker"):
        query = bound.get("query")
        if isinstance(query, str):
            attributes[attr.RETRIEVAL_QUERY] = truncate(query, limit)
    elif kind == "embedding":
        model = bound.get("model")
        if isinstance(model, str):
            attributes[attr.REQUEST_MODEL] = model
    return attributes


def record_output(span: Span, info: FunctionInfo, result: Any) -> None:
    if not STATE.settings.capture_content:
        # Structure (model, usage) still counts: it is not content.
        _record_structure(span, info.kind, result)
        return
    explicit = span._explicit
    kind = info.kind
    text = None
    if kind in ("retriever", "reranker") and "documents" not in explicit:
        text = span._record_documents(result)
        if text is not None and "output" not in explicit:
            span._otel.set_attributes({attr.OUTPUT_VALUE: text, attr.OUTPUT_MIME_TYPE: "application/json"})
            return
    if kind == "embedding":
        _record_structure(span, kind, result)
        if "output" not in explicit:
            span.set_output(_embedding_summary(result))
        return
    if "output" not in explicit:
        text = span._record_value(attr.OUTPUT_VALUE, attr.OUTPUT_MIME_TYPE, result)
    if kind == "tool" and text is not None:
        span._otel.set_attribute(attr.TOOL_RESULT, text)
    elif kind == "llm":
        if isinstance(result, str) and "output_messages" not in explicit:
            # A function (or stream) that returns the answer's text: that is the reply.
            span.set_messages(output=result)
        _record_structure(span, kind, result)


def _record_structure(span: Span, kind: str, result: Any) -> None:
    if kind == "llm":
        response = parse_llm_response(result)
        if response is not None:
            span._record_llm_response(response)
    elif kind == "embedding":
        parsed = parse_embedding_response(result)
        if parsed is not None:
            model, usage = parsed
            if model:
                span._otel.set_attribute(attr.RESPONSE_MODEL, model)
            if "usage" not in span._explicit:
                span._record_usage(usage)
    elif kind in ("retriever", "reranker") and "documents" not in span._explicit:
        span._record_documents(result)


def _embedding_summary(result: Any) -> Any:
    """Vectors are large and unreadable: record how many and how long, not the numbers."""
    data = get(result, "data") if not isinstance(result, (list, tuple)) else None
    vectors = [get(item, "embedding") for item in data] if isinstance(data, list) else result
    if isinstance(vectors, (list, tuple)) and vectors:
        if all(isinstance(v, (int, float)) for v in vectors[:8]):
            return f"1 vector of {len(vectors)} dimensions"
        first = vectors[0]
        if isinstance(first, (list, tuple)):
            return f"{len(vectors)} vectors of {len(first)} dimensions"
    return result


class StreamRecorder:
    """Collects a stream's chunks for its output, bounded in memory."""

    __slots__ = ("_keep_all", "_limit", "_size", "chunks", "count", "first_chunk_at")

    def __init__(self, limit: int, keep_all: bool) -> None:
        self.chunks: list[Any] = []
        self.first_chunk_at: float | None = None
        self.count = 0
        self._size = 0
        self._limit = limit
        self._keep_all = keep_all

    def add(self, chunk: Any) -> None:
        if self.first_chunk_at is None:
            self.first_chunk_at = time.perf_counter()
        self.count += 1
        if self._keep_all:
            self.chunks.append(chunk)
        elif self._size <= self._limit:
            self.chunks.append(chunk)
            self._size += len(chunk) if isinstance(chunk, str) else 64

    def result(self, reduce: Reducer | None) -> Any:
        if reduce is not None:
            return reduce(self.chunks)
        texts = [chunk_text(chunk) for chunk in self.chunks]
        if self.chunks and all(text is not None for text in texts):
            joined = "".join(text for text in texts if text)
            return joined if self._size <= self._limit else truncate(joined, self._limit)
        return self.chunks


def stream_llm_summary(span: Span, chunks: list[Any]) -> None:
    """OpenAI streams carry the model in every chunk and usage in the last one."""
    for chunk in chunks[:1]:
        model = get(chunk, "model")
        if isinstance(model, str):
            span._otel.set_attribute(attr.RESPONSE_MODEL, model)
    for chunk in reversed(chunks[-2:]):
        usage = get(chunk, "usage")
        if usage is not None:
            response = parse_llm_response({"model": get(chunk, "model") or "", "choices": [], "usage": usage})
            if response is not None:
                span._record_usage(response.usage)
            break
