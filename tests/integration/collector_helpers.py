"""A real collector for the HTTP tests: ``create_app`` served by uvicorn on a free local port
in a background thread, so that requests go over real sockets, plus OTLP/JSON builders."""

from __future__ import annotations

import gzip
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from server.app import create_app
from server.settings import resolve_server_settings

T0_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
JSON = "application/json"
PROTOBUF = "application/x-protobuf"
TRACE_PATHS = ("/v1/traces", "/api/public/otel/v1/traces")


@dataclass
class RunningCollector:
    url: str
    app: FastAPI
    client: httpx.Client

    def post(
        self, path: str, body: bytes, content_type: str = JSON, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self.client.post(path, content=body, headers={"content-type": content_type, **(headers or {})})

    def post_json(self, payload: Any, path: str = "/v1/traces", *, compress: bool = False) -> httpx.Response:
        body = dumps(payload)
        if compress:
            return self.post(path, gzip.compress(body), headers={"content-encoding": "gzip"})
        return self.post(path, body)

    def health(self) -> dict[str, Any]:
        response = self.client.get("/health")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def counters(self) -> dict[str, int]:
        counters: dict[str, int] = self.health()["counters"]
        return counters

    def trace(self, trace_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/traces/{trace_id}")
        assert response.status_code == 200, f"GET trace {trace_id}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def span(self, trace_id: str, span_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/spans/{trace_id}/{span_id}")
        assert response.status_code == 200, f"GET span {trace_id}/{span_id}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def traces(self, **params: Any) -> dict[str, Any]:
        response = self.client.get("/api/v1/traces", params=params)
        assert response.status_code == 200, f"GET traces {params}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body


def dumps(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running_collector(database_url: str, **settings: Any) -> Iterator[RunningCollector]:
    """The collector on ``database_url``, listening on a free 127.0.0.1 port until the block ends."""
    app = create_app(resolve_server_settings({"database_url": database_url, **settings}, env={}))
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="collector", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(10)
            sock.close()
            raise RuntimeError("the collector did not start (see the log)")
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            yield RunningCollector(url, app, client)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        assert not thread.is_alive(), "the collector did not stop"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


# -- OTLP/JSON builders ------------------------------------------------------------------------


def new_trace_id() -> str:
    return secrets.token_hex(16)


_span_numbers = itertools.count(1)


def new_span_id() -> str:
    return f"{secrets.randbits(32):08x}{next(_span_numbers):08x}"


def any_value(value: Any) -> dict[str, Any]:
    """A Python value as an OTLP/JSON AnyValue."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": key_values(value)}}
    raise TypeError(f"no AnyValue for {type(value).__name__}")


def key_values(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in attributes.items()]


def span(
    trace_id: str,
    name: str = "work",
    *,
    span_id: str | None = None,
    parent: str | None = None,
    start_ns: int = T0_NS,
    duration_ms: float = 10.0,
    attributes: Mapping[str, Any] | None = None,
    error: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One OTLP/JSON span."""
    built: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": span_id or new_span_id(),
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + int(duration_ms * 1_000_000)),
        "attributes": key_values(attributes or {}),
    }
    if parent is not None:
        built["parentSpanId"] = parent
    if error is not None:
        built["status"] = {"code": 2, "message": error}
    built.update(extra)
    return built


def traces_request(*spans: dict[str, Any], service: str = "svc") -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": key_values({"service.name": service})},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": list(spans)}],
            }
        ]
    }


def log_record(
    trace_id: str | None,
    span_id: str | None,
    event_name: str | None,
    *,
    body: Any = None,
    attributes: Mapping[str, Any] | None = None,
    time_ns: int = T0_NS,
    name_as_attribute: bool = False,
) -> dict[str, Any]:
    """One OTLP/JSON log record; the event name in ``eventName`` or, as older emitters do, in
    the ``event.name`` attribute."""
    attrs = dict(attributes or {})
    record: dict[str, Any] = {"timeUnixNano": str(time_ns), "observedTimeUnixNano": str(time_ns)}
    if event_name is not None:
        if name_as_attribute:
            attrs["event.name"] = event_name
        else:
            record["eventName"] = event_name
    if trace_id is not None:
        record["traceId"] = trace_id
    if span_id is not None:
        record["spanId"] = span_id
    if body is not None:
        record["body"] = any_value(body)
    record["attributes"] = key_values(attrs)
    return record


def logs_request(*records: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": key_values({"service.name": "svc"})},
                "scopeLogs": [
                    {"scope": {"name": "opentelemetry.instrumentation.openai_v2"}, "logRecords": list(records)}
                ],
            }
        ]
    }


def all_spans(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every span of a span tree (``GET /api/v1/traces/{id}``), depth first."""
    found = []
    for node in tree:
        found.append(node)
        found.extend(all_spans(node["children"]))
    return found


def text_message(role: str, content: str) -> dict[str, Any]:
    """A message in the normalized shape of the read API."""
    return {"role": role, "parts": [{"type": "text", "content": content}]}
