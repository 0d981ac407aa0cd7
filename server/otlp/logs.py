"""Decode an OTLP ExportLogsServiceRequest (protobuf or JSON) into LogRecords.

The collector reads logs for GenAI events (``gen_ai.choice``,
``gen_ai.client.inference.operation.details``...), which instrumentations may send as
log records tied to a span instead of span events.

Logs have no per-record rejection channel in this API, so a record that would reject a
span (an ID of the wrong length, values nested too deep) refuses the whole body with
OtlpDecodeError; an absent or all-zero ID just means "not tied to a span".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from server.otlp import _json_values, _proto_values
from server.otlp._common import Malformed, Problem, Rejected, check_id, check_time, clean
from server.otlp._json_values import load
from server.otlp.errors import OtlpDecodeError
from server.otlp.wire import wire_format


@dataclass(frozen=True, slots=True)
class LogRecord:
    trace_id: str | None  # 32 lowercase hex digits, or None when not tied to a span
    span_id: str | None  # 16 lowercase hex digits
    event_name: str | None  # the record's event_name, else its "event.name" attribute
    time_ns: int  # time_unix_nano, else observed_time_unix_nano
    body: Any  # a decoded AnyValue
    attributes: dict[str, Any]
    severity_text: str | None


def decode_logs(body: bytes, content_type: str) -> list[LogRecord]:
    """Decode a request body (already decompressed, see ``read_body``).

    >>> decode_logs(b'{"resourceLogs": []}', "application/json")
    []
    """
    try:
        return _decode_json(body) if wire_format(content_type) == "json" else _decode_protobuf(body)
    except Problem as problem:
        raise OtlpDecodeError(problem.message) from None


def _record(
    *,
    trace_id: bytes,
    span_id: bytes,
    event_name: str,
    time_ns: int,
    body: Any,
    attributes: dict[str, Any],
    severity: str,
) -> LogRecord:
    if not event_name:
        named = attributes.get("event.name")
        event_name = named if type(named) is str else ""
    return LogRecord(
        trace_id=_optional_id(trace_id, 16, ".traceId"),
        span_id=_optional_id(span_id, 8, ".spanId"),
        event_name=event_name or None,
        time_ns=check_time(time_ns),
        body=body,
        attributes=attributes,
        severity_text=severity or None,
    )


def _optional_id(raw: bytes, size: int, name: str) -> str | None:
    if not raw.lstrip(b"\x00"):
        return None
    try:
        return check_id(raw, size)
    except Rejected as problem:
        raise problem.at(name) from None


def _decode_protobuf(body: bytes) -> list[LogRecord]:
    try:
        request = ExportLogsServiceRequest.FromString(body)
    except DecodeError as error:
        raise OtlpDecodeError(f"body is not a valid protobuf ExportLogsServiceRequest: {error}") from None
    records = []
    for resource_index, resource_logs in enumerate(request.resource_logs):
        for scope_index, scope_logs in enumerate(resource_logs.scope_logs):
            for index, record in enumerate(scope_logs.log_records):
                try:
                    try:
                        attributes = _proto_values.attributes(record.attributes)
                    except Rejected as problem:
                        raise problem.at(".attributes") from None
                    try:
                        value = _proto_values.any_value(record.body, 1) if record.HasField("body") else None
                    except Rejected as problem:
                        raise problem.at(".body") from None
                    records.append(
                        _record(
                            trace_id=record.trace_id,
                            span_id=record.span_id,
                            event_name=clean(record.event_name),
                            time_ns=record.time_unix_nano or record.observed_time_unix_nano,
                            body=value,
                            attributes=attributes,
                            severity=clean(record.severity_text),
                        )
                    )
                except Problem as problem:
                    where = f"resourceLogs[{resource_index}].scopeLogs[{scope_index}].logRecords[{index}]"
                    raise problem.at(where) from None
    return records


def _decode_json(body: bytes) -> list[LogRecord]:
    request = load(body, "ExportLogsServiceRequest")
    records: list[LogRecord] = []
    _json_values.walk(request, _JSON_LEVELS, lambda record: records.append(_json_record(record)))
    return records


_JSON_LEVELS = (
    ("resourceLogs", "resource_logs", "ResourceLogs"),
    ("scopeLogs", "scope_logs", "ScopeLogs"),
    ("logRecords", "log_records", "LogRecord"),
)


def _json_record(record: dict[str, Any]) -> LogRecord:
    value = record.get("body")
    try:
        decoded = _json_values.any_value(value, 1)
    except (Malformed, Rejected) as problem:
        raise problem.at(".body") from None
    time_ns = _json_values.get_int(record, "timeUnixNano", "time_unix_nano") or _json_values.get_int(
        record, "observedTimeUnixNano", "observed_time_unix_nano"
    )
    return _record(
        trace_id=_json_values.get_id(record, "traceId", "trace_id", 16),
        span_id=_json_values.get_id(record, "spanId", "span_id", 8),
        event_name=_json_values.get_str(record, "eventName", "event_name"),
        time_ns=time_ns,
        body=decoded,
        attributes=_json_values.get_attributes(record),
        severity=_json_values.get_str(record, "severityText", "severity_text"),
    )
