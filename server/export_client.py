"""``spanscope export``: stream a collector's ``GET /api/v1/export/spans`` into a file or
standard output, chunk by chunk, so the export never has to fit in memory.

The errors, and the message when no collector answers, are ``spanscope sql``'s
(``server.sql_output.call``).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import urllib3

from server.sql_output import RequestFailed, call

FORMATS = ("jsonl", "parquet")
CHUNK_BYTES = 1 << 16


def download(endpoint: str, since: str | None, until: str | None, format: str, target: BinaryIO) -> int:
    """Write the export to ``target``; returns how many JSON lines it held (0 for Parquet, whose
    row count is in its footer: see ``parquet_rows``). Raises ``RequestFailed``."""
    fields = {"format": format} | ({"since": since} if since else {}) | ({"until": until} if until else {})
    response = call("GET", endpoint, "/api/v1/export/spans", fields=fields, preload_content=False)
    lines = 0
    try:
        for chunk in response.stream(CHUNK_BYTES):
            target.write(chunk)
            lines += chunk.count(b"\n")
    except urllib3.exceptions.HTTPError as error:
        # The collector stopped mid-way (a database fault after the first batch, or it exited):
        # the body ended without its last chunk.
        raise RequestFailed(
            f"the export from {endpoint} was cut short ({type(error).__name__}); run it again"
        ) from None
    finally:
        response.release_conn()
    return lines


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    return int(pq.ParquetFile(path).metadata.num_rows)
