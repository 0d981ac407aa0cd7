"""Pieces shared by the trace, log and metric decoders: located problems, string
cleaning, ID and timestamp validation.

A problem is raised deep inside a walk and gains its path segments while it
propagates up, so the happy path never builds a path string: each level adds its
segment in an ``except`` clause (free in Python 3.11 when nothing is raised).
"""

from __future__ import annotations

from typing import Any

from server.otlp.errors import OtlpDecodeError

# Attribute values nest at most this many levels (an attribute's own value is level 1).
# Deeper values reject the span, and the walk never recurses further, so no input can
# cause a RecursionError. orjson refuses JSON deeper than 1024; upb refuses protobuf
# messages nested deeper than 100 (about 31 kvlist levels inside a span).
MAX_DEPTH = 32
# Postgres BIGINT holds times up to 2262; OTLP fixed64 could carry more.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# How many rejected-span messages a response carries: enough to diagnose, bounded in size.
MAX_ERRORS = 10
_NUL = "\x00"
_REPLACEMENT = "\ufffd"
_MAX_SHOWN = 80


class Problem(Exception):  # noqa: N818 - a signal inside the walk; callers turn it into errors
    """Something wrong at a place in the request; see Malformed and Rejected."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self._segments: list[str] = []  # innermost first

    def at(self, segment: str) -> Problem:
        """Add the segment of the path that encloses where we are (".spans", "[3]")."""
        self._segments.append(segment)
        return self

    @property
    def message(self) -> str:
        location = "".join(reversed(self._segments)).lstrip(".")
        return f"{location}: {self.reason}" if location else self.reason


class Malformed(Problem):
    """The request's structure is wrong (a type error): the whole body is refused (400)."""

    def decode_error(self) -> OtlpDecodeError:
        return OtlpDecodeError(self.message)


class Rejected(Problem):
    """A well-formed span whose content is invalid: that span alone is dropped."""


def clean(text: str) -> str:
    """``text`` without NUL characters, which Postgres cannot store in text or JSONB."""
    return text.replace(_NUL, _REPLACEMENT) if _NUL in text else text


def shown(value: Any) -> str:
    """A value for an error message, cut short: messages go back to the sender."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def type_name(value: Any) -> str:
    """The JSON name of a decoded JSON value's type, for messages."""
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def check_id(raw: bytes, size: int, *, zero_ok: bool = False) -> str:
    """The lowercase hex of a ``size``-byte ID; Rejected when its length is wrong, or it
    is all zeros (an invalid ID, OTLP trace.proto) unless ``zero_ok`` (links may carry
    an invalid context when they have attributes)."""
    if len(raw) != size:
        raise Rejected(f"expected {size} bytes, got {len(raw)}" if raw else "missing")
    if not zero_ok and not any(raw):
        raise Rejected("must not be all zeros")
    return raw.hex()


def hex_bytes(value: str, size: int) -> bytes:
    """The bytes of a hex ID string from OTLP/JSON (hex, not base64: the OTLP exception).

    ``bytes.fromhex`` skips whitespace, so the decoded length is checked too."""
    try:
        raw = bytes.fromhex(value) if len(value) == 2 * size else b""
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise Rejected(f"expected {2 * size} hex digits, got {shown(value)}")
    return raw


def check_time(time_ns: int) -> int:
    if time_ns > INT64_MAX:
        raise Rejected(f"{time_ns} is after year 2262")
    return time_ns


def check_times(start: int, end: int) -> None:
    if start <= 0:
        raise Rejected("must be > 0").at(".startTimeUnixNano")
    if end < start:
        raise Rejected(f"{end} is before startTimeUnixNano {start}").at(".endTimeUnixNano")
    if end > INT64_MAX:
        raise Rejected(f"{end} is after year 2262").at(".endTimeUnixNano")


class Rejections:
    """Rejected items of one request: all counted, the first MAX_ERRORS described."""

    __slots__ = ("count", "messages")

    def __init__(self) -> None:
        self.count = 0
        self.messages: list[str] = []

    def add(self, problem: Problem, count: int = 1) -> None:
        self.count += count
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(problem.message)
