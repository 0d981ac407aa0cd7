"""Coercions shared by the dialect mappers.

Attribute values come from arbitrary senders: a number may arrive as a string, a JSON
attribute may be invalid, a count may be negative, NaN or beyond int64. Every helper here
returns None for a value it cannot use instead of raising, so one bad attribute leaves one
field empty and never drops the span.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

# Storage columns are BIGINT / DOUBLE; anything outside is garbage, not a count.
_MAX_INT = 2**63 - 1
_JSON_START = frozenset("{[")

JSON_MIME = "application/json"
TEXT_MIME = "text/plain"


def as_int(value: Any) -> int | None:
    """A non-negative count: int, integral float or decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_INT else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and 0 <= value <= _MAX_INT else None
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        return as_int(int(value))
    return None


def as_float(value: Any) -> float | None:
    """A finite float (cost, score) from a number or numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int too big for a double
            return None
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_str(value: Any) -> str | None:
    """A non-empty string; numbers become their text (ids are sometimes sent as ints)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def parse_json(value: Any) -> Any:
    """``value`` decoded when it is JSON text, else ``value`` itself (already structured)."""
    if isinstance(value, (str, bytes)):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    return value


def parse_json_if_container(value: Any) -> Any:
    """Like parse_json, but a string that does not look like an object or array stays a
    string: free text such as ``hello`` is a value, not broken JSON."""
    if isinstance(value, str):
        stripped = value.lstrip()
        if stripped[:1] in _JSON_START:
            try:
                return orjson.loads(stripped)
            except orjson.JSONDecodeError:
                return value
        return value
    return value


def to_json_text(value: Any) -> str | None:
    """JSON text for a structured value; None when it cannot be encoded."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        try:  # ints beyond 64 bits, bytes, odd objects: make them plain first
            return orjson.dumps(plain(value), option=orjson.OPT_NON_STR_KEYS).decode()
        except (TypeError, orjson.JSONEncodeError):
            return None


def text_and_mime(value: Any, mime_type: Any = None) -> tuple[str | None, str | None]:
    """Input/output text: strings stay as given (with the sender's mime type, else a guess
    from the first character); structured values become JSON text."""
    if value is None:
        return None, None
    if isinstance(value, str):
        if isinstance(mime_type, str) and mime_type:
            return value, mime_type
        return value, JSON_MIME if value.lstrip()[:1] in _JSON_START else TEXT_MIME
    if isinstance(value, bytes):
        return None, None
    return to_json_text(value), JSON_MIME


def json_attribute_text(value: Any) -> tuple[str | None, str | None]:
    """Input/output from an attribute that holds ``json.dumps(x)`` (Traceloop, MLflow,
    Langfuse): a JSON string literal is unwrapped to plain text, anything else is kept."""
    if isinstance(value, str) and value.startswith('"'):
        decoded = parse_json(value)
        if isinstance(decoded, str):
            return decoded, TEXT_MIME
    return text_and_mime(value)


def as_metadata(value: Any) -> dict[str, Any] | None:
    """A metadata dict: JSON object text or a dict; any other value is kept as ``value``."""
    if value is None:
        return None
    decoded = parse_json_if_container(value)
    if isinstance(decoded, dict):
        return {str(key): plain(item) for key, item in decoded.items()}
    return {"value": plain(decoded)}


def as_tags(value: Any) -> list[str]:
    """Tags from a string array, a JSON array text or one string."""
    decoded = parse_json_if_container(value)
    if isinstance(decoded, str):
        return [decoded] if decoded else []
    if isinstance(decoded, (list, tuple)):
        return [tag for item in decoded if (tag := as_str(item)) is not None]
    return []


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy: NaN/inf become None, ints beyond int64 and bytes become text.
    Depth is capped because senders can nest kvlists arbitrarily."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value if -_MAX_INT - 1 <= value <= _MAX_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 32:
        return None
    if isinstance(value, dict):
        return {str(key): plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item, depth + 1) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)
