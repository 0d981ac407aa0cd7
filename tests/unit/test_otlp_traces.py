"""decode_traces: the stock protobuf encoder and our SDK's JSON decode to the same RawSpans,
OTLP/JSON edge cases, per-span rejection and hostile content."""

from __future__ import annotations

import math

import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from server.model import RawEvent, RawSpan
from server.otlp import UnsupportedContentType, decode_traces
from tests.unit._otlp_helpers import NESTED, json_body, json_request, json_span, protobuf_body, sdk_spans

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TRACE = "0af7651916cd43dd8448eb211c80319c"


def _decode_json(request: dict[str, object]) -> list[RawSpan]:
    decoded = decode_traces(orjson.dumps(request), JSON)
    assert decoded.rejected == 0, decoded.errors
    return decoded.spans


def test_stock_protobuf_and_sdk_json_decode_to_the_same_spans() -> None:
    spans = sdk_spans()
    from_protobuf = decode_traces(protobuf_body(spans), PROTOBUF)
    from_json = decode_traces(json_body(spans), JSON)
    assert from_protobuf.rejected == from_json.rejected == 0
    assert from_protobuf.spans == from_json.spans

    by_name = {span.name: span for span in from_protobuf.spans}
    sdk_by_name = {span.name: span for span in spans}
    root, llm, tool = by_name["invoke_agent planner"], by_name["chat gpt-4o"], by_name["execute_tool search"]
    sdk_llm = sdk_by_name["chat gpt-4o"]
    assert llm.trace_id == format(sdk_llm.context.trace_id, "032x")
    assert llm.span_id == format(sdk_llm.context.span_id, "016x")
    assert llm.parent_span_id == root.span_id and root.parent_span_id is None
    assert (llm.start_time_ns, llm.end_time_ns) == (sdk_llm.start_time, sdk_llm.end_time)
    assert [by_name[name].kind for name in ("invoke_agent planner", "execute_tool search", "chat gpt-4o")] == [2, 1, 3]
    assert (by_name["queue PRODUCER"].kind, by_name["queue CONSUMER"].kind) == (4, 5)
    assert llm.attributes == {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.input.messages": NESTED,
        "tag.tags": ["a", "b"],
        "flags": [True, False],
        "scores": [0.5, 1.5],
    }
    assert list(llm.attributes) == list(sdk_llm.attributes or {})  # order kept
    assert llm.events == (
        RawEvent("gen_ai.choice", sdk_llm.events[0].timestamp, {"index": 0, "finish_reason": "stop"}),
    )
    assert tool.links == ({"trace_id": llm.trace_id, "span_id": llm.span_id, "attributes": {"link.kind": "caused_by"}},)
    assert (tool.status_code, tool.status_message) == (2, "tool timed out")
    assert (root.status_code, root.status_message) == (1, None)
    assert (llm.status_code, llm.status_message) == (0, None)
    assert llm.resource["service.name"] == "svc" and llm.resource["deployment.environment"] == "test"
    assert (llm.scope_name, llm.scope_version) == ("my.scope", "1.2.3")


@pytest.mark.parametrize(
    "content_type", [PROTOBUF, "application/protobuf", "Application/X-Protobuf; charset=binary", "application/json"]
)
def test_content_types(content_type: str) -> None:
    body = protobuf_body(sdk_spans()) if "protobuf" in content_type.lower() else json_body(sdk_spans())
    assert len(decode_traces(body, content_type).spans) == 5


@pytest.mark.parametrize("content_type", ["text/plain", "", "application/jsonl", "application/grpc"])
def test_unsupported_content_type(content_type: str) -> None:
    with pytest.raises(UnsupportedContentType, match="unsupported Content-Type"):
        decode_traces(b"{}", content_type)


@pytest.mark.parametrize("body", [b"", b"{}", b"  \n", b'{"resourceSpans": []}', b'{"resourceSpans": null}'])
def test_empty_json_requests_are_valid(body: bytes) -> None:
    assert decode_traces(body, JSON).spans == []
    assert decode_traces(body if body.strip() else b"", "application/json; charset=utf-8").rejected == 0


def test_empty_protobuf_request_is_valid() -> None:
    assert decode_traces(b"", PROTOBUF).spans == []


