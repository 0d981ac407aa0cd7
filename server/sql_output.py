"""``spanscope sql``: run a query through a collector's ``POST /api/v1/sql`` and write the
result as a terminal table, CSV, JSON or Parquet.

Through the API, not the database file: a running collector owns its DuckDB file, and the
API's sandbox (docs/sql.md) is the one place queries are checked and scoped.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import urllib3

FORMATS = ("table", "csv", "json", "parquet")
CELL_CHARS = 60
# Trace content is hostile in a terminal too: escape sequences could rewrite the screen.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class RequestFailed(Exception):  # noqa: N818 - the message is shown as it is
    """The collector refused the request, or could not be reached."""


def call(method: str, endpoint: str, path: str, **options: Any) -> urllib3.BaseHTTPResponse:
    """The collector's 2xx answer to one request (``options`` as for ``urllib3.request``), sent
    with ``SPANSCOPE_API_KEY`` when it is set; raises ``RequestFailed`` with the collector's
    message otherwise. Shared by ``spanscope
    export`` (``server.export_client``)."""
    key = os.environ.get("SPANSCOPE_API_KEY")  # as the SDK reads it: needed when auth is on
    if key:
        options["headers"] = {**(options.get("headers") or {}), "authorization": f"Bearer {key}"}
    try:
        response = urllib3.request(method, endpoint.rstrip("/") + path, timeout=120, retries=False, **options)
    except urllib3.exceptions.HTTPError as error:
        reason = f"no collector answered at {endpoint} ({type(error).__name__}); start one with `spanscope up`"
        raise RequestFailed(reason) from None
    if not 200 <= response.status < 300:
        try:
            detail = orjson.loads(response.data).get("detail")
        except (orjson.JSONDecodeError, AttributeError):
            detail = response.data[:300].decode(errors="replace")
        raise RequestFailed(f"{response.status}: {detail}")
    return response


def run(endpoint: str, query: str, limit: int | None) -> dict[str, Any]:
    body = orjson.dumps({"query": query} | ({"limit": limit} if limit else {}))
    response = call("POST", endpoint, "/api/v1/sql", body=body, headers={"content-type": "application/json"})
    result: dict[str, Any] = orjson.loads(response.data)
    return result


def _cell(value: Any) -> str:
    text = "" if value is None else _as_text(value)
    text = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text.replace("\n", "\\n").replace("\t", "\\t"))
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def table(result: dict[str, Any]) -> str:
    names = [column["name"] for column in result["columns"]]
    cells = [[_cell(value) for value in row] for row in result["rows"]]
    widths = [max([len(name), *(len(row[index]) for row in cells)]) for index, name in enumerate(names)]
    lines = [
        "  ".join(name.ljust(width) for name, width in zip(names, widths, strict=True)),
        "  ".join("-" * width for width in widths),
    ]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    footer = f"({result['row_count']:,} rows in {result['elapsed_ms']:.0f} ms"
    lines.append(footer + (", truncated: raise --limit)" if result["truncated"] else ")"))
    return "\n".join(lines)


def to_csv(result: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(column["name"] for column in result["columns"])
    for row in result["rows"]:
        writer.writerow(
            "" if value is None else value if isinstance(value, int | float) else _as_text(value) for value in row
        )
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return value if isinstance(value, int | float) else _as_text(value)


def to_json(result: dict[str, Any]) -> bytes:
    names = [column["name"] for column in result["columns"]]
    return orjson.dumps([dict(zip(names, row, strict=True)) for row in result["rows"]], option=orjson.OPT_INDENT_2)


def to_parquet(result: dict[str, Any], path: Path) -> None:
    """Typed Parquet: numbers, booleans, text and timestamps as such; JSON, arrays and the
    rest as text (a JSON column's values have no one Arrow type)."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    typed = {
        "integer": (pa.int64(), None),
        "number": (pa.float64(), None),
        "boolean": (pa.bool_(), None),
        "text": (pa.string(), None),
        "timestamp": (pa.timestamp("us", tz="UTC"), datetime.fromisoformat),
        "date": (pa.date32(), date.fromisoformat),
    }
    columns = {}
    for index, column in enumerate(result["columns"]):
        arrow_type, parse = typed.get(column["type"], (pa.string(), _as_text))
        values = [row[index] for row in result["rows"]]
        if parse is not None:
            values = [None if value is None else parse(value) for value in values]
        columns[column["name"]] = pa.array(values, type=arrow_type)
    pq.write_table(pa.table(columns), path)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()
