"""The exporter against a real local OTLP/HTTP server (server/sink.py): retries honouring
Retry-After, no span lost or duplicated, ``flush()`` honest in both directions, drops,
partial success, compression and headers, and the OTLP/JSON encoding itself.

No HTTP is mocked: every request goes over a socket to an ``OtlpSink`` on 127.0.0.1.
"""

from __future__ import annotations

import email.utils
import gzip
import io
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

import tracer
from server.sink import SPANS_PATH, OtlpSink, _Handler
from tracer._internal.export.encoder import EncodedSpan, SpanEncoder
from tracer._internal.export.pipeline import Batch, ExportPipeline
from tracer._internal.export.transport import HttpTransport, parse_retry_after

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DIGITS = re.compile(r"^[0-9]+$")


# Helpers -------------------------------------------------------------------------------


class _RecordingHandler(_Handler):
    """The sink's handler, also recording each request's headers, raw body and arrival time."""

    server: RecordingSink

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        with self.server.lock:
            self.server.captured.append((arrived, {k.lower(): v for k, v in self.headers.items()}, raw))
        # Let the sink handle the request from the bytes we already read, then give the
        # keep-alive connection its socket file back.
        socket_file = self.rfile
        self.rfile = io.BytesIO(raw)  # type: ignore[assignment]
        try:
            super().do_POST()
        finally:
            self.rfile = socket_file

    def _answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        if status == 200 and self.server.reply_body is not None:
            body = self.server.reply_body
        super()._answer(status, body, content_type, headers)


