"""Property: a mutated valid request is either decoded or refused with OtlpDecodeError;
no other exception ever escapes the decoders (it would be a 500 for the sender)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.otlp import OtlpDecodeError, count_data_points, decode_logs, decode_traces
from tests.unit._otlp_helpers import json_body, protobuf_body, sdk_spans

SPANS = sdk_spans()
PROTOBUF = protobuf_body(SPANS)
JSON = json_body(SPANS)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Decoder = Callable[[bytes, str], object]
DECODERS: list[Decoder] = [decode_traces, decode_logs, count_data_points]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what orjson can write
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["NaN", "-Infinity", "0" * 32, "SPAN_KIND_SERVER", "1700000000000000000", "AAH/", "\x00"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _accepts_or_refuses(decode: Decoder, body: bytes, content_type: str) -> None:
    with contextlib.suppress(OtlpDecodeError):
        decode(body, content_type)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*path, index))
    return found


JSON_TREE = orjson.loads(JSON)
JSON_PATHS = _paths(JSON_TREE)
# Keys the decoders read, so that mutations also add fields where they matter.
KNOWN_KEYS = [
    "traceId",
    "span_id",
    "attributes",
    "value",
    "kvlistValue",
    "arrayValue",
    "values",
    "intValue",
    "doubleValue",
    "bytesValue",
    "events",
    "links",
    "status",
    "code",
    "kind",
    "startTimeUnixNano",
    "resourceLogs",
    "scopeLogs",
    "logRecords",
    "body",
    "resourceMetrics",
    "gauge",
    "dataPoints",
]


def _replace(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = tree.copy()
    copy[path[0]] = _replace(tree[path[0]], path[1:], value)
    return copy


@SETTINGS
@given(data=st.data(), decoder=st.sampled_from(DECODERS))
def test_mutated_protobuf_bodies(data: st.DataObject, decoder: Decoder) -> None:
    body = bytearray(PROTOBUF)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(body) - 1))
        operation = data.draw(st.sampled_from(["flip", "byte", "delete", "insert"]))
        if operation == "flip":
            body[position] ^= 1 << data.draw(st.integers(0, 7))
        elif operation == "byte":
            body[position] = data.draw(st.integers(0, 255))
        elif operation == "delete":
            del body[position]
        else:
            body[position:position] = data.draw(st.binary(min_size=1, max_size=4))
    cut = data.draw(st.integers(0, len(body)))
    _accepts_or_refuses(decoder, bytes(body[:cut] if data.draw(st.booleans()) else body), "application/x-protobuf")


@SETTINGS
@given(data=st.data(), decoder=st.sampled_from(DECODERS))
def test_mutated_json_structures(data: st.DataObject, decoder: Decoder) -> None:
    tree = JSON_TREE
    for _ in range(data.draw(st.integers(1, 4))):
        paths = _paths(tree)
        path = data.draw(st.sampled_from(paths))
        if data.draw(st.booleans()) and path and isinstance(_get(tree, path[:-1]), dict):
            parent = dict(_get(tree, path[:-1]))
            parent.pop(path[-1])
            parent[data.draw(st.sampled_from(KNOWN_KEYS))] = data.draw(json_values)
            tree = _replace(tree, path[:-1], parent)
        else:
            tree = _replace(tree, path, data.draw(json_values))
    _accepts_or_refuses(decoder, orjson.dumps(tree), "application/json")


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


@SETTINGS
@given(data=st.data())
def test_mutated_json_bytes(data: st.DataObject) -> None:
    body = bytearray(JSON)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(body) - 1))
        body[position] = data.draw(st.sampled_from(b'{}[]":,0aZ\\-.e \x00\xff'))
    _accepts_or_refuses(decode_traces, bytes(body), "application/json")
