"""Raw bulk-insert rate of the storage layer: ``store.write`` in batches of 5,000 spans.

Run from the repository root::

    .venv/bin/python bench/storage_insert.py                    # 200,000 spans on each backend
    .venv/bin/python bench/storage_insert.py --spans 20000      # quicker
    .venv/bin/python bench/storage_insert.py --backends duckdb

Method:

- Realistic traces of 6 spans: a chain root, a retriever with 3 documents, 2 LLM calls with
  about 1 KB of messages each and token counts and cost, and a tool call. The SpanRecords are
  built before the clock starts: only ``store.write`` is timed (NUL scrubbing, JSON encoding,
  the bulk insert and the per-trace summary upsert, one transaction per batch).
- Each backend gets a fresh database: a DuckDB file in a temporary directory, a Postgres
  database created on the local server (``--postgres``) and dropped afterwards.
- Printed: overall spans/s, and the rate of the first and last tenth of the batches (does the
  rate hold as the tables grow?). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from server.model import SpanRecord
from server.storage import Store, migrate, open_store

BATCH = 5_000
T0_NS = 1_767_225_600_000_000_000
QUESTION = "Where is my order A-1001 and how long does express shipping take to Lisbon? " * 3
DOCUMENT = "Express shipping within the EU takes one to two business days after dispatch. " * 4
ANSWER = "Your order A-1001 left our warehouse yesterday; express shipping to Lisbon takes 1-2 days. " * 3


def _trace(number: int, rng: random.Random) -> list[SpanRecord]:
    trace_id = uuid.UUID(int=rng.getrandbits(128)).hex
    start = T0_NS + number * 50_000_000
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(6)]
    common = {"project_id": "default", "trace_id": trace_id, "status": "ok", "status_message": None}
    resource = {"service.name": "support-bot", "deployment.environment": "prod"}
    messages = [
        {"role": "system", "parts": [{"type": "text", "content": "You are a helpful support agent. " * 6}]},
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]},
    ]
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": ANSWER}]}]

    def span(index: int, parent: int | None, offset_ms: int, length_ms: int, **fields: object) -> SpanRecord:
        return SpanRecord(
            **common,  # type: ignore[arg-type]
            span_id=ids[index],
            parent_span_id=None if parent is None else ids[parent],
            start_time_ns=start + offset_ms * 1_000_000,
            end_time_ns=start + (offset_ms + length_ms) * 1_000_000,
            service_name="support-bot",
            resource_attributes=resource,
            session_id=f"session-{number // 10}",
            user_id=f"user-{number % 97}",
            **fields,  # type: ignore[arg-type]
        )

    def llm(index: int, offset_ms: int) -> SpanRecord:
        return span(
            index,
            0,
            offset_ms,
            800,
            name="chat gpt-4o-mini",
            kind="llm",
            model="gpt-4o-mini",
            provider="openai",
            input_tokens=350 + rng.randrange(100),
            output_tokens=60 + rng.randrange(40),
            total_tokens=450,
            cost_usd=0.00012,
            cost_source="span",
            input_messages=messages,
            output_messages=answer,
            output=ANSWER,
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "temperature": 0.2},
            dialects=["otel_genai"],
        )

    return [
        span(0, None, 0, 2_000, name="answer", kind="chain", input=QUESTION, output=ANSWER, tags=["prod", "support"]),
        span(
            1,
            0,
            10,
            120,
            name="retrieve",
            kind="retriever",
            input=QUESTION,
            documents=[
                {"id": f"doc-{i}", "content": DOCUMENT, "score": 0.9 - i / 10, "metadata": {}} for i in range(3)
            ],
            dialects=["openinference"],
        ),
        llm(2, 150),
        span(
            3, 0, 960, 40, name="lookup_order", kind="tool", tool_name="lookup_order", tool_arguments='{"id": "A-1001"}'
        ),
        llm(4, 1_010),
        span(5, 0, 1_900, 50, name="guard", kind="guardrail", input=ANSWER, output="pass"),
    ]


def make_spans(count: int) -> list[SpanRecord]:
    rng = random.Random(7)
    spans: list[SpanRecord] = []
    number = 0
    while len(spans) < count:
        spans += _trace(number, rng)
        number += 1
    return spans[:count]


def measure(store: Store, spans: list[SpanRecord]) -> tuple[float, list[float]]:
    rates = []
    started = time.perf_counter()
    for start in range(0, len(spans), BATCH):
        batch = spans[start : start + BATCH]
        batch_started = time.perf_counter()
        store.write(batch)
        rates.append(len(batch) / (time.perf_counter() - batch_started))
    return len(spans) / (time.perf_counter() - started), rates


def report(name: str, total: float, rates: list[float]) -> None:
    tenth = max(1, len(rates) // 10)
    print(
        f"{name:9s} {total:>10,.0f} spans/s overall;"
        f" first {tenth} batches {statistics.median(rates[:tenth]):>9,.0f}/s,"
        f" last {tenth} {statistics.median(rates[-tenth:]):>9,.0f}/s"
    )


def run_duckdb(spans: list[SpanRecord]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"duckdb:///{Path(directory) / 'bench.duckdb'}"
        migrate.upgrade(url)
        store = open_store(url)
        try:
            report("duckdb", *measure(store, spans))
        finally:
            store.close()


def run_postgres(spans: list[SpanRecord], server: str) -> None:
    name = f"spanscope_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(f"{server}/test", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        print(f"postgres  skipped: cannot connect to {server}/test ({error})")
        return
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            url = f"postgresql+psycopg://{server.split('://', 1)[1]}/{name}"
            migrate.upgrade(url)
            store = open_store(url)
            try:
                report("postgres", *measure(store, spans))
            finally:
                store.close()
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--backends", nargs="+", choices=["duckdb", "postgres"], default=["duckdb", "postgres"])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432", help="server URL, no database")
    args = parser.parse_args()
    started = time.perf_counter()
    spans = make_spans(args.spans)
    built = time.perf_counter() - started
    print(f"{len(spans):,} spans ({len(spans) // 6:,} traces) built in {built:.1f} s; batches of {BATCH:,}")
    if "duckdb" in args.backends:
        run_duckdb(spans)
    if "postgres" in args.backends:
        run_postgres(spans, args.postgres)
    return 0


if __name__ == "__main__":
    sys.exit(main())