def test_json_edge_cases() -> None:
    """Uppercase hex, int64 numbers, snake_case keys, enum names, special doubles, bytes."""
    span = {
        "trace_id": TRACE.upper(),
        "span_id": "B7AD6B7169203331",
        "parent_span_id": "00F067AA0BA902B7",
        "name": "edge",
        "kind": "SPAN_KIND_SERVER",
        "start_time_unix_nano": 1700000000000000000,
        "endTimeUnixNano": 1.7000000010e18,
        "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
        "unknownField": {"ignored": [1, 2]},
        "attributes": [
            {"key": "nan", "value": {"doubleValue": "NaN"}},
            {"key": "inf", "value": {"double_value": "Infinity"}},
            {"key": "-inf", "value": {"doubleValue": "-Infinity"}},
            {"key": "int-number", "value": {"intValue": 7}},
            {"key": "int-string", "value": {"int_value": "-9223372036854775808"}},
            {"key": "double-string", "value": {"doubleValue": "2.5"}},
            {"key": "bytes", "value": {"bytesValue": "AAH/"}},
            {"key": "bytes-url", "value": {"bytes_value": "AAH_"}},
            {"key": "empty", "value": {}},
            {"key": "null", "value": None},
            {"key": "list", "value": {"array_value": {"values": [{"stringValue": "x"}, {"boolValue": False}]}}},
            {"key": "map", "value": {"kvlist_value": {"values": [{"key": "k", "value": {"intValue": "1"}}]}}},
        ],
        "events": [{"time_unix_nano": "1700000000500000000", "name": "e"}],
    }
    [decoded] = _decode_json(json_request(span))
    assert (decoded.trace_id, decoded.span_id, decoded.parent_span_id) == (
        TRACE,
        "b7ad6b7169203331",
        "00f067aa0ba902b7",
    )
    assert (decoded.kind, decoded.status_code, decoded.status_message) == (2, 2, "boom")
    assert (decoded.start_time_ns, decoded.end_time_ns) == (1700000000000000000, 1700000001000000000)
    attributes = decoded.attributes
    assert math.isnan(attributes.pop("nan"))
    assert attributes == {
        "inf": math.inf,
        "-inf": -math.inf,
        "int-number": 7,
        "int-string": -(2**63),
        "double-string": 2.5,
        "bytes": b"\x00\x01\xff",
        "bytes-url": b"\x00\x01\xff",
        "empty": None,
        "null": None,
        "list": ["x", False],
        "map": {"k": 1},
    }
    assert decoded.events == (RawEvent("e", 1700000000500000000, {}),)


def test_zero_parent_means_root() -> None:
    [span] = _decode_json(json_request(json_span(parentSpanId="0000000000000000")))
    assert span.parent_span_id is None


def test_hostile_strings_are_plain_data() -> None:
    span = json_span(
        name="a\x00b",
        attributes=[
            {"key": "__proto__", "value": {"stringValue": "x\x00"}},
            {
                "key": "constructor\x00",
                "value": {"kvlistValue": {"values": [{"key": "\x00", "value": {"stringValue": "\x00"}}]}},
            },
            {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "\x00"}]}}},
        ],
        events=[{"timeUnixNano": "1", "name": "\x00", "attributes": [{"key": "k\x00", "value": {"stringValue": "v"}}]}],
        status={"code": 2, "message": "\x00"},
    )
    [decoded] = _decode_json(json_request(span))
    expected_attributes = {"__proto__": "x\ufffd", "constructor\ufffd": {"\ufffd": "\ufffd"}, "list": ["\ufffd"]}
    assert (decoded.name, decoded.attributes, decoded.status_message) == ("a\ufffdb", expected_attributes, "\ufffd")
    assert decoded.events == (RawEvent("\ufffd", 1, {"k\ufffd": "v"}),)

    # The same through protobuf.
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                scope_spans=[
                    ScopeSpans(
                        spans=[
                            Span(
                                trace_id=bytes.fromhex(TRACE),
                                span_id=b"\x01" * 8,
                                name="a\x00b",
                                start_time_unix_nano=1,
                                end_time_unix_nano=2,
                                attributes=[KeyValue(key="k\x00", value=AnyValue(string_value="\x00"))],
                            )
                        ]
                    )
                ]
            )
        ]
    )
    [decoded] = decode_traces(request.SerializeToString(), PROTOBUF).spans
    assert (decoded.name, decoded.attributes) == ("a\ufffdb", {"k\ufffd": "\ufffd"})


def _nested_json(depth: int) -> dict[str, object]:
    """An AnyValue ``depth`` levels deep, alternating arrays and kvlists."""
    value: dict[str, object] = {"stringValue": "leaf"}
    for level in range(depth - 1):
        if level % 2:
            value = {"arrayValue": {"values": [value]}}
        else:
            value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    return value


def test_nesting_up_to_32_levels_is_kept_deeper_rejects_the_span() -> None:
    ok = json_span(spanId="0000000000000001", attributes=[{"key": "deep", "value": _nested_json(32)}])
    deep = json_span(spanId="0000000000000002", attributes=[{"key": "deep", "value": _nested_json(33)}])
    decoded = decode_traces(orjson.dumps(json_request(ok, deep)), JSON)
    assert [span.span_id for span in decoded.spans] == ["0000000000000001"]
    assert decoded.rejected == 1
    assert decoded.errors[0].startswith(
        "resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.arrayValue.values[0]"
    )
    assert decoded.errors[0].endswith("values nest deeper than 32 levels")


def _protobuf_with(*spans: Span) -> bytes:
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=list(spans))])])
    return bytes(request.SerializeToString())


def _nested_protobuf(depth: int) -> AnyValue:
    value = AnyValue(string_value="leaf")
    for _ in range(depth - 1):
        outer = AnyValue()
        outer.array_value.values.append(value)
        value = outer
    return value


