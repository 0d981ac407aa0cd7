"""Read OTLP/JSON (proto3 JSON with the OTLP exceptions) from orjson's dicts and lists.

Keys are lowerCamelCase, and snake_case is accepted too, as the protobuf JSON parser
does; unknown keys are ignored; ``null`` means "not set". Every getter names its field
in the Malformed it raises, and callers add the enclosing path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from server.otlp._common import (
    INT64_MAX,
    INT64_MIN,
    MAX_DEPTH,
    Malformed,
    Problem,
    Rejected,
    clean,
    hex_bytes,
    shown,
    type_name,
)
from server.otlp.errors import OtlpDecodeError

UINT64_MAX = 2**64 - 1
_INT32 = (-(2**31), 2**31 - 1)
_SPECIAL_DOUBLES = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def load(body: bytes, message: str) -> dict[str, Any]:
    """Parse a JSON request body; an empty body is an empty request."""
    if not body.strip():
        return {}
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError as error:  # also nesting deeper than 1024 and lone surrogates
        raise OtlpDecodeError(f"body is not valid JSON: {error}") from None
    if type(request) is not dict:
        raise OtlpDecodeError(f"expected a JSON object ({message}), got {type_name(request)}")
    return request


def expect_object(item: Any, message: str) -> dict[str, Any]:
    if type(item) is not dict:
        raise Malformed(f"expected an object ({message}), got {type_name(item)}")
    return item


def get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def get_object(obj: dict[str, Any], camel: str, snake: str) -> dict[str, Any]:
    value = get(obj, camel, snake)
    if value is None:
        return {}
    if type(value) is not dict:
        raise Malformed(f"expected an object, got {type_name(value)}").at("." + camel)
    return value


def walk(
    container: dict[str, Any], levels: Sequence[tuple[str, str, str]], visit: Callable[[dict[str, Any]], None]
) -> None:
    """Call ``visit`` on every object at the end of ``levels``, each ``(camelName, snake_name,
    MessageType)`` (e.g. resourceLogs[] -> scopeLogs[] -> logRecords[]). A Problem raised on
    the way, by the walk or by ``visit``, gets the JSON path of where it happened."""
    (camel, snake, message), *rest = levels
    for index, item in enumerate(get_list(container, camel, snake)):
        try:
            obj = expect_object(item, message)
            if rest:
                walk(obj, rest, visit)
            else:
                visit(obj)
        except Problem as problem:
            raise problem.at(f".{camel}[{index}]") from None


def get_list(obj: dict[str, Any], camel: str, snake: str) -> list[Any]:
    value = get(obj, camel, snake)
    if value is None:
        return []
    if type(value) is not list:
        raise Malformed(f"expected an array, got {type_name(value)}").at("." + camel)
    return value


def objects(items: list[Any]) -> list[dict[str, Any]]:
    """``items``, checked to be objects (the elements of a repeated message field)."""
    for index, item in enumerate(items):
        if type(item) is not dict:
            raise Malformed(f"expected an object, got {type_name(item)}").at(f"[{index}]")
    return items


def get_str(obj: dict[str, Any], camel: str, snake: str) -> str:
    value = get(obj, camel, snake)
    if value is None:
        return ""
    if type(value) is not str:
        raise Malformed(f"expected a string, got {type_name(value)}").at("." + camel)
    return clean(value)


def get_id(obj: dict[str, Any], camel: str, snake: str, size: int) -> bytes:
    """A hex ID's bytes (b"" when absent); non-hex or a wrong length reject the span."""
    value = get(obj, camel, snake)
    if not value:
        return b""
    if type(value) is not str:
        raise Malformed(f"expected a hex string, got {type_name(value)}").at("." + camel)
    try:
        return hex_bytes(value, size)
    except Rejected as problem:
        raise problem.at("." + camel) from None


def fast_id(value: Any, size: int) -> str | None:
    """The common case of an ID: a valid, non-zero hex string of the right length (else None)."""
    if type(value) is str and len(value) == 2 * size:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return None
        if len(raw) == size and raw.lstrip(b"\x00"):
            return raw.hex()
    return None


def fast_int(value: Any) -> int | None:
    """The common case of a timestamp: a decimal string of up to 18 digits (always in range), or an int >= 0."""
    kind = type(value)
    if kind is str and len(value) <= 18 and value.isdigit() and value.isascii():
        return int(value)
    return value if kind is int and value >= 0 else None


def get_int(obj: dict[str, Any], camel: str, snake: str, low: int = 0, high: int = UINT64_MAX) -> int:
    """An integer field: int64/fixed64 arrive as decimal strings or numbers."""
    value = get(obj, camel, snake)
    if value is None:
        return 0
    try:
        return integer(value, low, high)
    except Malformed as problem:
        raise problem.at("." + camel) from None


def _is_decimal(text: str) -> bool:
    # Stricter than int(), which also takes "1_000", " 12", "+3" and non-ASCII digits.
    digits = text[1:] if text[:1] == "-" else text
    return digits.isascii() and digits.isdigit()


