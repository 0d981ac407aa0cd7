"""read_body: Content-Encoding, size limits, gzip bombs; and the response bodies."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib

import orjson
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from server.otlp import (
    BodyTooLarge,
    OtlpDecodeError,
    UnsupportedEncoding,
    error_body,
    export_response,
    read_body,
    responses,
    wire_format,
)

BODY = b'{"resourceSpans": []}' * 100


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (BODY, None),
        (BODY, ""),
        (BODY, "identity"),
        (gzip.compress(BODY), "gzip"),
        (gzip.compress(BODY), "GZIP "),
        (gzip.compress(BODY), "x-gzip"),
        (gzip.compress(BODY[:50]) + gzip.compress(BODY[50:]), "gzip"),  # two gzip members
        (zlib.compress(BODY), "deflate"),
        (zlib.compress(BODY)[2:-4], "deflate"),  # bare deflate, as some clients send it
        (gzip.compress(zlib.compress(BODY)), "deflate, gzip"),
    ],
)
def test_encodings(encoded: bytes, encoding: str | None) -> None:
    assert read_body(encoded, encoding, 10_000) == BODY


def test_unknown_encoding() -> None:
    with pytest.raises(UnsupportedEncoding, match="unsupported Content-Encoding 'br'"):
        read_body(BODY, "br", 10_000)


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        (b"not gzip at all", "body is not valid gzip: Error -3"),
        (gzip.compress(BODY)[:-10], "body is not valid gzip: the compressed stream is truncated"),
        (gzip.compress(BODY) + b"junk", "body is not valid gzip: 4 bytes of trailing garbage"),
    ],
)
def test_corrupt_gzip(encoded: bytes, message: str) -> None:
    with pytest.raises(OtlpDecodeError, match=message):
        read_body(encoded, "gzip", 10_000)


def test_limits() -> None:
    assert read_body(BODY, None, len(BODY)) == BODY
    with pytest.raises(BodyTooLarge, match=f"request body is {len(BODY)} bytes, the limit is 100"):
        read_body(BODY, None, 100)
    assert read_body(gzip.compress(BODY), "gzip", len(BODY)) == BODY
    with pytest.raises(BodyTooLarge, match="decompresses to more than"):
        read_body(gzip.compress(BODY), "gzip", len(BODY) - 1)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to about 1 GB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(16 * 1024 * 1024)
    pieces = [compressor.compress(chunk) for _ in range(64)]
    pieces.append(compressor.flush())
    return b"".join(pieces)


def test_gzip_bomb_is_stopped_at_the_limit(gzip_bomb: bytes) -> None:
    limit = 8 * 1024 * 1024
    assert 500_000 < len(gzip_bomb) < limit
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(BodyTooLarge):
            read_body(gzip_bomb, "gzip", limit)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0  # inflating all of it takes several seconds
    # zlib's growing output buffer and the final bytes copy: a small multiple of the limit,
    # not the gigabyte the bomb expands to.
    assert peak < 3 * limit


def test_wire_format() -> None:
    assert wire_format("application/x-protobuf") == "protobuf"
    assert wire_format("application/json; charset=UTF-8") == "json"


@pytest.mark.parametrize(
    ("signal", "message_class", "field"),
    [
        ("traces", ExportTraceServiceResponse, "rejected_spans"),
        ("logs", ExportLogsServiceResponse, "rejected_log_records"),
        ("metrics", ExportMetricsServiceResponse, "rejected_data_points"),
    ],
)
def test_protobuf_export_responses(signal: str, message_class: type, field: str) -> None:
    assert export_response(signal, "protobuf") == b""  # type: ignore[arg-type]
    response = message_class.FromString(export_response(signal, "protobuf", 3, "bad"))  # type: ignore[arg-type]
    assert response.HasField("partial_success")
    assert (getattr(response.partial_success, field), response.partial_success.error_message) == (3, "bad")


def test_media_type_helpers() -> None:
    assert responses.traces_response(1, "x", "application/json") == export_response("traces", "json", 1, "x")
    assert responses.logs_response("application/x-protobuf") == b""
    assert responses.metrics_response("application/json") == b"{}"
    assert responses.error_response_body(503, "busy", "application/json") == b'{"code":14,"message":"busy"}'


def test_json_export_responses() -> None:
    assert export_response("traces", "json") == b"{}"
    assert orjson.loads(export_response("traces", "json", 2, "x")) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "x"}
    }
    assert orjson.loads(export_response("logs", "json", 1)) == {"partialSuccess": {"rejectedLogRecords": "1"}}
    assert orjson.loads(export_response("metrics", "json", 0, "warning")) == {
        "partialSuccess": {"rejectedDataPoints": "0", "errorMessage": "warning"}
    }


@pytest.mark.parametrize(("http_status", "code"), [(400, 3), (413, 3), (415, 3), (429, 8), (503, 14), (418, 2)])
def test_error_bodies(http_status: int, code: int) -> None:
    message = "résumé " * 40  # a length that needs a two-byte varint
    status = status_pb2.Status.FromString(error_body("protobuf", http_status, message))
    assert (status.code, status.message) == (code, message)
    assert orjson.loads(error_body("json", http_status, message)) == {"code": code, "message": message}
