"""``with tracer.start_span("rerank", kind="reranker") as span:`` (and ``async with``)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from opentelemetry import trace as otel_trace

from tracer._internal.conventions import SPAN_KINDS
from tracer._internal.recording import Call, FunctionInfo, begin, kind_attributes
from tracer._internal.span import Span

_NOT_RECORDING = Span(otel_trace.INVALID_SPAN)


class start_span:  # noqa: N801 - used as tracer.start_span(...), like a function
    """Trace a block of code as one span; the block's exception, if any, marks it failed.

    ::

        with tracer.start_span("rerank", kind="reranker") as span:
            span.set_documents(ranked)
    """

    def __init__(
        self, name: str, kind: str = "span", *, input: Any = None, attributes: dict[str, Any] | None = None
    ) -> None:
        if kind not in SPAN_KINDS:
            raise ValueError(f"unknown span kind {kind!r}; choose from {', '.join(SPAN_KINDS)}")
        start_attributes = kind_attributes(kind, name)
        if attributes:
            start_attributes.update(attributes)
        # No arguments to bind: input, if any, is recorded through the span helper.
        self._info = FunctionInfo(name, kind, start_attributes, capture_input=False, capture_output=False)
        self._input = input
        self._call: Call | None = None

    def __enter__(self) -> Span:
        self._call = begin(self._info, (), {})
        if self._call is None:
            return _NOT_RECORDING
        if self._input is not None:
            self._call.span.set_input(self._input)
        return self._call.span

    def __exit__(
        self, exc_type: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        call, self._call = self._call, None
        if call is None:
            return
        if error is not None:
            call.fail(error)
        else:
            call.finish(None)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, error, tb)
