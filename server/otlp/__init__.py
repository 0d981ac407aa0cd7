"""OTLP/HTTP decoding for the collector: bodies in, RawSpans / LogRecords / counts out.

The collector's request handler does, for ``POST /v1/traces``::

    body = read_body(raw, request.headers.get("content-encoding"), max_bytes)
    decoded = decode_traces(body, request.headers["content-type"])
    answer = export_response("traces", wire_format(content_type), decoded.rejected, decoded.error_message)

Errors map to statuses: OtlpDecodeError → 400, BodyTooLarge → 413,
UnsupportedEncoding and UnsupportedContentType → 415 (use ``error_body`` for the body).
"""

from server.otlp.body import read_body
from server.otlp.errors import BodyTooLarge, OtlpDecodeError, UnsupportedContentType, UnsupportedEncoding
from server.otlp.logs import LogRecord, decode_logs
from server.otlp.metrics import count_data_points
from server.otlp.responses import error_body, export_response
from server.otlp.traces import DecodedTraces, decode_traces
from server.otlp.wire import MEDIA_TYPES, WireFormat, wire_format

__all__ = [
    "MEDIA_TYPES",
    "BodyTooLarge",
    "DecodedTraces",
    "LogRecord",
    "OtlpDecodeError",
    "UnsupportedContentType",
    "UnsupportedEncoding",
    "WireFormat",
    "count_data_points",
    "decode_logs",
    "decode_traces",
    "error_body",
    "export_response",
    "read_body",
    "wire_format",
]
