"""Collector ingest throughput: acknowledged spans/s and peak RSS, DuckDB and Postgres.

Run from the repository root::

    .venv/bin/python bench/ingest.py                   # 1,000,000 spans on each backend
    .venv/bin/python bench/ingest.py --spans 100000    # quicker
    .venv/bin/python bench/ingest.py --backends duckdb

Method:

- Realistic traces of 6 spans (a chain root, a retriever with 3 documents, 2 LLM calls
  with about 1 KB of messages and token counts, a tool), in the attributes our SDK
  writes (OTel GenAI + OpenInference), are pre-encoded as 512-span protobuf requests
  before the clock starts: only ingest is timed.
- The collector (``spanscope server``, with its default ingest worker processes) runs on a
  fresh database; its RSS figure adds up the collector's and its workers' peaks. A
  separate loader process sends the requests over 4 keep-alive connections and retries
  503s after their Retry-After, as OTLP exporters do. The figure is spans acknowledged
  (HTTP 200, i.e. committed) per second of wall time, and the collector's peak RSS
  (VmHWM) at the end.
- In the same run, the raw bulk-insert rate of the same rows through the storage layer
  (``store.write`` in 5,000-span batches into a fresh database) gives the physical limit.
- Figures are printed, never asserted (the machine is small and noisy).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

ROOT = Path(__file__).resolve().parent.parent
SPANSCOPE = Path(sys.executable).parent / "spanscope"
SPANS_PER_REQUEST = 512
CONNECTIONS = 4
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"

QUESTION = "Where is my order A-1001 and how long does express shipping take to Lisbon? " * 3
DOCUMENT = "Express shipping within the EU takes one to two business days after dispatch. " * 4


def _kv(key: str, value: str | int | float) -> KeyValue:
    if isinstance(value, str):
        return KeyValue(key=key, value=AnyValue(string_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(double_value=value))


def _messages(turn: int) -> str:
    return json.dumps(
        [
            {"role": "system", "parts": [{"type": "text", "content": "You are a support assistant. " + DOCUMENT}]},
            {"role": "user", "parts": [{"type": "text", "content": f"{QUESTION} (turn {turn})"}]},
        ]
    )


def _trace_template() -> list[tuple[str, int, int, int, list[KeyValue]]]:
    """(name, parent index or -1, start offset ns, duration ns, attributes) for each span."""
    documents = json.dumps([{"id": f"doc-{i}", "content": DOCUMENT, "score": 0.9 - i / 10} for i in range(3)])
    answer = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": DOCUMENT}]}])
    llm = [
        _kv("spanscope.span.kind", "llm"),
        _kv("openinference.span.kind", "LLM"),
        _kv("gen_ai.operation.name", "chat"),
        _kv("gen_ai.request.model", "gpt-4o-mini"),
        _kv("gen_ai.provider.name", "openai"),
        _kv("gen_ai.usage.input_tokens", 412),
        _kv("gen_ai.usage.output_tokens", 96),
        _kv("gen_ai.input.messages", _messages(1)),
        _kv("gen_ai.output.messages", answer),
    ]
    return [
        (
            "support_assistant",
            -1,
            0,
            2_400_000_000,
            [_kv("spanscope.span.kind", "chain"), _kv("input.value", QUESTION)],
        ),
        (
            "search_docs",
            0,
            10_000_000,
            80_000_000,
            [_kv("spanscope.span.kind", "retriever"), _kv("gen_ai.retrieval.documents", documents)],
        ),
        ("rewrite_query", 0, 100_000_000, 600_000_000, llm),
        (
            "lookup_order",
            0,
            710_000_000,
            40_000_000,
            [_kv("spanscope.span.kind", "tool"), _kv("gen_ai.tool.name", "lookup")],
        ),
        ("answer", 0, 760_000_000, 1_500_000_000, llm),
        ("check_answer", 0, 2_270_000_000, 30_000_000, [_kv("spanscope.span.kind", "guardrail")]),
    ]


def build_requests(total_spans: int, seed: int = 7) -> list[tuple[bytes, int]]:
    """Pre-encoded ExportTraceServiceRequests of 512 spans; IDs random but reproducible."""
    rng = random.Random(seed)
    template = _trace_template()
    resource = Resource(attributes=[_kv("service.name", "support-bot")])
    scope = InstrumentationScope(name="spanscope.tracer", version="0.1.0")
    requests = []
    start = time.time_ns() - 3600 * 10**9
    made = 0
    while made < total_spans:
        spans: list[Span] = []
        while len(spans) < SPANS_PER_REQUEST and made < total_spans:
            trace_id = rng.getrandbits(128).to_bytes(16, "big")
            span_ids = [rng.getrandbits(64).to_bytes(8, "big") for _ in template]
            base = start + made * 1_000_000
            for index, (name, parent, offset, duration, attributes) in enumerate(template):
                spans.append(
                    Span(
                        trace_id=trace_id,
                        span_id=span_ids[index],
                        parent_span_id=span_ids[parent] if parent >= 0 else b"",
                        name=name,
                        kind=Span.SPAN_KIND_INTERNAL,
                        start_time_unix_nano=base + offset,
                        end_time_unix_nano=base + offset + duration,
                        attributes=attributes,
                        status=Status(code=Status.STATUS_CODE_OK),
                    )
                )
            made += len(template)
        request = ExportTraceServiceRequest(
            resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(scope=scope, spans=spans)])]
        )
        requests.append((request.SerializeToString(), len(spans)))
    return requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the collector exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the collector did not become healthy")


def _peak_rss_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of the collector and its ingest worker processes, added up."""
    total = 0.0
    # A process's children are listed per thread that started them (the workers are started
    # by a pool thread, not the main one).
    children = [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]
    for process in [pid, *children]:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def _send_all(port: int, requests: list[tuple[bytes, int]]) -> tuple[float, int, int]:
    """Send over CONNECTIONS keep-alive connections; returns (seconds, acknowledged, retries)."""
    acknowledged = [0] * CONNECTIONS
    retries = [0] * CONNECTIONS

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "application/x-protobuf"}
        for body, span_count in requests[index::CONNECTIONS]:
            while True:
                connection.request("POST", "/v1/traces", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    acknowledged[index] += span_count
                    break
                if response.status in (429, 502, 503, 504):
                    retries[index] += 1
                    time.sleep(float(response.getheader("Retry-After") or 1))
                    continue
                raise RuntimeError(f"HTTP {response.status}: {response.read()[:200]!r}")

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, sum(acknowledged), sum(retries)


def _database_url(backend: str, folder: Path) -> tuple[str, str | None]:
    if backend == "duckdb":
        return f"duckdb:///{folder / 'ingest.duckdb'}", None
    import psycopg

    name = f"spanscope_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def _drop_database(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_collector_benchmark(backend: str, requests: list[tuple[bytes, int]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url, database = _database_url(backend, Path(folder))
        port = _free_port()
        process = subprocess.Popen(
            [str(SPANSCOPE), "server", "--db", url, "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "SPANSCOPE_MAX_QUEUE_SPANS": "100000"},
        )
        try:
            _wait_healthy(port, process)
            seconds, acknowledged, retries = _send_all(port, requests)
            rss = _peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)
            _drop_database(database)
    return {"spans_per_s": acknowledged / seconds, "acknowledged": acknowledged, "retries": retries, "rss_mb": rss}


def run_insert_benchmark(backend: str, spans: int) -> float:
    """The raw store.write rate of the same rows (decoded and normalized beforehand)."""
    from server.model import SpanRecord
    from server.normalize import normalize
    from server.otlp.traces import decode_traces
    from server.storage import migrate, open_store

    records: list[SpanRecord] = []
    for body, _ in build_requests(spans, seed=11):
        records.extend(normalize(span, "default") for span in decode_traces(body, "application/x-protobuf").spans)
    with tempfile.TemporaryDirectory() as folder:
        url, database = _database_url(backend, Path(folder))
        try:
            migrate.upgrade(url)
            store = open_store(url)
            started = time.perf_counter()
            for index in range(0, len(records), 5000):
                store.write(records[index : index + 5000])
            seconds = time.perf_counter() - started
            store.close()
        finally:
            _drop_database(database)
    return len(records) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--insert-spans", type=int, default=200_000, help="rows for the raw insert rate")
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    started = time.perf_counter()
    requests = build_requests(args.spans)
    print(
        f"{args.spans:,} spans in {len(requests):,} protobuf requests of {SPANS_PER_REQUEST} "
        f"({sum(len(body) for body, _ in requests) / 1e6:.0f} MB), built in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"{'backend':10s} {'acked spans/s':>14s} {'peak RSS MB':>12s} {'503 retries':>12s} {'raw insert spans/s':>19s}"
    )
    for backend in args.backends.split(","):
        result = run_collector_benchmark(backend, requests)
        insert_rate = run_insert_benchmark(backend, args.insert_spans)
        print(
            f"{backend:10s} {result['spans_per_s']:14,.0f} {result['rss_mb']:12,.0f} {result['retries']:12,d} "
            f"{insert_rate:19,.0f}"
        )
        if result["acknowledged"] != sum(count for _, count in requests):
            print(f"  acknowledged {result['acknowledged']:,} of the spans sent", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
