"""decode_logs (GenAI events sent as log records) and count_data_points."""

from __future__ import annotations

import orjson
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as ProtoLogRecord
from opentelemetry.proto.logs.v1.logs_pb2 import ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)

from server.otlp import LogRecord, OtlpDecodeError, count_data_points, decode_logs

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"
CHOICE_BODY = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Paris"}}
CHOICE = LogRecord(
    trace_id=TRACE,
    span_id=SPAN,
    event_name="gen_ai.choice",
    time_ns=1700000000000000000,
    body=CHOICE_BODY,
    attributes={"gen_ai.provider.name": "openai"},
    severity_text=None,
)
DETAILS = LogRecord(
    trace_id=TRACE,
    span_id=SPAN,
    event_name="gen_ai.client.inference.operation.details",
    time_ns=1700000000000000005,  # the observed time: the record has no time of its own
    body=None,
    attributes={
        "event.name": "gen_ai.client.inference.operation.details",
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]}],
    },
    severity_text="INFO",
)


def _kvlist(value: dict[str, object]) -> AnyValue:
    return AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=_any(v)) for k, v in value.items()]))


def _any(value: object) -> AnyValue:
    if isinstance(value, dict):
        return _kvlist(value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_any(item) for item in value]))
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=str(value))


def _protobuf_logs() -> bytes:
    choice = ProtoLogRecord(
        time_unix_nano=CHOICE.time_ns,
        trace_id=bytes.fromhex(TRACE),
        span_id=bytes.fromhex(SPAN),
        event_name="gen_ai.choice",
        body=_kvlist(CHOICE_BODY),
        attributes=[KeyValue(key="gen_ai.provider.name", value=_any("openai"))],
    )
    details = ProtoLogRecord(
        observed_time_unix_nano=DETAILS.time_ns,
        trace_id=bytes.fromhex(TRACE),
        span_id=bytes.fromhex(SPAN),
        severity_text="INFO",
        attributes=[KeyValue(key=key, value=_any(value)) for key, value in DETAILS.attributes.items()],
    )
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=[choice, details])])]
    )
    return bytes(request.SerializeToString())


def _json_any(value: object) -> dict[str, object]:
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": _json_any(v)} for k, v in value.items()]}}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_json_any(item) for item in value]}}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": value}


def _json_logs() -> bytes:
    choice = {
        "timeUnixNano": str(CHOICE.time_ns),
        "traceId": TRACE.upper(),
        "spanId": SPAN,
        "eventName": "gen_ai.choice",
        "body": _json_any(CHOICE_BODY),
        "attributes": [{"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}}],
    }
    details = {
        "observed_time_unix_nano": DETAILS.time_ns,
        "trace_id": TRACE,
        "span_id": SPAN,
        "severityText": "INFO",
        "attributes": [{"key": key, "value": _json_any(value)} for key, value in DETAILS.attributes.items()],
    }
    return orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [choice, details]}]}]})


def test_genai_events_as_log_records() -> None:
    assert decode_logs(_protobuf_logs(), "application/x-protobuf") == [CHOICE, DETAILS]
    assert decode_logs(_json_logs(), "application/json") == [CHOICE, DETAILS]


def test_a_log_without_trace_context() -> None:
    body = orjson.dumps(
        {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "0" * 32, "body": {"stringValue": "hi"}}]}]}]}
    )
    [record] = decode_logs(body, "application/json")
    assert (record.trace_id, record.span_id, record.body, record.event_name) == (None, None, "hi", None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "expected a JSON object (ExportLogsServiceRequest), got array"),
        (
            b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [1]}]}]}',
            "resourceLogs[0].scopeLogs[0].logRecords[0]: expected an object",
        ),
        (
            b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": "abc"}]}]}]}',
            "resourceLogs[0].scopeLogs[0].logRecords[0].spanId: expected 16 hex digits, got 'abc'",
        ),
        (
            b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"intValue": "x"}}]}]}]}',
            "resourceLogs[0].scopeLogs[0].logRecords[0].body.intValue: expected an integer, got 'x'",
        ),
    ],
)
def test_malformed_logs(body: bytes, message: str) -> None:
    with pytest.raises(OtlpDecodeError) as raised:
        decode_logs(body, "application/json")
    assert str(raised.value).startswith(message)


def test_truncated_protobuf_logs() -> None:
    with pytest.raises(OtlpDecodeError, match="not a valid protobuf ExportLogsServiceRequest"):
        decode_logs(_protobuf_logs()[:-3], "application/x-protobuf")


def test_count_data_points() -> None:
    metrics = [
        Metric(name="g", gauge=Gauge(data_points=[NumberDataPoint(as_int=1), NumberDataPoint(as_double=2.0)])),
        Metric(name="s", sum=Sum(data_points=[NumberDataPoint(as_int=3)])),
        Metric(name="h", histogram=Histogram(data_points=[HistogramDataPoint(count=1)] * 3)),
        Metric(name="empty"),
    ]
    request = ExportMetricsServiceRequest(
        resource_metrics=[ResourceMetrics(scope_metrics=[ScopeMetrics(metrics=metrics)])] * 2
    )
    assert count_data_points(request.SerializeToString(), "application/x-protobuf") == 12
    body = orjson.dumps(
        {
            "resourceMetrics": [
                {
                    "scopeMetrics": [
                        {
                            "metrics": [
                                {"name": "g", "gauge": {"dataPoints": [{"asInt": "1"}, {"asDouble": 2.0}]}},
                                {"name": "e", "exponential_histogram": {"data_points": [{}]}},
                                {"name": "s", "summary": {"dataPoints": [{}, {}, {}]}},
                                {"name": "empty"},
                            ]
                        }
                    ]
                }
            ]
        }
    )
    assert count_data_points(body, "application/json") == 6
    assert count_data_points(b"{}", "application/json") == 0


def test_malformed_metrics() -> None:
    with pytest.raises(
        OtlpDecodeError,
        match=r"resourceMetrics\[0\].scopeMetrics\[0\].metrics\[0\].gauge.dataPoints: expected an array",
    ):
        count_data_points(
            b'{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":3}}]}]}]}', "application/json"
        )
    with pytest.raises(OtlpDecodeError, match="not a valid protobuf ExportMetricsServiceRequest"):
        count_data_points(b"\x0a\x05abc", "application/x-protobuf")
