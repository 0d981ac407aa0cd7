"""The two OTLP/HTTP wire formats and the Content-Type values that select them."""

from __future__ import annotations

from typing import Literal

from server.otlp.errors import UnsupportedContentType

WireFormat = Literal["protobuf", "json"]

_FORMATS: dict[str, WireFormat] = {
    "application/x-protobuf": "protobuf",
    # Not in the OTLP specification, but the registered media type; some clients send it.
    "application/protobuf": "protobuf",
    "application/json": "json",
}
MEDIA_TYPES: dict[WireFormat, str] = {"protobuf": "application/x-protobuf", "json": "application/json"}


def wire_format(content_type: str | None) -> WireFormat:
    """The format a Content-Type names; parameters such as ``charset`` are ignored.

    >>> wire_format("Application/JSON; charset=utf-8")
    'json'
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    found = _FORMATS.get(media_type)
    if found is None:
        raise UnsupportedContentType(
            f"unsupported Content-Type {content_type!r}; use application/x-protobuf or application/json"
        )
    return found
