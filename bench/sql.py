"""The documented SQL examples (docs/sql.md) with 1,000,000 spans stored: median latency of
each through ``POST /api/v1/sql``, on DuckDB and Postgres.

Run from the repository root::

    .venv/bin/python bench/sql.py                  # 1,000,000 spans on each backend
    .venv/bin/python bench/sql.py --spans 200000 --backends duckdb

Method: the database is filled as in ``bench/query.py``; a collector is started on it; each
example is sent 1 + 7 times over HTTP and the median of the last 7 is printed, with its row
count (target: every example <= 500 ms on DuckDB). Never asserted. The filling data has no
failures, tags or metadata, so some examples return no rows: they still scan what they would.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from query import filled_collector

from server.sql import reference

RUNS = 7


def timed(port: int, query: str) -> tuple[float, int]:
    """Median milliseconds and row count of ``query``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = json.dumps({"query": query, "limit": 10_000})
    timings, rows = [], 0
    for index in range(RUNS + 1):
        started = time.perf_counter()
        connection.request("POST", "/api/v1/sql", body, {"content-type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
        if index:
            timings.append((time.perf_counter() - started) * 1000)
        rows = json.loads(answer)["row_count"]
    return statistics.median(timings), rows


def run(backend: str, spans: int) -> dict[str, tuple[float, int]]:
    with filled_collector(backend, spans) as collector:
        return {example.question: timed(collector.port, example.query) for example in reference.examples()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    results = {backend: run(backend, args.spans) for backend in args.backends.split(",")}
    backends = list(results)
    print(f"{'example':<70}" + "".join(f"{backend + ' ms':>14}{'rows':>8}" for backend in backends))
    for question in (example.question for example in reference.examples()):
        cells = "".join(f"{results[b][question][0]:>14.1f}{results[b][question][1]:>8}" for b in backends)
        print(f"{question[:69]:<70}{cells}")


if __name__ == "__main__":
    main()
