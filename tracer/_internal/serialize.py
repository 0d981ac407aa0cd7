"""Turn any Python value into bounded JSON text. Never raises.

orjson handles str, numbers, dicts, lists, dataclasses, datetimes, UUIDs and enums
natively (fast, in C); ``_default`` covers pydantic models, bytes, sets and the rest.
Whatever still fails (cycles, huge ints) falls back to a bounded ``repr``.
"""

from __future__ import annotations

import reprlib
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

_repr = reprlib.Repr()
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlevel = 4


def bounded_repr(value: Any) -> str:
    try:
        return _repr.repr(value)
    except Exception:  # a user __repr__ may raise anything
        return f"<unrepresentable {type(value).__qualname__}>"


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    model_dump = getattr(value, "model_dump", None)  # pydantic v2
    if callable(model_dump):
        return model_dump(mode="json")
    as_dict = getattr(value, "dict", None)  # pydantic v1
    if callable(as_dict) and hasattr(value, "__fields__"):
        return as_dict()
    return bounded_repr(value)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters with a marker that says how much went."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


def to_json(value: Any) -> str:
    """JSON text for ``value``; a bounded repr in a JSON string when it cannot be encoded."""
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS).decode()
    except Exception:  # orjson raises TypeError/JSONEncodeError for cycles, deep nesting, big ints
        return orjson.dumps(bounded_repr(value)).decode()


def to_text(value: Any, limit: int) -> tuple[str, str]:
    """The recorded form of a value and its MIME type: strings stay text, the rest is JSON.

    A value cut by ``limit`` is no longer valid JSON, so it is labelled text/plain.
    """
    if isinstance(value, str):
        return truncate(value, limit), "text/plain"
    text = to_json(value)
    if len(text) > limit:
        return truncate(text, limit), "text/plain"
    return text, "application/json"


def to_plain(value: Any) -> Any:
    """A JSON-compatible copy of ``value`` (dicts, lists, scalars)."""
    try:
        return orjson.loads(orjson.dumps(value, default=_default, option=_OPTIONS))
    except Exception:
        return bounded_repr(value)
