"""Dataset examples as files: JSON Lines and CSV, read for import and written for export
(docs/evaluation.md). A line or row has the columns ``input``, ``expected_output``, ``metadata``
and optional ``id``, ``source_trace_id``, ``source_span_id``.

In CSV the JSON columns hold JSON text; a cell that is not JSON is taken as a string, and an
empty cell is null (``metadata``: no metadata). Export writes every JSON cell as JSON text, so
that an exported file imports back to the same examples.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from server.storage.base import Row

JSON_COLUMNS = ("input", "expected_output", "metadata")
TEXT_COLUMNS = ("id", "source_trace_id", "source_span_id")
COLUMNS = ("id", *JSON_COLUMNS, "source_trace_id", "source_span_id")


class FileError(ValueError):
    """A file that cannot be imported; the message names the line."""


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_not_json)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")  # a BOM, as spreadsheet programs write, is no content
    except UnicodeDecodeError as error:
        raise FileError(f"the file is not UTF-8 text (byte {error.start})") from None


def read_jsonl(body: bytes) -> Iterator[tuple[int, Any]]:
    """(line number, the line's JSON value), skipping blank lines. Raises ``FileError``."""
    for number, line in enumerate(_text(body).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, _loads(line)
        except ValueError as error:
            raise FileError(f"line {number}: not JSON: {error}") from None


def read_csv(body: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number where the row starts, the row as a JSON object). Raises ``FileError``."""
    reader = csv.reader(io.StringIO(_text(body), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        raise FileError(f"line 1: {error}") from None
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise FileError(f"line 1: unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}")
    if "input" not in header:
        raise FileError("line 1: no 'input' column")
    if len(set(header)) != len(header):
        raise FileError("line 1: a column is named twice")
    next_line = reader.line_num + 1
    while True:
        start = next_line
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileError(f"line {start}: {error}") from None
        next_line = reader.line_num + 1  # a quoted cell may span several lines
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise FileError(f"line {start}: {len(cells)} cells; the header names {len(header)} columns")
        yield start, {name: _cell(name, cell) for name, cell in zip(header, cells, strict=True) if cell != ""}


def _cell(column: str, cell: str) -> Any:
    if column in TEXT_COLUMNS:
        return cell
    try:
        return _loads(cell)
    except ValueError:
        return cell


def write_jsonl(examples: list[Row]) -> bytes:
    lines = (json.dumps({name: example[name] for name in COLUMNS}, ensure_ascii=False) for example in examples)
    return "".join(line + "\n" for line in lines).encode()


def write_csv(examples: list[Row]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for example in examples:
        writer.writerow(
            [
                example[name] if name in TEXT_COLUMNS else json.dumps(example[name], ensure_ascii=False)
                for name in COLUMNS
            ]
        )
    return out.getvalue().encode()
