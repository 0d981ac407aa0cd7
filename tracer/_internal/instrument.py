"""The decorators: one implementation for every span kind and every kind of function.

Dispatch is on the function type, as in Logfire's ``instrument`` and Langfuse's
``observe``: plain and async functions keep their span open until they return;
generators and async generators keep it open until the stream is exhausted, closed or
cancelled, and every step runs with the span as the current context (a naive wrapper
would end the span when the generator object is created, see OTel's
``util/_decorator.py``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, ParamSpec, Protocol, TypeVar, cast, overload

from opentelemetry import context as otel_context

from tracer._internal.conventions import SPAN_KINDS
from tracer._internal.recording import Call, FunctionInfo, Reducer, StreamRecorder, begin, function_info
from tracer._internal.state import STATE

P = ParamSpec("P")
R = TypeVar("R")
P2 = ParamSpec("P2")
R2 = TypeVar("R2")


def _wrap_function(func: Callable[P, R], info: FunctionInfo) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if STATE.otel_tracer is None:
            return func(*args, **kwargs)
        call = begin(info, args, kwargs)
        if call is None:
            return func(*args, **kwargs)
        try:
            result = func(*args, **kwargs)
        except BaseException as error:
            call.fail(error)
            raise
        call.finish(result)
        return result

    return wrapper


def _wrap_coroutine(func: Callable[P, Awaitable[R]], info: FunctionInfo) -> Callable[P, Awaitable[R]]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if STATE.otel_tracer is None:
            return await func(*args, **kwargs)
        call = begin(info, args, kwargs)
        if call is None:
            return await func(*args, **kwargs)
        try:
            result = await func(*args, **kwargs)
        except BaseException as error:
            call.fail(error)
            raise
        call.finish(result)
        return result

    return wrapper


def _stream_call(info: FunctionInfo, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
    # Not attached: each step attaches the span's context for itself, because the
    # consumer may advance the stream from another context.
    return begin(info, args, kwargs, attach=False)


def _recorder(info: FunctionInfo) -> StreamRecorder:
    return StreamRecorder(STATE.settings.max_value_size, keep_all=info.reduce is not None)


def _wrap_generator(func: Callable[P, Generator[Any, Any, Any]], info: FunctionInfo) -> Callable[P, Any]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, Any]:
        call = _stream_call(info, args, kwargs) if STATE.otel_tracer is not None else None
        if call is None:
            return (yield from func(*args, **kwargs))
        chunks = _recorder(info)
        generator = func(*args, **kwargs)
        to_send: Any = None
        to_throw: BaseException | None = None
        try:
            while True:
                call.attach()
                try:
                    if to_throw is not None:
                        error, to_throw = to_throw, None
                        chunk = generator.throw(error)
                    else:
                        chunk = generator.send(to_send)
                finally:
                    call.detach()
                chunks.add(chunk)
                try:
                    to_send = yield chunk
                except GeneratorExit:
                    raise
                except BaseException as error:  # thrown in by the consumer: pass it on
                    to_throw = error
        except StopIteration as stop:
            call.finish_stream(chunks, completed=True)
            return stop.value
        except GeneratorExit:
            token = otel_context.attach(call.otel_ctx)
            try:
                generator.close()
            finally:
                otel_context.detach(token)
                call.finish_stream(chunks, completed=False)
            raise
        except BaseException as error:
            call.fail(error)
            raise

    return wrapper


def _wrap_async_generator(func: Callable[P, AsyncGenerator[Any, Any]], info: FunctionInfo) -> Callable[P, Any]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        call = _stream_call(info, args, kwargs) if STATE.otel_tracer is not None else None
        if call is None:
            async for item in func(*args, **kwargs):
                yield item
            return
        chunks = _recorder(info)
        generator = func(*args, **kwargs)
        to_send: Any = None
        to_throw: BaseException | None = None
        try:
            while True:
                call.attach()
                try:
                    if to_throw is not None:
                        error, to_throw = to_throw, None
                        chunk = await generator.athrow(error)
                    else:
                        chunk = await generator.asend(to_send)
                finally:
                    call.detach()
                chunks.add(chunk)
                try:
                    to_send = yield chunk
                except GeneratorExit:
                    raise
                except BaseException as error:
                    to_throw = error
        except StopAsyncIteration:
            call.finish_stream(chunks, completed=True)
        except GeneratorExit:
            token = otel_context.attach(call.otel_ctx)
            try:
                await generator.aclose()
            finally:
                otel_context.detach(token)
                call.finish_stream(chunks, completed=False)
            raise
        except BaseException as error:
            call.fail(error)
            raise

    return wrapper


def instrument(func: Callable[P, R], info: FunctionInfo) -> Callable[P, R]:
    if isinstance(func, (classmethod, staticmethod)):
        # @tracer.tool above @classmethod: wrap the function inside, keep the descriptor.
        return cast(Callable[P, R], type(func)(instrument(func.__func__, info)))
    if inspect.isasyncgenfunction(func):
        return cast(Callable[P, R], _wrap_async_generator(func, info))
    if inspect.isgeneratorfunction(func):
        return cast(Callable[P, R], _wrap_generator(func, info))
    if inspect.iscoroutinefunction(func):
        return cast(Callable[P, R], _wrap_coroutine(func, info))
    return _wrap_function(func, info)


class Decorate(Protocol):
    """What ``@tracer.tool(name=...)`` returns: a decorator that keeps the signature."""

    def __call__(self, func: Callable[P, R], /) -> Callable[P, R]: ...


class KindDecorator:
    """``@tracer.<kind>`` bare or called: ``@tracer.tool`` or ``@tracer.tool(name="search")``.

    Options: ``name`` (the span name; default the function's name), ``capture_input`` and
    ``capture_output`` (False keeps arguments or return value out of the span),
    ``reduce`` (joins a stream's chunks into its output; default joins text) and
    ``attributes`` (static attributes for every span). ``@tracer.span`` also takes ``kind``.
    """

    def __init__(self, kind: str, *, accepts_kind: bool = False) -> None:
        self.kind = kind
        self._accepts_kind = accepts_kind

    @overload
    def __call__(self, func: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def __call__(
        self,
        func: None = None,
        /,
        *,
        name: str | None = None,
        kind: str | None = None,
        capture_input: bool = True,
        capture_output: bool = True,
        reduce: Reducer | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Decorate: ...

    def __call__(
        self,
        func: Callable[P, R] | None = None,
        /,
        *,
        name: str | None = None,
        kind: str | None = None,
        capture_input: bool = True,
        capture_output: bool = True,
        reduce: Reducer | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Callable[P, R] | Decorate:
        if kind is not None and not self._accepts_kind:
            raise TypeError(f"@tracer.{self.kind} has its kind already; use @tracer.span(kind=...)")
        span_kind = kind or self.kind
        if span_kind not in SPAN_KINDS:
            raise ValueError(f"unknown span kind {span_kind!r}; choose from {', '.join(SPAN_KINDS)}")

        def decorate(target: Callable[P2, R2]) -> Callable[P2, R2]:
            if not callable(target) and not isinstance(target, (classmethod, staticmethod)):
                raise TypeError(f"@tracer.{self.kind} decorates functions, got {type(target).__name__}")
            inner = target.__func__ if isinstance(target, (classmethod, staticmethod)) else target
            info = function_info(
                inner,
                span_kind,
                name,
                capture_input=capture_input,
                capture_output=capture_output,
                reduce=reduce,
                attributes=attributes,
            )
            return instrument(target, info)

        if func is not None:
            return decorate(func)
        return cast(Decorate, decorate)

    def __repr__(self) -> str:
        return f"<tracer.{self.kind} decorator>"
