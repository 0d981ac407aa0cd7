"""SpanRecords to column-oriented values, the shape both bulk paths want (Arrow on DuckDB, binary
COPY on Postgres), with the clean-ups both backends must apply identically:

- Postgres text and JSONB cannot hold NUL, so every "\\x00" becomes U+FFFD, in plain strings and
  inside JSON keys and values alike. DuckDB could store NUL, but both backends must store the
  same thing, so the replacement is done here, once.
- JSON-valued fields become JSON text (orjson; NaN and infinities become null, which both
  databases accept, where ``json.dumps`` would write ``NaN`` that Postgres rejects).
- Times become integer microseconds since the epoch (the columns' precision); each backend turns
  them into TIMESTAMPTZ without a round trip through Python datetimes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, Literal

import orjson
import sqlalchemy as sa

from server.model import SpanRecord

from .tables import spans

ColumnKind = Literal["text", "integer", "float", "time", "json"]
NUL = "\x00"
REPLACEMENT = "\ufffd"
# "\u0000" escapes in JSON text, but not an escaped backslash followed by "u0000" (an even run
# of backslashes before the "\u" belongs to the string's content).
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _kind(column: sa.Column[Any]) -> ColumnKind:
    if isinstance(column.type, sa.JSON):
        return "json"
    if isinstance(column.type, sa.DateTime):
        return "time"
    if isinstance(column.type, sa.Double):
        return "float"
    if isinstance(column.type, sa.BigInteger):
        return "integer"
    if isinstance(column.type, sa.Text):
        return "text"
    raise TypeError(f"spans.{column.name}: no bulk encoding for {column.type!r}")


# Column name -> kind, in table order: the order of every bulk insert.
SPAN_COLUMNS: dict[str, ColumnKind] = {column.name: _kind(column) for column in spans.columns}


def scrub(text: str) -> str:
    """Replace NUL, which Postgres cannot store, with U+FFFD."""
    return text.replace(NUL, REPLACEMENT) if NUL in text else text


def _json_default(value: object) -> object:
    # OTLP bytes attributes: keep them, as base64 text (JSON has no bytes).
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def json_text(value: object) -> str | None:
    """JSON text for a JSON column (None stays SQL NULL), with NUL replaced in keys and values."""
    if value is None:
        return None
    text = orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
    if "\\u0000" in text:
        text = _JSON_NUL.sub(r"\1\\ufffd", text)
    return text


def stored_json(value: object) -> object:
    """``value`` as a JSON column written through SQLAlchemy should hold it: the same NUL
    replacement as ``json_text`` (None stays None)."""
    text = json_text(value)
    return None if text is None else orjson.loads(text)


def _values(spans_: Sequence[SpanRecord], name: str, kind: ColumnKind) -> list[Any]:
    if name == "duration_ms":
        return [(span.end_time_ns - span.start_time_ns) / 1e6 for span in spans_]
    if kind == "time":
        get_ns = attrgetter(f"{name}_ns")
        return [get_ns(span) // 1000 for span in spans_]
    get = attrgetter(name)
    if kind == "json":
        return [json_text(get(span)) for span in spans_]
    if kind == "text":
        return [None if (value := get(span)) is None else scrub(value) for span in spans_]
    return [get(span) for span in spans_]


def span_columns(spans_: Sequence[SpanRecord]) -> dict[str, list[Any]]:
    """Column name -> one value per span, in ``SPAN_COLUMNS`` order."""
    return {name: _values(spans_, name, kind) for name, kind in SPAN_COLUMNS.items()}
