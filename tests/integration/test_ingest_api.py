"""What the collector answers on its OTLP/HTTP endpoints, over real sockets, on DuckDB and Postgres.

docs/server.md ("What ingest answers") and ARCHITECTURE.md decision 3: 200 only after commit,
400 bad data, 413 too large after decompression, 415 unknown type or encoding, 503 + Retry-After
for a full queue or a transient database fault, never 500 for a transient cause.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric, NumberDataPoint
from opentelemetry.sdk.trace import TracerProvider

import tracer
from server.storage import migrate
from server.storage.duckdb import _write_lock
from tests.integration.collector_helpers import (
    JSON,
    PROTOBUF,
    T0_NS,
    TRACE_PATHS,
    RunningCollector,
    all_spans,
    any_value,
    dumps,
    log_record,
    logs_request,
    new_span_id,
    new_trace_id,
    running_collector,
    span,
    text_message,
    traces_request,
    wait_until,
)
from tests.integration.conftest import Backend
from tests.unit._otlp_helpers import NESTED, json_body, protobuf_body, sdk_spans

MAX_BODY = 4 * 1024 * 1024


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url, max_body_bytes=MAX_BODY) as running:
        yield running


def rpc_status(response: httpx.Response) -> tuple[int, str]:
    """The google.rpc.Status of an error answer, JSON or protobuf ({int32 code = 1; string message = 2})."""
    if response.headers["content-type"].startswith(JSON):
        body = response.json()
        return int(body.get("code", 0)), str(body.get("message", ""))
    data, position = response.content, 0
    fields: dict[int, int | str] = {}
    while position < len(data):
        tag, position = _varint(data, position)
        if tag & 7 == 0:
            fields[tag >> 3], position = _varint(data, position)
        else:
            size, position = _varint(data, position)
            fields[tag >> 3] = data[position : position + size].decode()
            position += size
    return int(fields.get(1, 0)), str(fields.get(2, ""))


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def names_and_parents(detail: dict[str, Any]) -> set[tuple[str, str | None]]:
    """(span name, parent span name) for every span of a trace detail, read from the tree."""
    found: set[tuple[str, str | None]] = set()

    def walk(nodes: list[dict[str, Any]], parent: str | None) -> None:
        for node in nodes:
            found.add((node["name"], parent))
            walk(node["children"], node["name"])

    walk(detail["spans"], None)
    return found


def simple_trace(spans: int = 3) -> tuple[str, dict[str, Any]]:
    trace_id = new_trace_id()
    root = span(trace_id, "root")
    children = [
        span(trace_id, f"child {n}", parent=root["spanId"], start_ns=T0_NS + n * 1_000_000) for n in range(spans - 1)
    ]
    return trace_id, traces_request(root, *children)


# -- stored and readable ---------------------------------------------------------------------------


def test_protobuf_and_json_on_both_paths_plain_and_gzip_are_stored_and_readable(collector: RunningCollector) -> None:
    expected_tree = {
        ("invoke_agent planner", None),
        ("chat gpt-4o", "invoke_agent planner"),
        ("execute_tool search", "invoke_agent planner"),
        ("queue PRODUCER", "invoke_agent planner"),
        ("queue CONSUMER", "invoke_agent planner"),
    }
    for wire in ("protobuf", "json"):
        for path in TRACE_PATHS:
            for compressed in (False, True):
                case = f"{wire} to {path}{' gzip' if compressed else ''}"
                spans = sdk_spans()
                trace_id = format(spans[0].context.trace_id, "032x")
                body, content_type = (
                    (protobuf_body(spans), PROTOBUF) if wire == "protobuf" else (json_body(spans), JSON)
                )
                headers = {"content-encoding": "gzip"} if compressed else {}
                response = collector.post(path, gzip.compress(body) if compressed else body, content_type, headers)
                assert response.status_code == 200, f"{case}: {response.status_code} {response.content!r}"
                assert response.headers["content-type"] == content_type, case
                if wire == "protobuf":
                    answer = ExportTraceServiceResponse.FromString(response.content)
                    assert not answer.HasField("partial_success"), case
                else:
                    assert response.json() == {}, case

                detail = collector.trace(trace_id)
                assert detail["trace"]["span_count"] == 5, case
                assert names_and_parents(detail) == expected_tree, case
                by_name = {node["name"]: node for node in all_spans(detail["spans"])}
                llm = by_name["chat gpt-4o"]
                assert by_name["invoke_agent planner"]["kind"] == "agent", case
                assert (llm["model"], llm["input_tokens"]) == ("gpt-4o", 12), case
                assert llm["attributes"]["gen_ai.input.messages"] == NESTED, case  # a structured value, intact
                assert [event["name"] for event in llm["events"]] == ["gen_ai.choice"], case
                tool = by_name["execute_tool search"]
                assert (tool["status"], tool["status_message"]) == ("error", "tool timed out"), case
                assert tool["links"] and tool["links"][0]["span_id"] == llm["span_id"], case
                assert detail["trace"]["error_count"] == 1, case
                assert llm["service_name"] == "svc" and llm["scope_name"] == "my.scope", case


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_json_from_our_sdk_is_stored_and_readable(collector: RunningCollector, compression: str) -> None:
    tracer.configure(endpoint=collector.url + "/v1/traces", tracer_provider=TracerProvider(), compression=compression)
    try:
        seen: dict[str, str] = {}

        @tracer.retriever
        def search(query: str) -> list[str]:
            return ["Order 42 shipped on Monday.", "Returns take 30 days."]

        @tracer.tool
        def order_status(order: str) -> dict[str, str]:
            return {"status": "shipped"}

        @tracer.llm
        def answer(messages: list[dict[str, str]]) -> str:
            return "It shipped on Monday."

        @tracer.agent
        def support_bot(question: str) -> str:
            seen["trace_id"] = tracer.current_span().trace_id
            search(question)
            order_status("42")
            return answer([{"role": "user", "content": question}])

        with tracer.context(session_id="chat-42", user_id="ada"):
            assert support_bot("Where is my order?") == "It shipped on Monday."
        assert tracer.flush(), tracer.stats()
    finally:
        tracer.shutdown()

    detail = collector.trace(seen["trace_id"])
    summary = detail["trace"]
    assert (summary["name"], summary["span_count"], summary["session_id"], summary["user_id"]) == (
        "support_bot",
        4,
        "chat-42",
        "ada",
    )
    assert names_and_parents(detail) == {
        ("support_bot", None),
        ("search", "support_bot"),
        ("order_status", "support_bot"),
        ("answer", "support_bot"),
    }
    by_name = {node["name"]: node for node in all_spans(detail["spans"])}
    assert {name: node["kind"] for name, node in by_name.items()} == {
        "support_bot": "agent",
        "search": "retriever",
        "order_status": "tool",
        "answer": "llm",
    }
    assert [doc["content"] for doc in by_name["search"]["documents"]] == [
        "Order 42 shipped on Monday.",
        "Returns take 30 days.",
    ]
    assert (by_name["order_status"]["tool_name"], json.loads(by_name["order_status"]["tool_result"])) == (
        "order_status",
        {"status": "shipped"},
    )
    assert by_name["answer"]["input_messages"] == [text_message("user", "Where is my order?")]
    assert summary["output_preview"] == "It shipped on Monday."


# -- partial success -------------------------------------------------------------------------------


def test_invalid_spans_are_rejected_one_by_one_and_the_valid_ones_stored(collector: RunningCollector) -> None:
    trace_id = new_trace_id()
    good = span(trace_id, "good")
    payload = traces_request(
        good,
        span(trace_id, "short trace id", traceId="abc123"),
        span(trace_id, "short span id", span_id="abcd"),
        span(trace_id, "zero span id", span_id="0" * 16),
        span(trace_id, "ends before it starts", startTimeUnixNano=str(T0_NS), endTimeUnixNano=str(T0_NS - 1)),
    )
    response = collector.post_json(payload)
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "4"
    assert partial["errorMessage"]
    detail = collector.trace(trace_id)
    assert [node["name"] for node in all_spans(detail["spans"])] == ["good"]
    assert detail["trace"]["span_count"] == 1

    # The same in protobuf: one good span, one with a 3-byte trace ID, one ending before its start.
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    good_trace = bytes.fromhex(new_trace_id())
    for name, trace_bytes, start, end in [
        ("good", good_trace, T0_NS, T0_NS + 1),
        ("bad id", b"abc", T0_NS, T0_NS + 1),
        ("backwards", good_trace, T0_NS, T0_NS - 5),
    ]:
        added = spans.add(name=name, trace_id=trace_bytes, span_id=bytes.fromhex(new_span_id()))
        added.start_time_unix_nano, added.end_time_unix_nano = start, end
    response = collector.post("/v1/traces", request.SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert answer.partial_success.error_message
    assert [node["name"] for node in collector.trace(good_trace.hex())["spans"]] == ["good"]


# -- bad requests ----------------------------------------------------------------------------------


def _nested_json_attribute(depth: int) -> bytes:
    value = '{"arrayValue":{"values":[' * depth + '{"stringValue":"deep"}' + "]}}" * depth
    attribute = '{"key":"deep","value":' + value + "}"
    return (
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"'
        + new_trace_id()
        + '","spanId":"'
        + new_span_id()
        + '","name":"deep","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":['
        + attribute
        + "]}]}]}]}"
    ).encode()


def _invalid_utf8_protobuf() -> bytes:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.add(
        name="MARKER", trace_id=bytes.fromhex(new_trace_id()), span_id=bytes.fromhex(new_span_id())
    )
    return bytes(request.SerializeToString()).replace(b"MARKER", b"\xff\xfe\xfdMRK")


def _gzip_bomb() -> bytes:
    """About 1 MB that inflates to 1 GiB: 64 gzip members (RFC 1952 allows several) of 16 MiB of zeros."""
    member = gzip.compress(bytes(16 * 1024 * 1024), compresslevel=9)
    return member * 64


BAD_REQUESTS: list[tuple[str, str, str, dict[str, str], Any, int, str]] = [
    # (case, path, content type, headers, body or builder, status, a word the message must contain)
    ("malformed protobuf", "/v1/traces", PROTOBUF, {}, b"\xff\xff\xff\xff\x0f", 400, "protobuf"),
    ("malformed JSON", "/v1/traces", JSON, {}, b'{"resourceSpans": [', 400, "JSON"),
    ("JSON of the wrong shape", "/v1/traces", JSON, {}, b'{"resourceSpans": {"a": 1}}', 400, "resourceSpans"),
    ("malformed JSON logs", "/v1/logs", JSON, {}, b"[1, 2", 400, "JSON"),
    ("malformed protobuf metrics", "/v1/metrics", PROTOBUF, {}, b"\x0a\xff\xff\xff", 400, "protobuf"),
    ("text/plain", "/v1/traces", "text/plain", {}, b"hello", 415, "Content-Type"),
    ("no content type", "/v1/traces", "", {}, b"{}", 415, "Content-Type"),
    ("unknown Content-Encoding", "/v1/traces", JSON, {"content-encoding": "br"}, b"{}", 415, "br"),
    ("gzip that is not gzip", "/v1/traces", JSON, {"content-encoding": "gzip"}, b"{}", 400, "gzip"),
    ("gzip bomb", "/v1/traces", PROTOBUF, {"content-encoding": "gzip"}, _gzip_bomb, 413, "bytes"),
    ("body over the limit", "/v1/traces", JSON, {}, lambda: b" " * (MAX_BODY + 1), 413, "limit"),
    ("100k-deep nested attribute", "/v1/traces", JSON, {}, lambda: _nested_json_attribute(100_000), 400, "depth"),
    ("invalid UTF-8 in JSON", "/v1/traces", JSON, {}, b'{"resourceSpans": [{"x": "\xff\xfe"}]}', 400, "UTF-8"),
    ("invalid UTF-8 in protobuf", "/v1/traces", PROTOBUF, {}, _invalid_utf8_protobuf, 400, "UTF-8"),
]


def test_bad_requests_get_the_right_status_and_change_nothing(collector: RunningCollector) -> None:
    baseline_id, baseline = simple_trace(3)
    assert collector.post_json(baseline).status_code == 200
    before = collector.trace(baseline_id)
    problems = []
    for case, path, content_type, headers, body, status, word in BAD_REQUESTS:
        content = body() if callable(body) else body
        try:
            response = collector.post(path, content, content_type, headers)
        except httpx.HTTPError as error:
            problems.append(f"{case}: the request failed: {error!r}")
            continue
        code, message = rpc_status(response) if response.content else (0, "")
        if response.status_code != status:
            problems.append(f"{case}: expected {status}, got {response.status_code} {response.content[:300]!r}")
        elif word.lower() not in message.lower():
            problems.append(f"{case}: the message {message!r} does not mention {word!r}")
        elif code == 0:
            problems.append(f"{case}: the google.rpc.Status has no code: {response.content[:200]!r}")
        # The collector keeps serving.
        after_id, after = simple_trace(1)
        valid = collector.post_json(after)
        if valid.status_code != 200 or collector.trace(after_id)["trace"]["span_count"] != 1:
            problems.append(f"after {case}: a valid request got {valid.status_code} {valid.text}")
    assert not problems, "\n".join(problems)
    assert collector.trace(baseline_id) == before


def test_a_declared_content_length_over_the_limit_is_refused_before_the_body(collector: RunningCollector) -> None:
    port = int(collector.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000000\r\n\r\n{"
        )
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and received.rstrip().endswith(b"}"):
                break
        answer = received.decode("latin-1")
    status_line, _, rest = answer.partition("\r\n")
    assert status_line.split()[1] == "413", answer
    assert "limit" in rest
    trace_id, payload = simple_trace(2)
    assert collector.post_json(payload).status_code == 200
    assert collector.trace(trace_id)["trace"]["span_count"] == 2


def test_hostile_keys_and_values_are_stored_safely_and_readable(collector: RunningCollector) -> None:
    trace_id = new_trace_id()
    hostile = span(
        trace_id,
        "nul\x00name",
        attributes={
            "__proto__": {"polluted": True},
            "constructor": "x",
            "key\x00with nul": "value\x00with nul",
            "nested": {"__proto__": ["a\x00b"]},
        },
    )
    response = collector.post_json(traces_request(hostile))
    assert response.status_code == 200, response.text
    stored = collector.span(trace_id, hostile["spanId"])
    assert stored["name"] == "nul\ufffdname"
    assert stored["attributes"]["__proto__"] == {"polluted": True}
    assert stored["attributes"]["constructor"] == "x"
    assert stored["attributes"]["key\ufffdwith nul"] == "value\ufffdwith nul"
    assert stored["attributes"]["nested"] == {"__proto__": ["a\ufffdb"]}
    assert "\x00" not in json.dumps(collector.trace(trace_id), ensure_ascii=False)


# -- idempotence and back pressure -----------------------------------------------------------------


def test_the_same_payload_sent_ten_times_concurrently_is_stored_once(collector: RunningCollector) -> None:
    trace_id, payload = simple_trace(25)
    body = dumps(payload)
    barrier = threading.Barrier(10)

    def send(_: int) -> int:
        with httpx.Client(base_url=collector.url, timeout=60) as client:
            barrier.wait()
            return client.post("/v1/traces", content=body, headers={"content-type": JSON}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(send, range(10)))
    assert statuses == [200] * 10
    detail = collector.trace(trace_id)
    assert detail["trace"]["span_count"] == 25
    assert len(all_spans(detail["spans"])) == 25
    listed = [item for item in collector.traces(limit=500)["traces"] if item["trace_id"] == trace_id]
    assert len(listed) == 1 and listed[0]["span_count"] == 25


@contextmanager
def writes_held(backend: Backend) -> Iterator[None]:
    """Hold the database so that the collector's writer waits inside its transaction.

    DuckDB: the process-wide write lock every store on the file takes (a second writer in this
    process). Postgres: a transaction from another connection holding EXCLUSIVE on ``spans``."""
    if backend.name == "duckdb":
        lock = _write_lock(backend.url)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
        return
    with psycopg.connect(backend.url.replace("+psycopg", "")) as connection:
        connection.execute("LOCK TABLE spans IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            connection.rollback()


def _post_async(collector: RunningCollector, pool: ThreadPoolExecutor, payload: dict[str, Any]) -> Future[Any]:
    def send() -> httpx.Response:
        with httpx.Client(base_url=collector.url, timeout=60) as client:
            return client.post("/v1/traces", content=dumps(payload), headers={"content-type": JSON})

    return pool.submit(send)


def test_a_full_queue_answers_503_with_retry_after(backend: Backend) -> None:
    with running_collector(backend.url, max_queue_spans=5, retry_after=3) as collector, ThreadPoolExecutor(2) as pool:
        first_id, first = simple_trace(3)
        second_id, second = simple_trace(6)  # over the limit, but accepted: the queue is empty
        with writes_held(backend):
            in_flight = _post_async(collector, pool, first)
            # The writer took the first request (nothing queued) and waits for the database.
            wait_until(
                lambda: collector.counters().get("spans_received") == 3 and collector.health()["queued_spans"] == 0,
                "the writer holds the first request",
            )
            queued = _post_async(collector, pool, second)
            wait_until(lambda: collector.health()["queued_spans"] == 6, "the second request is queued")
            _, third = simple_trace(1)
            refused = collector.post_json(third)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "3"
            assert "busy" in refused.json()["message"]
            assert not in_flight.done() and not queued.done(), "answered before the commit"
        assert in_flight.result(30).status_code == 200
        assert queued.result(30).status_code == 200
        assert collector.trace(first_id)["trace"]["span_count"] == 3
        assert collector.trace(second_id)["trace"]["span_count"] == 6
        # Once the queue drains, the refused request is accepted when the exporter retries it.
        assert collector.post_json(third).status_code == 200


def test_a_commit_slower_than_commit_timeout_answers_503_and_a_retry_changes_nothing(backend: Backend) -> None:
    with running_collector(backend.url, commit_timeout=0.5, retry_after=2) as collector:
        trace_id, payload = simple_trace(4)
        with writes_held(backend):
            late = collector.post_json(payload)
        assert late.status_code == 503, late.text
        assert late.headers["retry-after"] == "2"
        assert "commit" in late.json()["message"]
        wait_until(lambda: collector.health()["queued_spans"] == 0, "the writer caught up")
        retried = collector.post_json(payload)  # what the exporter does after a 503
        assert retried.status_code == 200
        detail = collector.trace(trace_id)
        assert detail["trace"]["span_count"] == 4
        assert len(all_spans(detail["spans"])) == 4


def _terminate_collector_connections(url: str) -> int:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.mark.postgres
def test_terminated_postgres_connections_never_answer_500(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    with running_collector(postgres_url) as collector:
        first_id, first = simple_trace(2)
        assert collector.post_json(first).status_code == 200
        before = collector.trace(first_id)  # also leaves a connection in the pool

        assert _terminate_collector_connections(postgres_url) >= 1
        trace_id, payload = simple_trace(3)
        during = collector.post_json(payload)
        assert during.status_code in (200, 503), f"{during.status_code} {during.text}"
        if during.status_code == 503:
            assert during.headers["retry-after"] == "1"
        after = collector.post_json(payload)  # the exporter's retry, or a resend
        assert after.status_code == 200, after.text
        assert collector.trace(trace_id)["trace"]["span_count"] == 3

        # The read API too: a dropped connection is a transient fault, not a server error.
        _terminate_collector_connections(postgres_url)
        read = collector.client.get(f"/api/v1/traces/{first_id}")
        assert read.status_code in (200, 503), f"{read.status_code} {read.text}"
        assert collector.trace(first_id) == before
        _terminate_collector_connections(postgres_url)
        health = collector.client.get("/health")
        assert health.status_code in (200, 503), f"{health.status_code} {health.text}"
        assert collector.health()["database"] == "ok"


# -- logs and metrics ------------------------------------------------------------------------------


def _genai_logs(trace_id: str, chat_id: str, details_id: str) -> dict[str, Any]:
    """As opentelemetry-instrumentation-openai-v2 emits them (per-message events, event name in
    the record or in ``event.name``) plus the newer single operation-details event."""
    return logs_request(
        log_record(
            trace_id,
            chat_id,
            "gen_ai.system.message",
            body={"content": "Be brief."},
            attributes={"gen_ai.system": "openai"},
            time_ns=T0_NS + 1,
        ),
        log_record(
            trace_id,
            chat_id,
            "gen_ai.user.message",
            body={"content": "Where is my order?"},
            attributes={"gen_ai.system": "openai"},
            time_ns=T0_NS + 2,
        ),
        log_record(
            trace_id,
            chat_id,
            "gen_ai.choice",
            body={"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "It shipped."}},
            attributes={"gen_ai.system": "openai"},
            time_ns=T0_NS + 3,
            name_as_attribute=True,
        ),
        log_record(
            trace_id,
            details_id,
            "gen_ai.client.inference.operation.details",
            attributes={
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "Summarize the order."}]}]
                ),
                "gen_ai.output.messages": [
                    {"role": "assistant", "parts": [{"type": "text", "content": "One parcel, shipped."}]}
                ],
            },
            time_ns=T0_NS + 4,
        ),
        log_record(None, None, None, body="an ordinary log line", time_ns=T0_NS + 5),
    )


@pytest.mark.parametrize("order", ["logs after the span", "logs before the span"])
def test_genai_log_events_become_the_spans_messages(collector: RunningCollector, order: str) -> None:
    trace_id = new_trace_id()
    root = span(trace_id, "agent")
    chat = span(trace_id, "chat gpt-4o", parent=root["spanId"], attributes={"gen_ai.operation.name": "chat"})
    details = span(trace_id, "chat details", parent=root["spanId"], attributes={"gen_ai.operation.name": "chat"})
    logs = _genai_logs(trace_id, chat["spanId"], details["spanId"])
    sends = [(traces_request(root, chat, details), "/v1/traces"), (logs, "/v1/logs")]
    for payload, path in sends if order == "logs after the span" else reversed(sends):
        response = collector.post_json(payload, path)
        assert response.status_code == 200, response.text
        assert response.json() == {}

    expected_chat = (
        [text_message("system", "Be brief."), text_message("user", "Where is my order?")],
        [{**text_message("assistant", "It shipped."), "finish_reason": "stop"}],
    )
    expected_details = (
        [text_message("user", "Summarize the order.")],
        [text_message("assistant", "One parcel, shipped.")],
    )

    def messages(span_id: str) -> tuple[Any, Any]:
        stored = collector.span(trace_id, span_id)
        return stored["input_messages"], stored["output_messages"]

    assert messages(chat["spanId"]) == expected_chat
    assert messages(details["spanId"]) == expected_details
    by_id = {node["span_id"]: node for node in all_spans(collector.trace(trace_id)["spans"])}
    assert (by_id[chat["spanId"]]["input_messages"], by_id[chat["spanId"]]["output_messages"]) == expected_chat

    # An exporter's resend (the same records) adds nothing.
    counters_before = collector.counters()
    assert collector.post_json(logs, "/v1/logs").status_code == 200
    assert messages(chat["spanId"]) == expected_chat
    assert messages(details["spanId"]) == expected_details
    assert collector.counters()["log_records"] == counters_before["log_records"] + 5


def test_other_log_records_are_accepted_and_counted(collector: RunningCollector) -> None:
    trace_id, span_id = new_trace_id(), new_span_id()
    before = collector.counters().get("log_records", 0)
    records = logs_request(
        log_record(None, None, None, body="service started"),
        log_record(trace_id, span_id, "app.checkout", body={"cart": 3}),  # tied to a span, not GenAI
        log_record(trace_id, span_id, None, body="plain line inside a span", attributes={"level": "info"}),
    )
    response = collector.post_json(records, "/v1/logs")
    assert response.status_code == 200, response.text
    assert response.json() == {}
    request = ExportLogsServiceRequest()
    logs = request.resource_logs.add().scope_logs.add().log_records
    logs.add(time_unix_nano=T0_NS, body=AnyValue(string_value="protobuf line"))
    logs.add(time_unix_nano=T0_NS, body=AnyValue(string_value="another"))
    response = collector.post("/v1/logs", request.SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    ExportLogsServiceResponse.FromString(response.content)
    assert collector.counters()["log_records"] == before + 5
    assert collector.client.get(f"/api/v1/traces/{trace_id}").status_code == 404  # logs make no trace


def _metrics_protobuf(points: int) -> bytes:
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add()
    metric.CopyFrom(
        Metric(
            name="gen_ai.client.token.usage",
            gauge=Gauge(
                data_points=[
                    NumberDataPoint(
                        as_int=n, time_unix_nano=T0_NS, attributes=[KeyValue(key="n", value=AnyValue(int_value=n))]
                    )
                    for n in range(points)
                ]
            ),
        )
    )
    return bytes(request.SerializeToString())


def _metrics_json(points: int) -> dict[str, Any]:
    data_points = [{"asInt": str(n), "timeUnixNano": str(T0_NS), "attributes": []} for n in range(points)]
    metric = {"name": "gen_ai.client.operation.duration", "sum": {"dataPoints": data_points, "isMonotonic": True}}
    return {"resourceMetrics": [{"scopeMetrics": [{"metrics": [metric]}]}]}


def test_metrics_are_accepted_and_counted(collector: RunningCollector) -> None:
    before = collector.counters().get("metric_data_points", 0)
    response = collector.post("/v1/metrics", _metrics_protobuf(3), PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    assert not ExportMetricsServiceResponse.FromString(response.content).HasField("partial_success")
    response = collector.post_json(_metrics_json(4), "/v1/metrics", compress=True)
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert collector.counters()["metric_data_points"] == before + 7


def test_no_otlp_endpoint_refuses_a_valid_request(collector: RunningCollector) -> None:
    one_span = traces_request(span(new_trace_id(), "x"))
    bodies: dict[str, list[tuple[str, bytes]]] = {
        "/v1/traces": [(JSON, dumps(one_span)), (PROTOBUF, protobuf_body(sdk_spans()))],
        "/api/public/otel/v1/traces": [(JSON, dumps(one_span)), (PROTOBUF, protobuf_body(sdk_spans()))],
        "/v1/logs": [
            (JSON, dumps(logs_request(log_record(None, None, None, body="x")))),
            (PROTOBUF, b"\x0a\x00"),  # one empty ResourceLogs
        ],
        "/v1/metrics": [(JSON, dumps(_metrics_json(1))), (PROTOBUF, _metrics_protobuf(1))],
    }
    responses: dict[str, Any] = {"/v1/logs": ExportLogsServiceResponse, "/v1/metrics": ExportMetricsServiceResponse}
    problems = []
    for path, cases in bodies.items():
        for content_type, body in [*cases, (JSON, b"{}"), (PROTOBUF, b""), (f"{JSON}; charset=utf-8", b"{}")]:
            response = collector.post(path, body, content_type)
            if response.status_code != 200:
                problems.append(f"{path} {content_type} {body[:40]!r}: {response.status_code} {response.text[:200]}")
                continue
            if content_type == PROTOBUF:
                responses.get(path, ExportTraceServiceResponse).FromString(response.content)
            else:
                response.json()
    assert not problems, "\n".join(problems)


def test_structured_attribute_values_round_trip(collector: RunningCollector) -> None:
    """Maps, lists and scalars inside an attribute come back as they were sent."""
    trace_id = new_trace_id()
    value = {"s": "x", "i": 3, "f": 1.5, "b": True, "list": [1, "a"], "map": {"k": [False]}}
    assert any_value(value)["kvlistValue"]
    sent = span(trace_id, "values", attributes={"value": value})
    assert collector.post_json(traces_request(sent)).status_code == 200
    assert collector.span(trace_id, sent["spanId"])["attributes"]["value"] == value
