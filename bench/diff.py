"""Trace diff latency: two 1,000-span traces aligned and diffed by the collector.

Run from the repository root::

    .venv/bin/python bench/diff.py                      # DuckDB and Postgres
    .venv/bin/python bench/diff.py --spans 5000 --backends duckdb

Method: a fresh collector (``spanscope server``) gets two traces of an agent that loops over
tool calls, each with LLM messages and documents. Trace B differs from A as a new version
would: every tenth tool call has other arguments, some steps are gone, others are new, one
retrieval ranks other documents and the answer is reworded. ``GET /api/v1/diff/traces`` is
timed over HTTP: 3 warm-up calls, then 15 timed calls; the median is printed (target:
<= 1 s for two 1,000-span traces). Never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the OTLP/JSON span builder of the tests

from ingest import ROOT, SPANSCOPE, _database_url, _drop_database, _free_port, _wait_healthy

from tests.integration.collector_helpers import T0_NS, span


def _span(
    trace_id: str, span_id: int, parent: int | None, name: str, at: tuple[float, dict[str, Any]]
) -> dict[str, Any]:
    """One OTLP/JSON span; ``at`` is its start (ms after T0) and its attributes."""
    start_ms, attributes = at
    return span(
        trace_id,
        name,
        span_id=f"{span_id:016x}",
        parent=None if parent is None else f"{parent:016x}",
        start_ns=T0_NS + int(start_ms * 1e6),
        duration_ms=5,
        attributes=attributes,
    )


def agent_trace(trace_id: str, spans: int, version: int) -> dict[str, Any]:
    """A root, a retrieval, then an agent loop of LLM steps and tool calls up to ``spans``."""
    rng = random.Random(42)  # the same loop for both versions; ``version`` changes parts of it
    kind = "openinference.span.kind"
    documents = [(f"kb-{index}", 0.9 - index / 20) for index in range(6)]
    if version == 2:
        documents = [documents[1], documents[0], *documents[3:], ("kb-new", 0.3)]
    retrieval: dict[str, Any] = {kind: "RETRIEVER", "input.value": "where is my order"}
    for rank, (doc_id, score) in enumerate(documents):
        retrieval[f"retrieval.documents.{rank}.document.id"] = doc_id
        retrieval[f"retrieval.documents.{rank}.document.score"] = score
        retrieval[f"retrieval.documents.{rank}.document.content"] = f"Article {doc_id}: " + "text " * 40
    answer = "Your order ships tomorrow." if version == 1 else "Your order ships tomorrow by express."
    built = [
        _span(trace_id, 1, None, "handle_message", (0, {kind: "CHAIN", "input.value": "hi", "output.value": answer})),
        _span(trace_id, 2, 1, "search", (1, retrieval)),
        _span(trace_id, 3, 1, "agent", (2, {kind: "AGENT"})),
    ]
    next_id, step = 4, 0
    while next_id <= spans:
        step += 1
        if version == 2 and step % 25 == 0:  # a step the new version skips
            continue
        prompt = f"step {step}: " + " ".join(rng.choice(("order", "ship", "track", "refund")) for _ in range(60))
        llm: dict[str, Any] = {
            kind: "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.input_messages.0.message.role": "user",
        }
        llm["llm.input_messages.0.message.content"] = prompt
        llm["llm.token_count.prompt"] = 300 + step
        built.append(_span(trace_id, next_id, 3, "plan_next_step", (3 + step, llm)))
        arguments = json.dumps({"order_id": f"NP-{step}" if version == 1 or step % 10 else f"NP-{step}-b"})
        tool = {kind: "TOOL", "tool.name": "lookup_order", "input.value": arguments, "output.value": "shipped"}
        built.append(_span(trace_id, next_id + 1, 3, "lookup_order", (3.5 + step, tool)))
        next_id += 2
        if version == 2 and step % 30 == 0:  # a call the new version adds
            built.append(_span(trace_id, next_id, 3, "estimate_shipping", (3.7 + step, {kind: "TOOL"})))
            next_id += 1
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {"name": "bench"}, "spans": built}]}]}


def _request(port: int, method: str, path: str, body: bytes | None = None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {data[:300]!r}")
    return data


def run(backend: str, spans: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url, database = _database_url(backend, Path(folder))
        port = _free_port()
        process = subprocess.Popen(
            [str(SPANSCOPE), "server", "--db", url, "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL
        )
        try:
            _wait_healthy(port, process)
            ids = {version: f"{version:032x}" for version in (1, 2)}
            for version, trace_id in ids.items():
                _request(port, "POST", "/v1/traces", json.dumps(agent_trace(trace_id, spans, version)).encode())
            path = f"/api/v1/diff/traces?a={ids[1]}&b={ids[2]}"
            answer = json.loads(_request(port, "GET", path))
            timings = []
            for index in range(18):
                started = time.perf_counter()
                _request(port, "GET", path)
                if index >= 3:
                    timings.append((time.perf_counter() - started) * 1000)
            summary = answer["summary"]
            print(f"  {backend}: {len(answer['spans'])} rows; {summary['text']}", flush=True)
            return {"diff ms (median)": statistics.median(timings), "min": min(timings), "max": max(timings)}
        finally:
            process.terminate()
            process.wait(timeout=60)
            _drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1000, help="spans in each trace")
    parser.add_argument("--backends", default="duckdb,postgres")
    options = parser.parse_args()
    for backend in options.backends.split(","):
        figures = run(backend, options.spans)
        print(f"{backend}: " + ", ".join(f"{name} {value:.0f}" for name, value in figures.items()), flush=True)


if __name__ == "__main__":
    main()
