"""Decode an OTLP ExportTraceServiceRequest (protobuf or JSON) into RawSpans.

Invalid spans (bad IDs, impossible times, values nested too deep) are rejected one by
one while the rest of the request is kept: the collector then answers 200 with
``partial_success`` (OTLP specification). A body that cannot be read at all raises
OtlpDecodeError (400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from server.model import RawEvent, RawSpan
from server.otlp import _proto_values
from server.otlp._common import INT64_MAX, Rejected, Rejections, check_id, check_time, check_times, clean
from server.otlp._traces_json import decode_json
from server.otlp.errors import OtlpDecodeError
from server.otlp.wire import wire_format

_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


@dataclass(slots=True)
class DecodedTraces:
    """The valid spans of a request, and what was rejected (for ``partial_success``)."""

    spans: list[RawSpan]
    rejected: int = 0
    errors: list[str] = field(default_factory=list)  # the first few rejections, described

    @property
    def error_message(self) -> str:
        """The rejections in one line, for ``partial_success.error_message``."""
        more = self.rejected - len(self.errors)
        return "; ".join(self.errors) + (f"; and {more} more rejected" if more > 0 else "")


def decode_traces(body: bytes, content_type: str) -> DecodedTraces:
    """Decode a request body (already decompressed, see ``read_body``).

    >>> decode_traces(b"{}", "application/json")
    DecodedTraces(spans=[], rejected=0, errors=[])
    """
    rejections = Rejections()
    decode = decode_json if wire_format(content_type) == "json" else _decode_protobuf
    spans = decode(body, rejections)
    return DecodedTraces(spans, rejections.count, rejections.messages)


def _decode_protobuf(body: bytes, rejections: Rejections) -> list[RawSpan]:
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError as error:  # upb also raises it for invalid UTF-8 and excessive nesting
        raise OtlpDecodeError(f"body is not a valid protobuf ExportTraceServiceRequest: {error}") from None
    spans: list[RawSpan] = []
    append = spans.append
    for resource_index, resource_spans in enumerate(request.resource_spans):
        try:
            resource = _proto_values.attributes(resource_spans.resource.attributes)
        except Rejected as problem:
            # The resource is shared: every span under it goes with it.
            count = sum(len(scope_spans.spans) for scope_spans in resource_spans.scope_spans)
            rejections.add(problem.at(f"resourceSpans[{resource_index}].resource.attributes"), count)
            continue
        for scope_index, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope
            scope_name = clean(scope.name) or None
            scope_version = clean(scope.version) or None
            for index, span in enumerate(scope_spans.spans):
                try:
                    append(_span(span, resource, scope_name, scope_version))
                except Rejected as problem:
                    rejections.add(
                        problem.at(f"resourceSpans[{resource_index}].scopeSpans[{scope_index}].spans[{index}]")
                    )
    return spans


def _id(raw: bytes, size: int, name: str, zero_ok: bool = False) -> str:
    try:
        return check_id(raw, size, zero_ok=zero_ok)
    except Rejected as problem:
        raise problem.at(name) from None


def _attributes(pairs: Any) -> dict[str, Any]:
    try:
        return _proto_values.attributes(pairs)
    except Rejected as problem:
        raise problem.at(".attributes") from None


def _span(span: Any, resource: dict[str, Any], scope_name: str | None, scope_version: str | None) -> RawSpan:
    # The common case is checked inline; _id and check_times raise the precise problem.
    raw = span.trace_id
    trace_id = raw.hex() if len(raw) == 16 and raw != _ZERO_TRACE_ID else _id(raw, 16, ".traceId")
    raw = span.span_id
    span_id = raw.hex() if len(raw) == 8 and raw != _ZERO_SPAN_ID else _id(raw, 8, ".spanId")
    raw = span.parent_span_id
    # Some exporters send eight zero bytes for "no parent".
    parent_span_id = None if not raw or raw == _ZERO_SPAN_ID else _id(raw, 8, ".parentSpanId")
    start = span.start_time_unix_nano
    end = span.end_time_unix_nano
    if start <= 0 or end < start or end > INT64_MAX:
        check_times(start, end)
    pairs = span.attributes
    attributes = _attributes(pairs) if pairs else {}
    events: tuple[RawEvent, ...] = ()
    items = span.events
    if items:
        events = tuple(_event(index, event) for index, event in enumerate(items))
    links: tuple[dict[str, Any], ...] = ()
    items = span.links
    if items:
        links = tuple(_link(index, link) for index, link in enumerate(items))
    status = span.status
    name = span.name
    message = status.message
    return RawSpan(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=clean(name) if "\x00" in name else name,
        kind=span.kind,
        start_time_ns=start,
        end_time_ns=end,
        status_code=status.code,
        status_message=clean(message) if message else None,
        attributes=attributes,
        events=events,
        links=links,
        # A copy per span: RawSpans are independent records downstream.
        resource=resource.copy(),
        scope_name=scope_name,
        scope_version=scope_version,
    )


def _event(index: int, event: Any) -> RawEvent:
    try:
        try:
            time_ns = check_time(event.time_unix_nano)
        except Rejected as problem:
            raise problem.at(".timeUnixNano") from None
        attributes = _attributes(event.attributes)
    except Rejected as problem:
        raise problem.at(f".events[{index}]") from None
    return RawEvent(name=clean(event.name), time_ns=time_ns, attributes=attributes)


def _link(index: int, link: Any) -> dict[str, Any]:
    try:
        return {
            # A link may point at an invalid (zero) context when it carries attributes.
            "trace_id": _id(link.trace_id, 16, ".traceId", zero_ok=True),
            "span_id": _id(link.span_id, 8, ".spanId", zero_ok=True),
            "attributes": _attributes(link.attributes),
        }
    except Rejected as problem:
        raise problem.at(f".links[{index}]") from None
