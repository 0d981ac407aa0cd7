"""Read API latency with 1,000,000 stored spans: trace list (first page, by model, by
session), one trace detail, the session list, one session and the Overview metrics (the
default range, all the data, and the last minute of it), on DuckDB and Postgres.

Run from the repository root::

    .venv/bin/python bench/query.py                  # 1,000,000 spans on each backend
    .venv/bin/python bench/query.py --spans 200000

Method: the database is filled through the storage layer (the same realistic traces as
``bench/ingest.py``, with sessions and two models mixed in), then a collector is started
on it and each request is timed over HTTP from this process: 5 warm-up calls, then 30
timed calls; the median is printed (targets: <= 50 ms each). Never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import (
    ROOT,
    SPANSCOPE,
    _database_url,
    _drop_database,
    _free_port,
    _wait_healthy,
    build_requests,
)

SESSIONS = 5_000


def fill(url: str, spans: int) -> tuple[str, str]:
    """Store the spans; returns a trace ID and a session ID to query for."""
    from server.normalize import normalize
    from server.otlp.traces import decode_traces
    from server.storage import migrate, open_store

    migrate.upgrade(url)
    store = open_store(url)
    sample_trace = sample_session = ""
    batch = []
    for body, _ in build_requests(spans, seed=3):
        for raw in decode_traces(body, "application/x-protobuf").spans:
            record = normalize(raw, "default")
            # Spread traces over sessions and two models, as production data is.
            number = int(record.trace_id[:8], 16)
            record.session_id = f"session-{number % SESSIONS}"
            if record.kind == "llm" and number % 3 == 0:
                record.model = "claude-haiku-4-5"
            batch.append(record)
            sample_trace, sample_session = record.trace_id, record.session_id
        if len(batch) >= 5000:
            store.write(batch)
            batch = []
    if batch:
        store.write(batch)
    store.close()
    if url.startswith("postgresql"):
        # Measure the steady state: autovacuum analyzes a table after bulk loads, but on its
        # own schedule; without statistics the planner misjudges JSON containment filters. It
        # also vacuums it (PG 13+ counts inserts), which marks pages all-visible: index-only
        # scans (the metrics' ix_spans_time) depend on that. Autovacuum may be off on the server.
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return sample_trace, sample_session


def median_ms(port: int, path: str, runs: int = 30) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings = []
    for index in range(runs + 5):
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status} {body[:200]!r}")
        if index >= 5:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


@dataclass(frozen=True)
class FilledCollector:
    port: int
    pid: int
    folder: Path  # a temporary folder for the benchmark's own files
    trace_id: str  # a stored trace and session, to query for
    session_id: str


@contextmanager
def filled_collector(backend: str, spans: int) -> Iterator[FilledCollector]:
    """A collector (``spanscope server``) on a new database holding ``spans`` spans; the
    database is dropped afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        url, database = _database_url(backend, Path(folder))
        try:
            started = time.perf_counter()
            trace_id, session_id = fill(url, spans)
            print(f"  {backend}: stored {spans:,} spans in {time.perf_counter() - started:.0f} s", flush=True)
            port = _free_port()
            process = subprocess.Popen(
                [str(SPANSCOPE), "server", "--db", url, "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL
            )
            try:
                _wait_healthy(port, process)
                yield FilledCollector(port, process.pid, Path(folder), trace_id, session_id)
            finally:
                process.terminate()
                process.wait(timeout=60)
        finally:
            _drop_database(database)


def run(backend: str, spans: int) -> dict[str, float]:
    with filled_collector(backend, spans) as collector:
        port, session_id = collector.port, collector.session_id
        page = json.loads(_get(port, "/api/v1/traces?limit=50"))
        if len(page["traces"]) != 50:
            raise RuntimeError("the first page is not full")
        # The data spans about 17 minutes (bench/ingest.py: a span a millisecond).
        last = datetime.fromisoformat(json.loads(_get(port, "/api/v1/metrics"))["end"])
        last_minute = quote((last - timedelta(minutes=1)).isoformat())
        return {
            "list": median_ms(port, "/api/v1/traces?limit=50"),
            "by model": median_ms(port, "/api/v1/traces?limit=50&model=claude-haiku-4-5"),
            "by session": median_ms(port, f"/api/v1/traces?limit=50&session_id={session_id}"),
            "detail": median_ms(port, f"/api/v1/traces/{collector.trace_id}"),
            "sessions": median_ms(port, "/api/v1/sessions?limit=50"),
            "session": median_ms(port, f"/api/v1/sessions/{session_id}"),
            "metrics": median_ms(port, "/api/v1/metrics"),
            "metrics 1m": median_ms(port, f"/api/v1/metrics?start_after={last_minute}"),
        }


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path)
    return connection.getresponse().read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    results = {backend: run(backend, args.spans) for backend in args.backends.split(",")}
    print(f"median ms over 30 calls, {args.spans:,} spans stored")
    print(f"{'backend':10s} " + " ".join(f"{name:>11s}" for name in next(iter(results.values()))))
    for backend, timings in results.items():
        print(f"{backend:10s} " + " ".join(f"{value:11.1f}" for value in timings.values()))


if __name__ == "__main__":
    main()
