"""A minimal OTLP/HTTP trace receiver for examples, benchmarks and tests.

It is not the collector (that stores and normalizes spans); it answers OTLP requests,
counts the spans in them, optionally appends them to a JSONL file, and can be told to
answer the first requests with scripted statuses (503 + Retry-After, 429...) to test
exporters. It speaks HTTP/1.1 keep-alive, so exporters reuse their connection.
"""

from __future__ import annotations

import gzip
import threading
from collections import deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

SPANS_PATH = "/v1/traces"


def count_spans(body: bytes, content_type: str) -> tuple[int, list[dict[str, Any]]]:
    """The number of spans in an ExportTraceServiceRequest, and the spans when JSON."""
    if content_type.startswith("application/json"):
        request = orjson.loads(body)
        spans = [
            span
            for resource_spans in request.get("resourceSpans", [])
            for scope_spans in resource_spans.get("scopeSpans", [])
            for span in scope_spans.get("spans", [])
        ]
        return len(spans), spans
    # Protobuf: only the stock exporter in the benchmark sends it.
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    message = ExportTraceServiceRequest.FromString(body)
    total = sum(len(scope.spans) for resource in message.resource_spans for scope in resource.scope_spans)
    return total, []


class OtlpSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        record_to: Path | None = None,
        keep_spans: bool = False,
        responses: Iterable[tuple[int, dict[str, str]]] = (),
    ) -> None:
        super().__init__((host, port), _Handler)
        self.lock = threading.Lock()
        self.spans_received = 0
        self.requests = 0
        self.span_ids: list[str] = []
        self.kept: list[dict[str, Any]] = []
        self.keep_spans = keep_spans
        self.record_to = record_to
        self.scripted: deque[tuple[int, dict[str, str]]] = deque(responses)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OtlpSink:
        threading.Thread(target=self.serve_forever, name="otlp-sink", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OtlpSink

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.lock:
            body = orjson.dumps({"spans": self.server.spans_received, "requests": self.server.requests})
        self._answer(200, body, "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "application/json")
        is_json = content_type.startswith("application/json")
        reply_type = "application/json" if is_json else "application/x-protobuf"
        empty_reply = b"{}" if is_json else b""
        server = self.server
        with server.lock:
            server.requests += 1
            scripted = server.scripted.popleft() if server.scripted else None
        if scripted is not None and scripted[0] != 200:
            self._answer(scripted[0], b'{"message":"scripted"}', "application/json", scripted[1])
            return
        if self.path != SPANS_PATH:
            self._answer(404, b'{"message":"not found"}', "application/json")
            return
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            count, spans = count_spans(body, content_type)
        except Exception as error:  # a bad body is the client's fault: say so
            self._answer(400, orjson.dumps({"message": f"bad request: {error}"}), "application/json")
            return
        with server.lock:
            server.spans_received += count
            server.span_ids.extend(span["spanId"] for span in spans)
            if server.keep_spans:
                server.kept.extend(spans)
            if server.record_to is not None and spans:
                with server.record_to.open("ab") as out:
                    out.write(b"".join(orjson.dumps(span) + b"\n" for span in spans))
        self._answer(200, empty_reply, reply_type)


def main() -> None:
    """Run a discarding sink in the foreground: ``python -m server.sink PORT``."""
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    sink = OtlpSink(port=port)
    print(sink.url, flush=True)
    sink.serve_forever()


if __name__ == "__main__":
    main()
