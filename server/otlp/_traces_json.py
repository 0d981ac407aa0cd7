"""The OTLP/JSON half of ``decode_traces``: walk orjson's dicts by hand.

``google.protobuf.json_format`` would read the hex IDs as base64 (CONVENTIONS.md), and
building protobuf messages only to walk them again would cost twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from server.model import RawEvent, RawSpan
from server.otlp._common import (
    INT64_MAX,
    Malformed,
    Problem,
    Rejected,
    Rejections,
    check_id,
    check_time,
    check_times,
    clean,
)
from server.otlp._json_values import (
    expect_object,
    fast_id,
    fast_int,
    get,
    get_attributes,
    get_enum,
    get_id,
    get_int,
    get_list,
    get_object,
    get_str,
    load,
)

T = TypeVar("T")
_SPAN_KINDS = dict(Span.SpanKind.items())
_STATUS_CODES = dict(Status.StatusCode.items())


def decode_json(body: bytes, rejections: Rejections) -> list[RawSpan]:
    request = load(body, "ExportTraceServiceRequest")
    spans: list[RawSpan] = []
    try:
        resource_list = get_list(request, "resourceSpans", "resource_spans")
        for index, resource_spans in enumerate(resource_list):
            where = f"resourceSpans[{index}]"
            try:
                _resource_spans(expect_object(resource_spans, "ResourceSpans"), where, spans, rejections)
            except Malformed as problem:
                raise problem.at(where) from None
    except Malformed as problem:
        raise problem.decode_error() from None
    return spans


def _resource_spans(resource_spans: dict[str, Any], where: str, spans: list[RawSpan], rejections: Rejections) -> None:
    scope_list = get_list(resource_spans, "scopeSpans", "scope_spans")
    resource_object = get_object(resource_spans, "resource", "resource")
    try:
        resource = get_attributes(resource_object)
    except Rejected as problem:
        # The resource is shared: every span under it goes with it.
        count = sum(len(get(scope, "spans", "spans") or ()) for scope in scope_list if type(scope) is dict)
        rejections.add(problem.at(".resource").at(where), count)
        return
    except Malformed as problem:
        raise problem.at(".resource") from None
    for scope_index, item in enumerate(scope_list):
        try:
            scope_spans = expect_object(item, "ScopeSpans")
            scope = get_object(scope_spans, "scope", "scope")
            try:
                scope_name = get_str(scope, "name", "name") or None
                scope_version = get_str(scope, "version", "version") or None
            except Malformed as problem:
                raise problem.at(".scope") from None
            span_list = get_list(scope_spans, "spans", "spans")
            for index, span in enumerate(span_list):
                try:
                    spans.append(_span(expect_object(span, "Span"), resource, scope_name, scope_version))
                except Rejected as problem:
                    rejections.add(problem.at(f".spans[{index}]").at(f".scopeSpans[{scope_index}]").at(where))
                except Malformed as problem:
                    raise problem.at(f".spans[{index}]") from None
        except Malformed as problem:
            raise problem.at(f".scopeSpans[{scope_index}]") from None


def _span(span: dict[str, Any], resource: dict[str, Any], scope_name: str | None, scope_version: str | None) -> RawSpan:
    # Each field is read the common way first (camelCase key, expected type); anything
    # else goes through the general getters, which also accept snake_case and raise
    # the precise problem.
    get = span.get
    trace_id = fast_id(get("traceId"), 16) or _id(span, "traceId", "trace_id", 16)
    span_id = fast_id(get("spanId"), 8) or _id(span, "spanId", "span_id", 8)
    parent = get("parentSpanId")
    parent_span_id = fast_id(parent, 8) if parent else None
    if parent_span_id is None:
        # Absent, snake_case, invalid (raises) or zeros, which some exporters send for "no parent".
        get_id(span, "parentSpanId", "parent_span_id", 8)
        parent_span_id = fast_id(get("parent_span_id"), 8)
    start = fast_int(get("startTimeUnixNano"))
    if start is None:
        start = get_int(span, "startTimeUnixNano", "start_time_unix_nano")
    end = fast_int(get("endTimeUnixNano"))
    if end is None:
        end = get_int(span, "endTimeUnixNano", "end_time_unix_nano")
    if start <= 0 or end < start or end > INT64_MAX:
        check_times(start, end)
    name = get("name")
    name = (clean(name) if "\x00" in name else name) if type(name) is str else get_str(span, "name", "name")
    kind = get("kind")
    if type(kind) is not int or not 0 <= kind <= 5:
        kind = get_enum(span, "kind", "kind", _SPAN_KINDS)
    attributes = get_attributes(span)
    events = tuple(_each(get_list(span, "events", "events"), ".events", _event)) if "events" in span else ()
    links = tuple(_each(get_list(span, "links", "links"), ".links", _link)) if "links" in span else ()
    status = get_object(span, "status", "status")
    try:
        status_code = get_enum(status, "code", "code", _STATUS_CODES)
        status_message = get_str(status, "message", "message") or None
    except Malformed as problem:
        raise problem.at(".status") from None
    return RawSpan(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=kind,
        start_time_ns=start,
        end_time_ns=end,
        status_code=status_code,
        status_message=status_message,
        attributes=attributes,
        events=events,
        links=links,
        resource=resource.copy(),  # a copy per span: RawSpans are independent records downstream
        scope_name=scope_name,
        scope_version=scope_version,
    )


def _id(obj: dict[str, Any], camel: str, snake: str, size: int, zero_ok: bool = False) -> str:
    raw = get_id(obj, camel, snake, size)
    try:
        return check_id(raw, size, zero_ok=zero_ok)
    except Rejected as problem:
        raise problem.at("." + camel) from None


def _each(items: list[Any], name: str, decode: Callable[[dict[str, Any]], T]) -> Iterator[T]:
    for index, item in enumerate(items):
        try:
            yield decode(expect_object(item, name[1:-1].capitalize()))
        except Problem as problem:
            raise problem.at(f"{name}[{index}]") from None


def _event(event: dict[str, Any]) -> RawEvent:
    time_ns = get_int(event, "timeUnixNano", "time_unix_nano")
    try:
        check_time(time_ns)
    except Rejected as problem:
        raise problem.at(".timeUnixNano") from None
    return RawEvent(name=get_str(event, "name", "name"), time_ns=time_ns, attributes=get_attributes(event))


def _link(link: dict[str, Any]) -> dict[str, Any]:
    # A link may point at an invalid (zero) context when it carries attributes.
    return {
        "trace_id": _id(link, "traceId", "trace_id", 16, zero_ok=True),
        "span_id": _id(link, "spanId", "span_id", 8, zero_ok=True),
        "attributes": get_attributes(link),
    }
