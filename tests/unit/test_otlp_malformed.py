"""Bodies that cannot be decoded raise OtlpDecodeError with a message that says where and why."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from server.otlp import OtlpDecodeError, decode_traces
from tests.unit._otlp_helpers import json_request, json_span, protobuf_body, sdk_spans

SPAN = "resourceSpans[0].scopeSpans[0].spans[0]"


def _decode(request: Any) -> None:
    decode_traces(orjson.dumps(request), "application/json")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "body is not valid JSON"),
        (b'{"resourceSpans": [', "body is not valid JSON"),
        (b'"\\ud800"', "body is not valid JSON"),  # a lone surrogate: no valid UTF-8 for Postgres
        (b"[]", "expected a JSON object (ExportTraceServiceRequest), got array"),
        (b"null", "expected a JSON object (ExportTraceServiceRequest), got null"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON: depth limit exceeded"),
    ],
)
def test_not_a_json_request(body: bytes, message: str) -> None:
    with pytest.raises(OtlpDecodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_traces(body, "application/json")


def test_deeply_nested_kvlists_and_arrays_in_json() -> None:
    for opening, closing in (
        (b'{"kvlistValue":{"values":[{"key":"k","value":', b"}]}}"),
        (b'{"arrayValue":{"values":[', b"]}}"),
    ):
        value = opening * 100_000 + b'{"stringValue":"x"}' + closing * 100_000
        body = orjson.dumps(json_request(json_span(attributes=[]))).replace(
            b'"attributes":[]', b'"attributes":[{"key":"k","value":' + value + b"}]"
        )
        with pytest.raises(OtlpDecodeError, match="depth limit exceeded"):
            decode_traces(body, "application/json")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"resourceSpans": {}}, "resourceSpans: expected an array, got object"),
        ({"resourceSpans": [1]}, "resourceSpans[0]: expected an object (ResourceSpans), got number"),
        ({"resourceSpans": [{"scopeSpans": "x"}]}, "resourceSpans[0].scopeSpans: expected an array, got string"),
        ({"resourceSpans": [{"resource": []}]}, "resourceSpans[0].resource: expected an object, got array"),
        (
            {"resourceSpans": [{"resource": {"attributes": [{"key": 1}]}}]},
            "resourceSpans[0].resource.attributes[0].key: expected a string, got number",
        ),
        (
            {"resourceSpans": [{"scopeSpans": [None]}]},
            "resourceSpans[0].scopeSpans[0]: expected an object (ScopeSpans), got null",
        ),
        (
            {"resourceSpans": [{"scopeSpans": [{"scope": {"name": 5}}]}]},
            "resourceSpans[0].scopeSpans[0].scope.name: expected a string, got number",
        ),
        (
            {"resourceSpans": [{"scopeSpans": [{"spans": {}}]}]},
            "resourceSpans[0].scopeSpans[0].spans: expected an array, got object",
        ),
        (json_request("span"), f"{SPAN}: expected an object (Span), got string"),
        (json_request(json_span(name=5)), f"{SPAN}.name: expected a string, got number"),
        (json_request(json_span(traceId=12)), f"{SPAN}.traceId: expected a hex string, got number"),
        (json_request(json_span(kind="SERVER")), f"{SPAN}.kind: expected an integer, got 'SERVER'"),
        (json_request(json_span(kind=2**40)), f"{SPAN}.kind: 1099511627776 is out of range"),
        (json_request(json_span(startTimeUnixNano="1e9")), f"{SPAN}.startTimeUnixNano: expected an integer, got '1e9'"),
        (json_request(json_span(startTimeUnixNano=" 12")), f"{SPAN}.startTimeUnixNano: expected an integer"),
        (json_request(json_span(startTimeUnixNano=True)), f"{SPAN}.startTimeUnixNano: expected an integer, got True"),
        (json_request(json_span(startTimeUnixNano=-1)), f"{SPAN}.startTimeUnixNano: -1 is out of range"),
        (json_request(json_span(attributes={})), f"{SPAN}.attributes: expected an array, got object"),
        (json_request(json_span(attributes=[[]])), f"{SPAN}.attributes[0]: expected a key-value object, got array"),
        (
            json_request(json_span(attributes=[{"key": "k", "value": "v"}])),
            f"{SPAN}.attributes[0].value: expected an AnyValue object, got string",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"intValue": "12x"}}])),
            f"{SPAN}.attributes[0].value.intValue: expected an integer, got '12x'",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"intValue": str(2**63)}}])),
            f"{SPAN}.attributes[0].value.intValue: 9223372036854775808 is out of range",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"intValue": 2**63}}])),
            f"{SPAN}.attributes[0].value.intValue: 9223372036854775808 is out of range",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"doubleValue": "fast"}}])),
            f"{SPAN}.attributes[0].value.doubleValue: expected a number, got 'fast'",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"bytesValue": "%%%"}}])),
            f"{SPAN}.attributes[0].value.bytesValue: expected base64, got '%%%'",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"boolValue": "true"}}])),
            f"{SPAN}.attributes[0].value.boolValue: expected a boolean, got string",
        ),
        (
            json_request(
                json_span(attributes=[{"key": "k", "value": {"arrayValue": {"values": [{"stringValue": 1}]}}}])
            ),
            f"{SPAN}.attributes[0].value.arrayValue.values[0].stringValue: expected a string, got number",
        ),
        (
            json_request(json_span(attributes=[{"key": "k", "value": {"kvlistValue": []}}])),
            f"{SPAN}.attributes[0].value.kvlistValue: expected an object, got array",
        ),
        (json_request(json_span(events=[1])), f"{SPAN}.events[0]: expected an object (Event), got number"),
        (json_request(json_span(events=[{"name": []}])), f"{SPAN}.events[0].name: expected a string, got array"),
        (
            json_request(json_span(links=[{"traceId": "1" * 32, "spanId": "1" * 16, "attributes": 1}])),
            f"{SPAN}.links[0].attributes: expected an array, got number",
        ),
        (json_request(json_span(status=[])), f"{SPAN}.status: expected an object, got array"),
        (json_request(json_span(status={"code": "BAD"})), f"{SPAN}.status.code: expected an integer, got 'BAD'"),
    ],
)
def test_wrong_json_structure_names_the_path(request_: Any, message: str) -> None:
    with pytest.raises(OtlpDecodeError) as raised:
        _decode(request_)
    assert str(raised.value).startswith(message)


def test_truncated_protobuf() -> None:
    body = protobuf_body(sdk_spans())
    with pytest.raises(OtlpDecodeError, match="body is not a valid protobuf ExportTraceServiceRequest: Error parsing"):
        decode_traces(body[: len(body) // 2], "application/x-protobuf")


def test_protobuf_garbage() -> None:
    with pytest.raises(OtlpDecodeError, match="not a valid protobuf"):
        decode_traces(b"\xff\xff\xff\xff", "application/x-protobuf")


def test_invalid_utf8_in_protobuf() -> None:
    body = protobuf_body(sdk_spans())
    name = b"chat gpt-4o"
    assert name in body
    with pytest.raises(OtlpDecodeError, match="bad UTF-8"):
        decode_traces(body.replace(name, b"chat gpt-4\xff"), "application/x-protobuf")


def _varint(number: int) -> bytes:
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def test_deep_protobuf_nesting_is_refused_by_the_parser() -> None:
    # Built on the wire: the protobuf library itself refuses to build such a message.
    value = AnyValue(string_value="x").SerializeToString()
    for _ in range(10_000):
        array = b"\x0a" + _varint(len(value)) + value  # ArrayValue.values = 1
        value = b"\x2a" + _varint(len(array)) + array  # AnyValue.array_value = 5
    key_value = b"\x0a\x01k\x12" + _varint(len(value)) + value
    span = b"\x0a\x10" + b"\x01" * 16 + b"\x12\x08" + b"\x01" * 8 + b"\x4a" + _varint(len(key_value)) + key_value
    scope_spans = b"\x12" + _varint(len(span)) + span
    resource_spans = b"\x12" + _varint(len(scope_spans)) + scope_spans
    body = b"\x0a" + _varint(len(resource_spans)) + resource_spans
    with pytest.raises(OtlpDecodeError, match="MaxDepth"):
        decode_traces(body, "application/x-protobuf")
