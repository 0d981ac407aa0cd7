"""OTLP ingest over HTTP, fuzzed from valid payloads (hypothesis), against a real collector on
DuckDB with an ingest key: protobuf bytes flipped, cut and spliced, JSON trees with values
replaced, any content type and encoding. Every answer is 200, 400, 413, 415, 429 or 503,
within seconds; then the collector still ingests a valid request and answers /health."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.storage import migrate, open_store
from tests.integration.collector_helpers import RunningCollector, new_trace_id, running_collector, span, traces_request
from tests.unit._otlp_helpers import json_body, protobuf_body, sdk_spans

SPANS = sdk_spans()
PROTOBUF = protobuf_body(SPANS)
JSON_TREE = orjson.loads(json_body(SPANS))
ALLOWED = {200, 400, 413, 415, 429, 503}
PATHS = ("/v1/traces", "/api/public/otel/v1/traces", "/v1/logs", "/v1/metrics")
CONTENT_TYPES = ("application/x-protobuf", "application/json", "application/json; charset=utf-8", "text/plain", "")
json_leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningCollector, dict[str, str]]]:
    url = f"duckdb:///{tmp_path_factory.mktemp('fuzz') / 'spanscope.duckdb'}"
    migrate.upgrade(url)
    store = open_store(url)
    try:
        key = store.access.create_key("default", "ingest", "fuzz")[0]
    finally:
        store.close()
    with running_collector(url, auth=True, ingest_workers=0, max_body_bytes=1_000_000) as collector:
        yield collector, {"authorization": f"Bearer {key}"}


def _mutated_protobuf(data: st.DataObject) -> bytes:
    body = bytearray(PROTOBUF)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(body) - 1))
        operation = data.draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if operation == "flip":
            body[position] ^= 1 << data.draw(st.integers(0, 7))
        elif operation == "delete":
            del body[position]
        elif operation == "insert":
            body.insert(position, data.draw(st.integers(0, 255)))
        else:
            del body[position:]
        if not body:
            break
    return bytes(body)


def _mutated_json(data: st.DataObject) -> bytes:
    tree: Any = orjson.loads(orjson.dumps(JSON_TREE))
    node = tree
    for _ in range(data.draw(st.integers(0, 6))):  # walk down, then replace what is there
        if isinstance(node, dict) and node:
            child_key = data.draw(st.sampled_from(sorted(node)))
            if not isinstance(node[child_key], (dict, list)) or data.draw(st.booleans()):
                node[child_key] = data.draw(json_leaves)
                break
            node = node[child_key]
        elif isinstance(node, list) and node:
            node = node[data.draw(st.integers(0, len(node) - 1))]
        else:
            break
    return orjson.dumps(tree)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_mutated_request_gets_a_clear_answer_quickly(
    ingest: tuple[RunningCollector, dict[str, str]], data: st.DataObject
) -> None:
    collector, headers = ingest
    body = _mutated_protobuf(data) if data.draw(st.booleans()) else _mutated_json(data)
    request_headers = {**headers, "content-type": data.draw(st.sampled_from(CONTENT_TYPES))}
    if data.draw(st.booleans()):
        body = gzip.compress(body)
        request_headers["content-encoding"] = data.draw(st.sampled_from(["gzip", "deflate", "br"]))
    started = time.monotonic()
    response = collector.client.post(data.draw(st.sampled_from(PATHS)), content=body, headers=request_headers)
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    assert time.monotonic() - started < 10


def test_the_collector_still_ingests_after_the_fuzzing(ingest: tuple[RunningCollector, dict[str, str]]) -> None:
    collector, headers = ingest
    trace_id = new_trace_id()
    assert (
        collector.client.post("/v1/traces", json=traces_request(span(trace_id, "after")), headers=headers).status_code
        == 200
    )
    assert collector.health()["status"] == "ok"
