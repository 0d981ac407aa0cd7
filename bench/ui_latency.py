"""UI latency in headless Chromium with 1,000,000 spans stored: from navigation to the Traces
table rendered, and to a 1,000-span trace rendered (tree, waterfall and span detail); a
10,000-span trace is timed too.

Run from the repository root::

    .venv/bin/python bench/ui_latency.py                  # 1,000,000 spans (DuckDB)
    .venv/bin/python bench/ui_latency.py --spans 100000

Method: the database is filled as in ``bench/query.py``, plus traces of 1,001 and 10,001
spans (a root with 200 or 2,000 iterations of the five-span pipeline under it). ``spanscope up`` serves it;
Debian's Chromium (Playwright, ``executable_path``) opens each URL in a new tab 7 times
(one browser context, so the UI's static files come from its cache)
and the clock stops when Streamlit has finished the script and the table (and, for the
trace, its waterfall and the selected span's heading) are on screen. Medians are printed
(target: <= 2 s each). Never asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import SPANSCOPE, _free_port, _trace_template
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from query import fill

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
RUNS = 7


def add_large_trace(url: str, iterations: int = 200) -> str:
    """One trace of 1 + 5 * ``iterations`` spans: the benchmark pipeline's root, with its
    five other spans repeated under it ``iterations`` times (an agent loop)."""
    from server.normalize import normalize
    from server.otlp.traces import decode_traces
    from server.storage import open_store

    rng = random.Random(5)
    template = _trace_template()
    trace_id = rng.getrandbits(128).to_bytes(16, "big")
    root_id = rng.getrandbits(64).to_bytes(8, "big")
    start = time.time_ns() - 60 * 10**9
    name, _, _, duration, attributes = template[0]
    step = duration
    spans = [
        Span(
            trace_id=trace_id, span_id=root_id, name=name, start_time_unix_nano=start,
            end_time_unix_nano=start + step * iterations, attributes=attributes,
        )
    ]  # fmt: skip
    for iteration in range(iterations):
        for name, _, offset, duration, attributes in template[1:]:
            begin = start + iteration * step + offset
            spans.append(
                Span(
                    trace_id=trace_id, span_id=rng.getrandbits(64).to_bytes(8, "big"), parent_span_id=root_id,
                    name=name, start_time_unix_nano=begin, end_time_unix_nano=begin + duration, attributes=attributes,
                )
            )  # fmt: skip
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(resource=Resource(), scope_spans=[ScopeSpans(scope=InstrumentationScope(), spans=spans)])
        ]
    )
    decoded = decode_traces(request.SerializeToString(), "application/x-protobuf")
    store = open_store(url)
    store.write([normalize(span, "default") for span in decoded.spans])
    store.close()
    return trace_id.hex()


def time_page(context: object, url: str, ready: list[str]) -> float:
    page = context.new_page()  # type: ignore[attr-defined]
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    for selector in ready:
        page.wait_for_selector(selector, timeout=60_000)
    elapsed = time.perf_counter() - started
    page.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        url = f"duckdb:///{Path(folder) / 'ui.duckdb'}"
        started = time.perf_counter()
        fill(url, args.spans)
        large = add_large_trace(url)
        huge = add_large_trace(url, iterations=2_000)
        print(
            f"stored {args.spans:,} spans and traces of 1,001 and 10,001 spans in {time.perf_counter() - started:.0f}s",
            flush=True,
        )
        api_port, ui_port = _free_port(), _free_port()
        command = [str(SPANSCOPE), "up", "--db", url, "--port", str(api_port), "--ui-port", str(ui_port)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            for line in process.stdout or []:
                if "Spanscope is up." in line:
                    break
            base = f"http://127.0.0.1:{ui_port}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                # One context: the browser caches the UI's scripts, as for anyone who opened it before.
                context = browser.new_context(viewport={"width": 1440, "height": 1000})
                table = ['[data-testid="stDataFrame"] canvas']
                trace = [*table, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg']
                time_page(context, f"{base}/traces", table)  # warm-up: first start of a session
                results = {
                    "traces table": [time_page(context, f"{base}/traces", table) for _ in range(RUNS)],
                    "1,001-span trace": [time_page(context, f"{base}/trace?id={large}", trace) for _ in range(RUNS)],
                    "10,001-span trace": [time_page(context, f"{base}/trace?id={huge}", trace) for _ in range(RUNS)],
                }
                browser.close()
        finally:
            process.terminate()
            process.wait(60)
    for name, timings in results.items():
        print(f"{name:>19}: median {statistics.median(timings):.2f} s (min {min(timings):.2f}, max {max(timings):.2f})")


if __name__ == "__main__":
    main()
