"""Encode finished spans as OTLP/JSON, one span at a time, with orjson.

The stock exporter builds protobuf objects field by field in Python (about 48 us a
span, CONVENTIONS.md). Building plain dicts and letting orjson write them costs a
fraction of that, and OTLP/JSON is a standard body every collector accepts. IDs are
hex (the OTLP/JSON exception to proto3 JSON), int64 values are decimal strings and
enums are integers, as the specification asks.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind, StatusCode

Mask = Callable[[str], str]
# OTLP enum numbers, looked up rather than read through Enum.value (a slow descriptor).
# SpanKind: OTLP starts at UNSPECIFIED = 0, so INTERNAL is 1. StatusCode numbers match.
_SPAN_KINDS = {kind: kind.value + 1 for kind in SpanKind}
_STATUS_CODES = {code: code.value for code in StatusCode}
# One span's JSON and the (resource, scope) it must be grouped under in the request.
EncodedSpan = tuple[bytes, bytes]


def _string(value: str, mask: Mask | None) -> dict[str, Any]:
    return {"stringValue": mask(value) if mask is not None else value}


def _bool(value: bool, mask: Mask | None) -> dict[str, Any]:
    return {"boolValue": value}


def _int(value: int, mask: Mask | None) -> dict[str, Any]:
    return {"intValue": str(value)}


def _float(value: float, mask: Mask | None) -> dict[str, Any]:
    if math.isfinite(value):
        return {"doubleValue": value}
    # orjson writes non-finite floats as null (read back as 0.0); proto3 JSON spells them.
    return {"doubleValue": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}


def _array(value: Sequence[Any], mask: Mask | None) -> dict[str, Any]:
    return {"arrayValue": {"values": [_value(item, mask) for item in value]}}


# Dispatch on the exact type: one dict lookup instead of a chain of isinstance checks
# (bool must not be taken for int, and abstract Mapping/Sequence checks are slow).
_ENCODERS: dict[type, Callable[[Any, Mask | None], dict[str, Any]]] = {
    str: _string,
    bool: _bool,
    int: _int,
    float: _float,
    tuple: _array,
    list: _array,
}


def _value(value: Any, mask: Mask | None) -> dict[str, Any]:
    encode = _ENCODERS.get(type(value))
    if encode is not None:
        return encode(value, mask)
    if isinstance(value, (bytes, bytearray)):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _attributes(value, mask)}}
    if isinstance(value, str):  # str subclasses
        return _string(value, mask)
    if isinstance(value, bool):
        return _bool(value, mask)
    if isinstance(value, int):
        return _int(value, mask)
    if isinstance(value, float):
        return _float(value, mask)
    if isinstance(value, Sequence):
        return _array(value, mask)
    return {"stringValue": str(value)}


def _attributes(attributes: Mapping[str, Any] | None, mask: Mask | None) -> list[dict[str, Any]]:
    if not attributes:
        return []
    encoded = []
    for key, value in attributes.items():
        # Strings are most attributes: handled inline, without the dispatch call.
        if type(value) is str:
            encoded.append({"key": key, "value": {"stringValue": value if mask is None else mask(value)}})
        else:
            encoded.append({"key": key, "value": _value(value, mask)})
    return encoded


def _span_attributes(span: ReadableSpan) -> Mapping[str, Any] | None:
    """The span's attributes as the plain dict inside BoundedAttributes when there is one.

    ``ReadableSpan.attributes`` wraps them in a MappingProxy over a generic Mapping, and
    iterating through both layers was a quarter of the encoding time. Falls back to the
    public property if the SDK's internals change (it is pinned to 1.45)."""
    bounded = getattr(span, "_attributes", None)
    plain = getattr(bounded, "_dict", None)
    return plain if isinstance(plain, dict) else span.attributes


def _resource_json(resource: Resource) -> bytes:
    return orjson.dumps({"attributes": _attributes(resource.attributes, None)})


def _scope_json(scope: InstrumentationScope | None) -> bytes:
    if scope is None:
        return b"{}"
    encoded: dict[str, Any] = {"name": scope.name}
    if scope.version:
        encoded["version"] = scope.version
    if scope.attributes:
        encoded["attributes"] = _attributes(scope.attributes, None)
    return orjson.dumps(encoded)


class SpanEncoder:
    """Encodes spans; caches the resource and scope JSON, which rarely change."""

    def __init__(self, mask: Mask | None = None) -> None:
        self.mask = mask
        # Keyed by identity; the value keeps the objects alive so their ids stay theirs.
        self._groups: dict[tuple[int, int], tuple[bytes, Resource, InstrumentationScope | None]] = {}

    def _group(self, span: ReadableSpan) -> bytes:
        resource, scope = span.resource, span.instrumentation_scope
        cached = self._groups.get((id(resource), id(scope)))
        if cached is not None:
            return cached[0]
        group = b'{"resource":' + _resource_json(resource) + b',"scopeSpans":[{"scope":' + _scope_json(scope)
        if len(self._groups) > 1000:
            self._groups.clear()
        self._groups[(id(resource), id(scope))] = (group, resource, scope)
        return group

    def encode(self, span: ReadableSpan) -> EncodedSpan:
        mask = self.mask
        context = span.context
        parent = span.parent
        encoded: dict[str, Any] = {
            "traceId": format(context.trace_id, "032x"),
            "spanId": format(context.span_id, "016x"),
            "name": span.name,
            "kind": _SPAN_KINDS[span.kind],
            "startTimeUnixNano": str(span.start_time),
            "endTimeUnixNano": str(span.end_time),
            "attributes": _attributes(_span_attributes(span), mask),
            "flags": 0x300 if parent is not None and parent.is_remote else 0x100,
        }
        if parent is not None:
            encoded["parentSpanId"] = format(parent.span_id, "016x")
        if context.trace_state:
            encoded["traceState"] = context.trace_state.to_header()
        events = span.events
        if events:
            encoded["events"] = [
                {
                    "timeUnixNano": str(event.timestamp),
                    "name": event.name,
                    "attributes": _attributes(event.attributes, mask),
                }
                for event in events
            ]
        links = span.links
        if links:
            encoded["links"] = [
                {
                    "traceId": format(link.context.trace_id, "032x"),
                    "spanId": format(link.context.span_id, "016x"),
                    "attributes": _attributes(link.attributes, mask),
                }
                for link in links
            ]
        status = span.status
        code = _STATUS_CODES[status.status_code]
        if code:
            encoded["status"] = {"code": code}
            if status.description:
                encoded["status"]["message"] = mask(status.description) if mask else status.description
        dropped = span.dropped_attributes
        if dropped:
            encoded["droppedAttributesCount"] = dropped
        return orjson.dumps(encoded), self._group(span)


def build_request(groups: Mapping[bytes, bytes | bytearray]) -> bytes:
    """One ExportTraceServiceRequest body from spans already grouped by resource and
    scope: each group's header and its comma-separated span JSON."""
    pieces: list[bytes | bytearray] = [b'{"resourceSpans":[']
    for index, (group, spans) in enumerate(groups.items()):
        if index:
            pieces.append(b",")
        pieces += (group, b',"spans":[', spans, b"]}]}")
    pieces.append(b"]}")
    return b"".join(pieces)
