"""Result column types in one vocabulary for both backends, and values that travel as JSON."""

from __future__ import annotations

import re
from typing import Any

import orjson

# One name for every non-integer number, and for integers wider than 64 bits: the backends
# disagree on those types for the same expression (sum of BIGINT: HUGEINT on DuckDB, numeric on
# Postgres; round(double, n): DOUBLE on DuckDB, numeric once sqlglot casts it for Postgres), so
# finer names would make the same query describe its result differently on each.
_NEUTRAL = (
    (re.compile(r"^(u?(tiny|small|big)?int(eger)?|int[248]|u?integer)$"), "integer"),
    (re.compile(r"^(double|float[48]?|real|double precision|decimal|numeric|hugeint|uhugeint|int128)"), "number"),
    (re.compile(r"^(varchar|text|char|bpchar|name|string|character varying)"), "text"),
    (re.compile(r"^bool(ean)?$"), "boolean"),
    (re.compile(r"^timestamp"), "timestamp"),
    (re.compile(r"^date$"), "date"),
    (re.compile(r"^interval$"), "interval"),
    (re.compile(r"^jsonb?$"), "json"),
    (re.compile(r"(\[\]$|^_)"), "array"),
    (re.compile(r"^uuid$"), "uuid"),
)


def neutral_type(backend_type: str) -> str:
    """``BIGINT``/``int8`` -> ``integer``, ``DOUBLE``/``numeric`` -> ``number``,
    ``TIMESTAMP WITH TIME ZONE``/``timestamptz`` -> ``timestamp``, ``JSON``/``jsonb`` -> ``json``...;
    anything else is the backend's name."""
    name = backend_type.strip().lower()
    for pattern, neutral in _NEUTRAL:
        if pattern.search(name):
            return neutral
    return name


def json_values(types: list[str], row: tuple[Any, ...]) -> list[Any]:
    """DuckDB returns JSON columns as text, psycopg as Python values: parse the text."""
    return [
        orjson.loads(value) if kind == "json" and isinstance(value, str) else value
        for kind, value in zip(types, row, strict=True)
    ]