class RecordingSink(OtlpSink):
    """OtlpSink that records headers/bodies/arrival times and can answer 200 with a set body."""

    def __init__(self, *args: Any, reply_body: bytes | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.RequestHandlerClass = _RecordingHandler
        self.captured: list[tuple[float, dict[str, str], bytes]] = []
        self.reply_body = reply_body

    def start(self) -> RecordingSink:
        # A short poll interval so stop() (in every teardown) does not wait 0.5 s.
        threading.Thread(target=self.serve_forever, args=(0.02,), name="otlp-sink", daemon=True).start()
        return self

    @property
    def arrivals(self) -> list[float]:
        with self.lock:
            return [arrived for arrived, _, _ in self.captured]

    def recover(self) -> None:
        """Drop the scripted answers still pending: from now on every request gets 200."""
        with self.lock:
            self.scripted.clear()


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


_COLLECTOR = _Collect()
_PROVIDER = TracerProvider(resource=Resource.create({"service.name": "export-tests"}), shutdown_on_exit=False)
_PROVIDER.add_span_processor(_COLLECTOR)
_OTEL_TRACER = _PROVIDER.get_tracer("test-export", "1.2.3")


def ended_spans(count: int, name: str = "work") -> list[ReadableSpan]:
    """``count`` finished spans from a real OTel provider."""
    first = len(_COLLECTOR.ended)
    for _ in range(count):
        with _OTEL_TRACER.start_as_current_span(name):
            pass
    return _COLLECTOR.ended[first:]


def encoded_spans(count: int) -> tuple[list[EncodedSpan], list[str]]:
    """``count`` encoded spans and their span IDs (hex), every one the same size."""
    spans = ended_spans(count)
    encoder = SpanEncoder()
    encoded = [encoder.encode(span) for span in spans]
    assert len({len(span_json) for span_json, _ in encoded}) == 1
    return encoded, [format(span.context.span_id, "016x") for span in spans]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sinks() -> Iterator[Callable[..., RecordingSink]]:
    """Start recording sinks; all are stopped after the test."""
    started: list[RecordingSink] = []

    def start(**kwargs: Any) -> RecordingSink:
        sink = RecordingSink(**{"keep_spans": True, **kwargs}).start()
        started.append(sink)
        return sink

    yield start
    for sink in started:
        sink.stop()


@pytest.fixture
def pipelines() -> Iterator[Callable[..., ExportPipeline]]:
    """Build ExportPipelines over HttpTransport; all are shut down after the test."""
    built: list[ExportPipeline] = []

    def build(
        url: str,
        *,
        max_queue_bytes: int = 1 << 20,
        batch_size: int = 512,
        interval: float = 0.05,
        max_retry_time: float = 5.0,
    ) -> ExportPipeline:
        transport = HttpTransport(url, {}, timeout=2.0, compression="none")
        pipeline = ExportPipeline(
            transport,
            max_queue_bytes=max_queue_bytes,
            batch_size=batch_size,
            interval=interval,
            max_retry_time=max_retry_time,
        )
        built.append(pipeline)
        return pipeline

    yield build
    for pipeline in built:
        pipeline.shutdown(0.5)


@pytest.fixture
def sdk() -> Iterator[None]:
    """The public API; shut down after the test so no configuration leaks."""
    yield
    tracer.shutdown(1.0)


def submit_all(pipeline: ExportPipeline, encoded: list[EncodedSpan]) -> None:
    for span in encoded:
        pipeline.submit(span)


# 1. Retries honouring Retry-After: nothing lost, nothing duplicated -------------------------


def test_503_retry_after_then_429_then_200_delivers_every_span_once(
    sdk: None, sinks: Callable[..., RecordingSink]
) -> None:
    sink = sinks(responses=[(503, {"Retry-After": "1"}), (429, {})])
    tracer.configure(endpoint=sink.url + SPANS_PATH, export_interval=0.05, max_retry_time=10.0)

    @tracer.tool
    def lookup(item: int) -> int:
        expected.append(tracer.current_span().span_id)
        return item * 2

    expected: list[str] = []
    for item in range(20):
        assert lookup(item) == item * 2

    assert tracer.flush(10.0) is True
    assert sorted(sink.span_ids) == sorted(expected)  # none lost
    assert len(set(sink.span_ids)) == len(sink.span_ids) == 20  # none duplicated
    stats = tracer.stats()
    assert stats.export_retries == 2
    assert stats.spans_lost == 0
    assert stats.spans_exported == 20
    assert stats.spans_queued == 0
    arrivals = sink.arrivals
    assert arrivals[1] - arrivals[0] >= 0.99  # waited the 503's Retry-After: 1
    assert {span["name"] for span in sink.kept} == {"lookup"}
    # Defaults: plain JSON, no credentials sent when none are configured.
    _, headers, raw = sink.captured[-1]
    assert "content-encoding" not in headers
    assert "authorization" not in headers
    assert orjson.loads(raw)["resourceSpans"]


def test_retry_after_zero_means_retry_now_not_give_up(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    sink = sinks(responses=[(503, {"Retry-After": "0"})])
    pipeline = pipelines(sink.url + SPANS_PATH, max_retry_time=5.0)
    encoded, ids = encoded_spans(4)
    submit_all(pipeline, encoded)

    assert pipeline.flush(5.0) is True
    assert sorted(sink.span_ids) == sorted(ids)
    stats = pipeline.stats()
    assert stats.spans_failed == 0
    assert stats.export_retries == 1


def test_no_retry_sooner_than_retry_after_even_near_max_retry_time(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    # The collector asks for 1 s but the batch may only be retried for 0.3 s: the SDK may
    # wait or give up, but must not come back before the collector said it could.
    sink = sinks(responses=[(503, {"Retry-After": "1"})])
    pipeline = pipelines(sink.url + SPANS_PATH, max_retry_time=0.3)
    encoded, ids = encoded_spans(3)
    submit_all(pipeline, encoded)

    flushed = pipeline.flush(5.0)
    arrivals = sink.arrivals
    if len(arrivals) > 1:
        assert arrivals[1] - arrivals[0] >= 0.99, "retried before the collector's Retry-After"
    stats = pipeline.stats()
    assert flushed is (sorted(sink.span_ids) == sorted(ids))
    assert stats.spans_failed + stats.spans_exported == 3


# 2. flush() honest the other way ---------------------------------------------------------


def test_flush_false_while_server_keeps_failing_then_true_after_recovery(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    sink = sinks(responses=[(503, {"Retry-After": "0.1"})] * 100)
    pipeline = pipelines(sink.url + SPANS_PATH, max_retry_time=0.5)
    lost, _ = encoded_spans(5)
    submit_all(pipeline, lost)

    started = time.monotonic()
    assert pipeline.flush(0.2) is False  # still retrying: not acknowledged
    assert time.monotonic() - started < 1.0
    assert pipeline.flush(5.0) is False  # retries ran out: lost
    stats = pipeline.stats()
    assert stats.spans_failed == 5
    assert stats.spans_exported == 0
    assert stats.export_retries >= 1
    assert sink.spans_received == 0

    sink.recover()
    delivered, ids = encoded_spans(3)
    submit_all(pipeline, delivered)
    assert pipeline.flush(5.0) is True  # the earlier loss was already reported
    assert sorted(sink.span_ids) == sorted(ids)
    stats = pipeline.stats()
    assert (stats.spans_exported, stats.spans_failed) == (3, 5)


def test_flush_false_when_server_is_down_then_true_once_it_is_up(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    port = free_port()
    pipeline = pipelines(f"http://127.0.0.1:{port}{SPANS_PATH}", max_retry_time=0.4)
    lost, _ = encoded_spans(4)
    submit_all(pipeline, lost)

    assert pipeline.flush(5.0) is False
    stats = pipeline.stats()
    assert stats.spans_failed == 4
    assert stats.export_retries >= 1

    sink = sinks(port=port)
    delivered, ids = encoded_spans(2)
    submit_all(pipeline, delivered)
    assert pipeline.flush(5.0) is True
    assert sorted(sink.span_ids) == sorted(ids)


# 3. Non-retryable answers ----------------------------------------------------------------


def test_400_fails_the_batch_at_once_without_retry(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    sink = sinks(responses=[(400, {})])
    pipeline = pipelines(sink.url + SPANS_PATH, max_retry_time=10.0)
    encoded, _ = encoded_spans(4)
    submit_all(pipeline, encoded)

    started = time.monotonic()
    assert pipeline.flush(5.0) is False
    assert time.monotonic() - started < 1.0  # no backoff
    stats = pipeline.stats()
    assert stats.spans_failed == 4
    assert stats.export_retries == 0
    assert stats.export_requests == 1
    assert sink.requests == 1
    assert sink.spans_received == 0


# 4. Queue full ---------------------------------------------------------------------------


def test_full_queue_drops_and_counts_spans_and_keeps_the_rest(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    sink = sinks()
    encoded, ids = encoded_spans(10)
    # Room for 3 spans; the worker waits out its interval, so all 10 meet a full queue.
    pipeline = pipelines(sink.url + SPANS_PATH, max_queue_bytes=3 * len(encoded[0][0]), interval=5.0)
    submit_all(pipeline, encoded)

    stats = pipeline.stats()
    assert stats.spans_dropped == 7
    assert stats.spans_queued == 3
    assert pipeline.flush(5.0) is False
    assert sorted(sink.span_ids) == sorted(ids[:3])  # the kept spans still arrive
    stats = pipeline.stats()
    assert (stats.spans_exported, stats.spans_dropped, stats.spans_lost) == (3, 7, 7)

    more, more_ids = encoded_spans(2)
    submit_all(pipeline, more)
    assert pipeline.flush(5.0) is True  # drops are reported once
    assert sorted(sink.span_ids) == sorted(ids[:3] + more_ids)


# 5. Partial success ----------------------------------------------------------------------


def test_partial_success_rejected_spans_count_as_failed(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    reply = orjson.dumps({"partialSuccess": {"rejectedSpans": "2", "errorMessage": "2 spans too large"}})
    sink = sinks(reply_body=reply)
    pipeline = pipelines(sink.url + SPANS_PATH)
    encoded, _ = encoded_spans(5)
    submit_all(pipeline, encoded)

    assert pipeline.flush(5.0) is False
    stats = pipeline.stats()
    assert stats.spans_failed == 2
    assert stats.spans_exported == 3
    assert stats.export_retries == 0


def test_partial_success_with_only_a_warning_is_success(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    reply = orjson.dumps({"partialSuccess": {"rejectedSpans": "0", "errorMessage": "deprecated field"}})
    sink = sinks(reply_body=reply)
    pipeline = pipelines(sink.url + SPANS_PATH)
    encoded, ids = encoded_spans(3)
    submit_all(pipeline, encoded)

    assert pipeline.flush(5.0) is True
    assert sorted(sink.span_ids) == sorted(ids)
    assert pipeline.stats().spans_lost == 0


# 6. Connection errors are retried ---------------------------------------------------------


def test_connection_refused_is_retried_until_the_server_appears(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    port = free_port()
    pipeline = pipelines(f"http://127.0.0.1:{port}{SPANS_PATH}", max_retry_time=10.0)
    encoded, ids = encoded_spans(6)
    submit_all(pipeline, encoded)

    wait_until(lambda: pipeline.stats().export_retries >= 1)  # one attempt was refused
    sink = sinks(port=port)
    assert pipeline.flush(10.0) is True
    assert sorted(sink.span_ids) == sorted(ids)
    assert len(set(sink.span_ids)) == 6
    assert pipeline.stats().spans_lost == 0


# 7. Retry-After parsing ------------------------------------------------------------------

_NOW = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("1", 1.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (email.utils.formatdate(_NOW + 30, usegmt=True), 30.0),
        ("Wed, 21 Oct 2015 07:28:45 GMT", 45.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("1 minute", None),
        ("Wed, 99 Foo 2015", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    parsed = parse_retry_after(header, now=_NOW)
    if seconds is None:
        assert parsed is None
    else:
        assert parsed == pytest.approx(seconds)


# 8. Compression and headers --------------------------------------------------------------


def test_gzip_body_api_key_and_project_headers(sdk: None, sinks: Callable[..., RecordingSink]) -> None:
    sink = sinks()
    tracer.configure(
        endpoint=sink.url + SPANS_PATH,
        api_key="sk-test-123",
        project="checkout",
        compression="gzip",
        export_interval=0.05,
    )

    @tracer.chain
    def pipeline_step(text: str) -> str:
        return text.upper()

    for text in ("a", "b", "c"):
        pipeline_step(text)
    assert tracer.flush(5.0) is True

    assert sink.captured
    sent_ids: list[str] = []
    for _, headers, raw in sink.captured:
        assert headers["content-encoding"] == "gzip"
        assert headers["content-type"].startswith("application/json")
        assert headers["authorization"] == "Bearer sk-test-123"
        assert headers["x-spanscope-project"] == "checkout"
        assert raw[:2] == b"\x1f\x8b"  # really gzip on the wire
        request = orjson.loads(gzip.decompress(raw))
        sent_ids += [
            span["spanId"]
            for resource_spans in request["resourceSpans"]
            for scope_spans in resource_spans["scopeSpans"]
            for span in scope_spans["spans"]
        ]
    assert len(sent_ids) == 3
    assert sorted(sent_ids) == sorted(sink.span_ids)  # the sink decoded the same spans
    assert [span["name"] for span in sink.kept] == ["pipeline_step"] * 3


# 9. OTLP/JSON encoding -------------------------------------------------------------------


def _spans_of(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        span["name"]: span
        for resource_spans in request["resourceSpans"]
        for scope_spans in resource_spans["scopeSpans"]
        for span in scope_spans["spans"]
    }


def _attributes(span: dict[str, Any]) -> dict[str, Any]:
    return {item["key"]: item["value"] for item in span.get("attributes", [])}


def test_encoded_request_is_valid_otlp_json() -> None:
    first = len(_COLLECTOR.ended)
    with _OTEL_TRACER.start_as_current_span("root") as root:
        root.set_attributes(
            {
                "text": "hello",
                "count": 2**40,
                "flag": True,
                "score": 0.25,
                "tags": ["a", "b"],
                "config": {"model": "m1", "temperature": 0.5, "stream": False, "stop": ["\n"]},
            }
        )
        root.set_status(Status(StatusCode.OK))
        with _OTEL_TRACER.start_as_current_span("call", kind=SpanKind.CLIENT):
            pass
        with pytest.raises(ValueError, match="boom"), _OTEL_TRACER.start_as_current_span("failing"):
            raise ValueError("boom")
    spans = _COLLECTOR.ended[first:]
    encoder = SpanEncoder()
    batch = Batch(1)
    for seq, span in enumerate(spans, start=1):
        batch.add(seq, encoder.encode(span))
    body = batch.request_body()
    request = orjson.loads(body)

    (resource_spans,) = request["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "export-tests"}} in resource_spans["resource"]["attributes"]
    (scope_spans,) = resource_spans["scopeSpans"]
    assert scope_spans["scope"] == {"name": "test-export", "version": "1.2.3"}
    by_name = _spans_of(request)
    assert set(by_name) == {"root", "call", "failing"}

    root_json, call_json, failing_json = by_name["root"], by_name["call"], by_name["failing"]
    for span in by_name.values():
        assert HEX32.match(span["traceId"]), span["traceId"]
        assert HEX16.match(span["spanId"]), span["spanId"]
        assert span["traceId"] == root_json["traceId"]
        # int64 (fixed64) values are decimal strings in OTLP/JSON.
        assert isinstance(span["startTimeUnixNano"], str)
        assert DIGITS.match(span["startTimeUnixNano"])
        assert DIGITS.match(span["endTimeUnixNano"])
        assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"])
    assert root_json["traceId"] == format(spans[-1].context.trace_id, "032x")
    assert root_json["spanId"] == format(spans[-1].context.span_id, "016x")
    assert "parentSpanId" not in root_json
    assert call_json["parentSpanId"] == root_json["spanId"]
    assert failing_json["parentSpanId"] == root_json["spanId"]

    # SpanKind enum as an integer, OTLP numbering (UNSPECIFIED = 0).
    assert root_json["kind"] == 1  # INTERNAL
    assert call_json["kind"] == 3  # CLIENT
    # Status: OK = 1, ERROR = 2 with its message, UNSET left out.
    assert root_json["status"] == {"code": 1}
    assert failing_json["status"]["code"] == 2
    assert "boom" in failing_json["status"]["message"]
    assert "status" not in call_json

    (event,) = failing_json["events"]
    assert event["name"] == "exception"
    assert DIGITS.match(event["timeUnixNano"])
    event_attributes = _attributes(event)
    assert event_attributes["exception.type"] == {"stringValue": "ValueError"}
    assert event_attributes["exception.message"] == {"stringValue": "boom"}
    assert "ValueError: boom" in event_attributes["exception.stacktrace"]["stringValue"]

    attributes = _attributes(root_json)
    assert attributes["text"] == {"stringValue": "hello"}
    assert attributes["count"] == {"intValue": "1099511627776"}
    assert attributes["flag"] == {"boolValue": True}
    assert attributes["score"] == {"doubleValue": 0.25}
    assert attributes["tags"] == {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}}
    assert attributes["config"] == {
        "kvlistValue": {
            "values": [
                {"key": "model", "value": {"stringValue": "m1"}},
                {"key": "temperature", "value": {"doubleValue": 0.5}},
                {"key": "stream", "value": {"boolValue": False}},
                {"key": "stop", "value": {"arrayValue": {"values": [{"stringValue": "\n"}]}}},
            ]
        }
    }


@pytest.mark.parametrize(("value", "expected"), [(float("nan"), "NaN"), (float("inf"), "Infinity")])
def test_non_finite_float_attribute_survives_encoding(value: float, expected: str) -> None:
    # proto3 JSON writes non-finite doubles as strings; null would be read back as 0.0
    # (an evaluator score of NaN would show up as a perfect 0).
    first = len(_COLLECTOR.ended)
    with _OTEL_TRACER.start_as_current_span("scored", attributes={"score": value}):
        pass
    span_json, _ = SpanEncoder().encode(_COLLECTOR.ended[first])
    assert _attributes(orjson.loads(span_json))["score"] == {"doubleValue": expected}


def test_spans_from_two_threads_all_arrive_once(
    sinks: Callable[..., RecordingSink], pipelines: Callable[..., ExportPipeline]
) -> None:
    sink = sinks()
    pipeline = pipelines(sink.url + SPANS_PATH, batch_size=16)
    batches = [encoded_spans(40), encoded_spans(40)]
    threads = [threading.Thread(target=submit_all, args=(pipeline, encoded)) for encoded, _ in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert pipeline.flush(5.0) is True
    expected = batches[0][1] + batches[1][1]
    assert sorted(sink.span_ids) == sorted(expected)
    assert pipeline.stats().spans_exported == 80
