"""Count the data points of an OTLP ExportMetricsServiceRequest (protobuf or JSON).

Metrics are accepted so that one OTLP endpoint serves every signal an instrumented app
sends, but they are only counted (for the collector's own stats), not stored.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from server.otlp._common import Malformed, Problem, type_name
from server.otlp._json_values import get_list, load, walk
from server.otlp.errors import OtlpDecodeError
from server.otlp.wire import wire_format

# The Metric oneof "data", in JSON and snake_case spelling.
_DATA_KEYS = (
    ("gauge", "gauge"),
    ("sum", "sum"),
    ("histogram", "histogram"),
    ("exponentialHistogram", "exponential_histogram"),
    ("summary", "summary"),
)


def count_data_points(body: bytes, content_type: str) -> int:
    """The number of data points in a request body (already decompressed).

    >>> count_data_points(b"", "application/x-protobuf")
    0
    """
    if wire_format(content_type) == "protobuf":
        try:
            request = ExportMetricsServiceRequest.FromString(body)
        except DecodeError as error:
            raise OtlpDecodeError(f"body is not a valid protobuf ExportMetricsServiceRequest: {error}") from None
        total = 0
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    which = metric.WhichOneof("data")
                    if which is not None:
                        total += len(getattr(metric, which).data_points)
        return total
    try:
        return _count_json(load(body, "ExportMetricsServiceRequest"))
    except Problem as problem:
        raise OtlpDecodeError(problem.message) from None


def _count_json(request: dict[str, Any]) -> int:
    counts: list[int] = []
    walk(request, _JSON_LEVELS, lambda metric: counts.append(_count_metric(metric)))
    return sum(counts)


_JSON_LEVELS = (
    ("resourceMetrics", "resource_metrics", "ResourceMetrics"),
    ("scopeMetrics", "scope_metrics", "ScopeMetrics"),
    ("metrics", "metrics", "Metric"),
)


def _count_metric(metric: dict[str, Any]) -> int:
    for camel, snake in _DATA_KEYS:
        data = metric.get(camel)
        if data is None:
            data = metric.get(snake)
        if data is None:
            continue
        if type(data) is not dict:
            raise Malformed(f"expected an object, got {type_name(data)}").at("." + camel)
        try:
            return len(get_list(data, "dataPoints", "data_points"))
        except Problem as problem:
            raise problem.at("." + camel) from None
    return 0
