"""Decode protobuf AnyValues and attribute lists (``opentelemetry.proto.common.v1``).

The hot path of the collector. Every submessage access builds a Python wrapper in upb
(~100-150 ns each), so the code touches each message as few times as it can: most
values are non-empty strings, read with one ``string_value`` access before any
``WhichOneof`` call; empty strings and other types take the general path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.otlp._common import MAX_DEPTH, Rejected, clean


def attributes(pairs: Iterable[Any], depth: int = 1) -> dict[str, Any]:
    """``repeated KeyValue`` as a dict, in order (a repeated key keeps its first place and its last value)."""
    decoded: dict[str, Any] = {}
    for pair in pairs:
        key = pair.key
        if "\x00" in key:
            key = clean(key)
        value = pair.value
        text = value.string_value  # "" unless the value is a non-empty string
        if text:
            decoded[key] = clean(text) if "\x00" in text else text
            continue
        try:
            decoded[key] = any_value(value, depth)
        except Rejected as problem:
            raise problem.at(f"[{key!r}]") from None
    return decoded


def any_value(value: Any, depth: int) -> Any:
    """One AnyValue at nesting level ``depth`` (an attribute's own value is level 1)."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return clean(value.string_value)
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        return value.double_value
    if which == "bool_value":
        return value.bool_value
    if which == "bytes_value":
        return value.bytes_value
    if which == "array_value":
        if depth >= MAX_DEPTH:
            raise Rejected(f"values nest deeper than {MAX_DEPTH} levels")
        return _array(value.array_value.values, depth + 1)
    if which == "kvlist_value":
        if depth >= MAX_DEPTH:
            raise Rejected(f"values nest deeper than {MAX_DEPTH} levels")
        return attributes(value.kvlist_value.values, depth + 1)
    return None  # an empty AnyValue: OTLP's null


def _array(values: Iterable[Any], depth: int) -> list[Any]:
    items: list[Any] = []
    append = items.append
    for index, item in enumerate(values):
        text = item.string_value
        if text:
            append(clean(text) if "\x00" in text else text)
            continue
        try:
            append(any_value(item, depth))
        except Rejected as problem:
            raise problem.at(f"[{index}]") from None
    return items