def integer(value: Any, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    kind = type(value)
    number: int
    if kind is int:
        number = value
    # A float when integral: orjson reads integers beyond 64 bits as floats.
    elif (kind is str and _is_decimal(value)) or (kind is float and value.is_integer()):
        number = int(value)
    else:
        raise Malformed(f"expected an integer, got {shown(value)}")
    if not low <= number <= high:
        raise Malformed(f"{number} is out of range [{low}, {high}]")
    return number


def get_enum(obj: dict[str, Any], camel: str, snake: str, names: dict[str, int]) -> int:
    """An enum: an integer as OTLP/JSON asks, or leniently its name ("SPAN_KIND_SERVER")."""
    value = get(obj, camel, snake)
    if type(value) is str and value in names:
        return names[value]
    return get_int(obj, camel, snake, *_INT32) if value is not None else 0


def double(value: Any) -> float:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if kind is str:
        special = _SPECIAL_DOUBLES.get(value)
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            pass
    raise Malformed(f"expected a number, got {shown(value)}")


def _bytes(value: Any) -> bytes:
    # proto3 JSON: standard or URL-safe base64, padding optional.
    if type(value) is str:
        text = value.replace("-", "+").replace("_", "/")
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise Malformed(f"expected base64, got {shown(value)}")


_STRING, _BOOL, _INT, _DOUBLE, _BYTES, _ARRAY, _KVLIST = range(7)
_EXPECTED = {_STRING: "a string", _BOOL: "a boolean", _ARRAY: "an object", _KVLIST: "an object"}
_VALUE_KEYS = {
    "stringValue": _STRING,
    "string_value": _STRING,
    "boolValue": _BOOL,
    "bool_value": _BOOL,
    "intValue": _INT,
    "int_value": _INT,
    "doubleValue": _DOUBLE,
    "double_value": _DOUBLE,
    "bytesValue": _BYTES,
    "bytes_value": _BYTES,
    "arrayValue": _ARRAY,
    "array_value": _ARRAY,
    "kvlistValue": _KVLIST,
    "kvlist_value": _KVLIST,
}


def get_attributes(obj: dict[str, Any]) -> dict[str, Any]:
    items = get_list(obj, "attributes", "attributes")
    try:
        return attributes(items)
    except Problem as problem:
        raise problem.at(".attributes") from None


def any_value(value: Any, depth: int) -> Any:
    """One AnyValue object at nesting level ``depth`` (the first oneof member set wins)."""
    if type(value) is not dict:
        if value is None:
            return None
        raise Malformed(f"expected an AnyValue object, got {type_name(value)}")
    for key, inner in value.items():
        kind = _VALUE_KEYS.get(key)
        if kind is None or inner is None:
            continue
        # The well-typed common cases first, inline; the helpers validate the rest.
        inner_type = type(inner)
        if kind == _STRING and inner_type is str:
            return clean(inner) if "\x00" in inner else inner
        if kind == _DOUBLE and inner_type is float:
            return inner
        if kind == _BOOL and inner_type is bool:
            return inner
        try:
            if kind == _INT:
                return integer(inner)
            if kind == _DOUBLE:
                return double(inner)
            if kind == _BYTES:
                return _bytes(inner)
            if inner_type is not dict:
                raise Malformed(f"expected {_EXPECTED[kind]}, got {type_name(inner)}")
            if depth >= MAX_DEPTH:
                raise Rejected(f"values nest deeper than {MAX_DEPTH} levels")
            items = get_list(inner, "values", "values")
            try:
                return attributes(items, depth + 1) if kind == _KVLIST else _array(items, depth + 1)
            except Problem as problem:
                raise problem.at(".values") from None
        except Problem as problem:
            raise problem.at("." + key) from None
    return None


def _array(items: list[Any], depth: int) -> list[Any]:
    decoded: list[Any] = []
    append = decoded.append
    for index, item in enumerate(items):
        if type(item) is dict and len(item) == 1:
            text = item.get("stringValue")
            if type(text) is str:
                append(clean(text) if "\x00" in text else text)
                continue
        try:
            append(any_value(item, depth))
        except Problem as problem:
            raise problem.at(f"[{index}]") from None
    return decoded


def attributes(items: list[Any], depth: int = 1) -> dict[str, Any]:
    """``repeated KeyValue`` as a dict, in order."""
    decoded: dict[str, Any] = {}
    for index, item in enumerate(items):
        if type(item) is not dict:
            raise Malformed(f"expected a key-value object, got {type_name(item)}").at(f"[{index}]")
        key = item.get("key")
        if type(key) is not str:
            raise Malformed(f"expected a string, got {type_name(key)}").at(".key").at(f"[{index}]")
        if "\x00" in key:
            key = clean(key)
        value = item.get("value")
        # Most attributes are strings: decoded inline, without the generic call.
        if type(value) is dict and len(value) == 1:
            text = value.get("stringValue")
            if type(text) is str:
                decoded[key] = clean(text) if "\x00" in text else text
                continue
        try:
            decoded[key] = any_value(value, depth)
        except Problem as problem:
            raise problem.at(".value").at(f"[{index}]") from None
    return decoded