def test_protobuf_nesting_cap() -> None:
    def span(span_id: int, depth: int) -> Span:
        return Span(
            trace_id=bytes.fromhex(TRACE),
            span_id=span_id.to_bytes(8, "big"),
            start_time_unix_nano=1,
            end_time_unix_nano=1,
            attributes=[KeyValue(key="deep", value=_nested_protobuf(depth))],
        )

    decoded = decode_traces(_protobuf_with(span(1, 32), span(2, 33)), PROTOBUF)
    assert [span.span_id for span in decoded.spans] == ["0000000000000001"]
    assert decoded.rejected == 1
    assert decoded.errors == [
        "resourceSpans[0].scopeSpans[0].spans[1].attributes['deep']"
        + "[0]" * 31
        + ": values nest deeper than 32 levels"
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"traceId": "xyz"}, "traceId: expected 32 hex digits, got 'xyz'"),
        ({"traceId": TRACE[:-2]}, "traceId: expected 32 hex digits"),
        ({"traceId": TRACE[:-1] + "g"}, "traceId: expected 32 hex digits"),
        ({"traceId": "0" * 32}, "traceId: must not be all zeros"),
        ({"traceId": None}, "traceId: missing"),
        ({"spanId": "0" * 16}, "spanId: must not be all zeros"),
        ({"spanId": "b7ad6b716920333"}, "spanId: expected 16 hex digits"),
        ({"spanId": None}, "spanId: missing"),
        ({"parentSpanId": "abcd"}, "parentSpanId: expected 16 hex digits"),
        ({"startTimeUnixNano": None, "endTimeUnixNano": "5"}, "startTimeUnixNano: must be > 0"),
        (
            {"endTimeUnixNano": "1699999999999999999"},
            "endTimeUnixNano: 1699999999999999999 is before startTimeUnixNano",
        ),
        ({"endTimeUnixNano": str(2**63)}, "endTimeUnixNano: 9223372036854775808 is after year 2262"),
        ({"events": [{"timeUnixNano": str(2**64 - 1)}]}, "events[0].timeUnixNano: 18446744073709551615 is after"),
        ({"links": [{"traceId": TRACE, "spanId": "12"}]}, "links[0].spanId: expected 16 hex digits, got '12'"),
    ],
)
def test_invalid_spans_are_rejected_and_the_others_kept(fields: dict[str, object], message: str) -> None:
    good = json_span(spanId="0000000000000001")
    bad = json_span(**fields)
    decoded = decode_traces(orjson.dumps(json_request(good, bad, good)), JSON)
    assert [span.span_id for span in decoded.spans] == ["0000000000000001"] * 2
    assert decoded.rejected == 1
    assert len(decoded.errors) == 1
    assert decoded.errors[0].startswith(f"resourceSpans[0].scopeSpans[0].spans[1].{message}")
    assert decoded.error_message == decoded.errors[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"trace_id": b"\x01" * 15}, "traceId: expected 16 bytes, got 15"),
        ({"trace_id": bytes(16)}, "traceId: must not be all zeros"),
        ({"trace_id": b""}, "traceId: missing"),
        ({"span_id": bytes(8)}, "spanId: must not be all zeros"),
        ({"parent_span_id": b"\x01" * 4}, "parentSpanId: expected 8 bytes, got 4"),
        ({"start_time_unix_nano": 0}, "startTimeUnixNano: must be > 0"),
        ({"end_time_unix_nano": 5}, "endTimeUnixNano: 5 is before startTimeUnixNano 10"),
    ],
)
def test_invalid_protobuf_spans_are_rejected(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "trace_id": bytes.fromhex(TRACE),
        "span_id": b"\x01" * 8,
        "start_time_unix_nano": 10,
        "end_time_unix_nano": 20,
    }
    decoded = decode_traces(_protobuf_with(Span(**base), Span(**(base | fields))), PROTOBUF)  # type: ignore[arg-type]
    assert len(decoded.spans) == 1
    assert (decoded.rejected, decoded.errors) == (1, [f"resourceSpans[0].scopeSpans[0].spans[1].{message}"])


def test_rejections_are_counted_beyond_the_messages_kept() -> None:
    bad = [json_span(spanId="0" * 16) for _ in range(25)]
    decoded = decode_traces(orjson.dumps(json_request(*bad)), JSON)
    assert (decoded.rejected, len(decoded.errors)) == (25, 10)
    assert decoded.error_message.endswith("; and 15 more rejected")


def test_a_too_deep_resource_rejects_its_spans_only() -> None:
    deep_resource = {"attributes": [{"key": "deep", "value": _nested_json(40)}]}
    request = json_request(json_span(), json_span(), resource=deep_resource)
    request["resourceSpans"] += json_request(json_span())["resourceSpans"]
    decoded = decode_traces(orjson.dumps(request), JSON)
    assert (len(decoded.spans), decoded.rejected) == (1, 2)
    assert decoded.errors[0].startswith("resourceSpans[0].resource.attributes[0].value")
