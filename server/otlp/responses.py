"""OTLP/HTTP response bodies, in the request's format (OTLP specification, "OTLP/HTTP Response").

Success is ``Export<Signal>ServiceResponse``, with ``partial_success`` when something was
rejected (the client must not retry it). Errors carry a ``google.rpc.Status``.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from server.otlp.wire import WireFormat, wire_format

Signal = Literal["traces", "logs", "metrics"]
_RESPONSES: dict[str, tuple[Any, str, str]] = {
    "traces": (ExportTraceServiceResponse, "rejected_spans", "rejectedSpans"),
    "logs": (ExportLogsServiceResponse, "rejected_log_records", "rejectedLogRecords"),
    "metrics": (ExportMetricsServiceResponse, "rejected_data_points", "rejectedDataPoints"),
}
# google.rpc.Code for the HTTP statuses the collector answers with (google/rpc/code.proto).
_RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 415: 3, 429: 8, 500: 13, 502: 14, 503: 14, 504: 4}
_UNKNOWN = 2


def export_response(signal: Signal, wire: WireFormat, rejected: int = 0, error_message: str = "") -> bytes:
    """The success body; ``partial_success`` is set when something was rejected or there is
    a message (a warning with nothing rejected is allowed by the specification).

    >>> export_response("traces", "json", rejected=2, error_message="bad spans")
    b'{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad spans"}}'
    """
    message_class, field, json_field = _RESPONSES[signal]
    if wire == "json":
        if not rejected and not error_message:
            return b"{}"
        # proto3 JSON writes int64 as a string.
        partial: dict[str, str] = {json_field: str(rejected)}
        if error_message:
            partial["errorMessage"] = error_message
        return orjson.dumps({"partialSuccess": partial})
    response = message_class()
    if rejected or error_message:
        setattr(response.partial_success, field, rejected)
        response.partial_success.error_message = error_message
    return bytes(response.SerializeToString())


def error_body(wire: WireFormat, http_status: int, message: str) -> bytes:
    """A ``google.rpc.Status`` body for an error answer (400, 413, 503...).

    >>> error_body("json", 400, "body is not valid JSON")
    b'{"code":3,"message":"body is not valid JSON"}'
    """
    code = _RPC_CODES.get(http_status, _UNKNOWN)
    if wire == "json":
        return orjson.dumps({"code": code, "message": message})
    return _rpc_status(code, message)


def _rpc_status(code: int, message: str) -> bytes:
    # Encoded by hand: google/rpc/status.proto ships in googleapis-common-protos, which
    # is not a dependency of the collector. Status is {int32 code = 1; string message = 2}.
    text = message.encode("utf-8", "replace")
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low = number & 0x7F
        number >>= 7
        if number:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


# The same, addressed by media type ("application/json", "application/x-protobuf"): the
# form the ingest routes (server/api/ingest.py) work with.


def traces_response(rejected: int, error_message: str, media_type: str) -> bytes:
    return export_response("traces", wire_format(media_type), rejected, error_message)


def logs_response(media_type: str, rejected: int = 0, error_message: str = "") -> bytes:
    return export_response("logs", wire_format(media_type), rejected, error_message)


def metrics_response(media_type: str, rejected: int = 0, error_message: str = "") -> bytes:
    return export_response("metrics", wire_format(media_type), rejected, error_message)


def error_response_body(http_status: int, message: str, media_type: str) -> bytes:
    return error_body(wire_format(media_type), http_status, message)
