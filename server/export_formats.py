"""Exported spans as bytes, batch by batch: JSON Lines or Parquet.

Each encoder takes the tables of ``server.storage.export.read_spans`` and yields the bytes of
each as soon as it is encoded, so a response can stream them and nothing grows with the export.

- JSON Lines: one object a span, keys in column order; JSON columns as JSON values, times as
  ISO 8601 in UTC (``2026-01-01T00:00:00.001000+00:00``), as ``POST /api/v1/sql`` returns them.
- Parquet: one row group a batch; times as ``timestamp[us, UTC]``, JSON columns as JSON text.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from server.storage.export import JSON_FIELD


def jsonl(tables: Iterable[pa.Table]) -> Iterator[bytes]:
    for table in tables:
        json_columns = [field.name for field in table.schema if field.metadata == JSON_FIELD]
        lines = []
        for row in table.to_pylist():
            for name in json_columns:
                if row[name] is not None:
                    # Already JSON text: embedded as it is, not parsed and encoded again.
                    row[name] = orjson.Fragment(row[name])
            lines.append(orjson.dumps(row))
        if lines:
            yield b"\n".join(lines) + b"\n"


class _Drain(io.RawIOBase):
    """A write-only file whose bytes are taken out as they come (ParquetWriter's sink)."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        taken = b"".join(self._chunks)
        self._chunks.clear()
        return taken


def parquet(tables: Iterable[pa.Table]) -> Iterator[bytes]:
    sink = _Drain()
    writer = None
    for table in tables:
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema)
        if table.num_rows:
            writer.write_table(table)  # one row group, written to the sink now
        if chunk := sink.take():
            yield chunk
    if writer is not None:
        writer.close()  # the footer
        yield sink.take()


@dataclass(frozen=True)
class Format:
    media_type: str
    extension: str
    encode: Callable[[Iterable[pa.Table]], Iterator[bytes]]


FORMATS = {
    "jsonl": Format("application/x-ndjson", "jsonl", jsonl),
    "parquet": Format("application/vnd.apache.parquet", "parquet", parquet),
}
