"""Spanscope SDK overhead and burst loss, side by side with stock OpenTelemetry.

Run it from the repository root::

    .venv/bin/python bench/sdk_overhead.py            # 5 rounds of 20,000 calls, then the burst
    .venv/bin/python bench/sdk_overhead.py --quick    # fewer calls and rounds, a smoke test

The two variants trace the same function and emit spans with the same attributes:

- **ours**: ``@tracer.chain`` after ``tracer.configure(endpoint=...)``; OTLP/JSON encoded
  with orjson when a span ends, sent by the SDK's exporter thread.
- **stock**: a hand-written decorator around ``start_as_current_span`` that records the same
  attributes (``json.dumps`` of the bound arguments and of the result), with a
  ``BatchSpanProcessor`` and the OTLP/HTTP protobuf ``OTLPSpanExporter``.

The traced function takes about 1 KB of input and returns about 1 KB of output, and sets
10 attributes on its span (16 attributes a span in all). Both variants send to the same
discarding sink (``python -m server.sink``), which runs in its own process so that its CPU
is not counted and which reports how many spans it received.

Method:

- Every measurement runs in a fresh worker subprocess (``--worker``), because each
  variant installs its own global TracerProvider.
- **CPU per call**: after a warm-up (calls + flush, so imports, the exporter thread and the
  connection are set up), ``time.process_time()`` is read around N calls *and the final
  flush*. It counts every thread of the worker, so the export encoding done by exporter
  threads is included. The stock queue is sized to hold all N spans so that none is dropped
  (a dropped span is never encoded, which would flatter the stock figure); the sink's count
  checks that every span of the round was delivered.
- The machine is small and noisy, so rounds of the two variants are interleaved (the order
  alternates from round to round) and the figure quoted is the median of the per-round
  ratios. Timings are printed, never asserted.
- **Burst**: N calls (100,000 by default) in a tight loop with default settings (ours:
  ``tracer.configure(endpoint=...)`` only; stock: ``BatchSpanProcessor`` defaults), then a
  flush; spans lost = spans sent - spans the sink received during the run.

The script exits non-zero only when the benchmark itself cannot run (the sink does not
start or answer, a worker crashes); lost spans are a result, printed like the timings.
"""

from __future__ import annotations

import argparse
import functools
import gc
import inspect
import json
import select
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("ours", "stock")
WORKER_TIMEOUT = 600.0
SINK_START_TIMEOUT = 20.0

# The workload ------------------------------------------------------------------------------

QUESTION = (
    "How do I change the billing address on my account, and will it affect the invoice you already sent me? "
    "I moved to a new office last month and my accountant needs every invoice to show the right address. "
    "Is there anything else I should update?"
)
DOCUMENTS = [
    f"Document {index}: billing addresses can be changed under Settings > Billing at any time. "
    "Invoices already issued keep the address they were issued with; later ones use the new one."
    for index in range(4)
]
ANSWER = {
    "answer": "You can change it under Settings > Billing. "
    + "The invoice already sent keeps the old address; the next invoices use the new one. " * 10,
    "citations": [0, 2],
    "model": "gpt-4o-mini",
    "confidence": 0.87,
}
# Ten attributes of the usual types, set by the function itself on its current span.
ATTRIBUTES: dict[str, Any] = {
    "app.request_id": "req-7f3a9c2e",
    "app.user_tier": "pro",
    "app.region": "eu-west-1",
    "app.route": "/v1/answer",
    "app.model": "gpt-4o-mini",
    "app.retries": 0,
    "app.documents": 4,
    "app.temperature": 0.2,
    "app.cache_hit": False,
    "app.tags": ("faq", "billing"),
}
# What @tracer.chain adds on its own; the stock decorator records the same.
KIND_ATTRIBUTES = {"spanscope.span.kind": "chain", "openinference.span.kind": "CHAIN"}


def make_answer(question: str, documents: list[str]) -> dict[str, Any]:
    """The traced function's own work: nothing worth measuring, so the tracing dominates."""
    return ANSWER


def workload_sizes() -> tuple[int, int]:
    """Bytes of JSON recorded as input.value and output.value."""
    inputs = json.dumps({"question": QUESTION, "documents": DOCUMENTS})
    return len(inputs.encode()), len(json.dumps(ANSWER).encode())


# The variants (run inside a worker process) ---------------------------------------------------

Answer = Callable[[str, list[str]], dict[str, Any]]


@dataclass
class Harness:
    """One configured variant: the traced function, its flush and its own counters."""

    answer: Answer
    flush: Callable[[], bool]
    details: Callable[[], dict[str, Any]]


def setup_ours(endpoint: str, queue_spans: int | None) -> Harness:
    """Spanscope as a user sets it up; ``queue_spans`` is unused: its queue is bounded in
    bytes (256 MB by default) and needs no sizing."""
    import tracer

    tracer.configure(endpoint=endpoint, service_name="bench-ours")

    @tracer.chain
    def answer(question: str, documents: list[str]) -> dict[str, Any]:
        tracer.current_span().set_attributes(ATTRIBUTES)
        return make_answer(question, documents)

    return Harness(answer, lambda: tracer.flush(timeout=120.0), lambda: asdict(tracer.stats()))


def setup_stock(endpoint: str, queue_spans: int | None) -> Harness:
    """Stock OpenTelemetry: BatchSpanProcessor and the OTLP/HTTP protobuf exporter.

    ``queue_spans`` sizes the processor's queue (the CPU rounds make it hold every span);
    None keeps the defaults (the burst).
    """
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "bench-stock"}))
    exporter = OTLPSpanExporter(endpoint=endpoint)
    if queue_spans is None:
        processor = BatchSpanProcessor(exporter)
    else:
        processor = BatchSpanProcessor(exporter, max_queue_size=queue_spans)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    otel_tracer = provider.get_tracer("bench.stock")

    def chain(func: Answer) -> Answer:
        parameters = tuple(inspect.signature(func).parameters)

        @functools.wraps(func)
        def wrapper(*args: Any) -> dict[str, Any]:
            with otel_tracer.start_as_current_span(func.__name__, attributes=KIND_ATTRIBUTES) as span:
                span.set_attribute("input.value", json.dumps(dict(zip(parameters, args, strict=True))))
                span.set_attribute("input.mime_type", "application/json")
                result = func(*args)
                span.set_attribute("output.value", json.dumps(result))
                span.set_attribute("output.mime_type", "application/json")
                return result

        return wrapper

    @chain
    def answer(question: str, documents: list[str]) -> dict[str, Any]:
        trace.get_current_span().set_attributes(ATTRIBUTES)
        return make_answer(question, documents)

    return Harness(answer, lambda: provider.force_flush(120_000), dict)


SETUPS: dict[str, Callable[[str, int | None], Harness]] = {"ours": setup_ours, "stock": setup_stock}


# The worker process ------------------------------------------------------------------------------


def call_many(answer: Answer, calls: int) -> None:
    for _ in range(calls):
        answer(QUESTION, DOCUMENTS)


def run_cpu(variant: str, endpoint: str, calls: int, warmup: int) -> dict[str, Any]:
    """CPU of ``calls`` traced calls plus the flush that exports them, after a warm-up."""
    harness = SETUPS[variant](endpoint, calls + warmup)
    call_many(harness.answer, warmup)
    harness.flush()
    gc.collect()
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    call_many(harness.answer, calls)
    flushed = harness.flush()
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    return {"sent": calls + warmup, "cpu_s": cpu, "wall_s": wall, "flushed": flushed, "details": harness.details()}


def run_burst(variant: str, endpoint: str, calls: int) -> dict[str, Any]:
    """``calls`` traced calls in a tight loop with default settings, then a flush."""
    harness = SETUPS[variant](endpoint, None)
    wall_start = time.perf_counter()
    call_many(harness.answer, calls)
    flushed = harness.flush()
    wall = time.perf_counter() - wall_start
    return {"sent": calls, "wall_s": wall, "flushed": flushed, "details": harness.details()}


def worker_main(args: argparse.Namespace) -> None:
    if args.mode == "cpu":
        result = run_cpu(args.worker, args.endpoint, args.calls, args.warmup)
    else:
        result = run_burst(args.worker, args.endpoint, args.calls)
    print(json.dumps(result), flush=True)


# The parent process: sink, workers, report ------------------------------------------------------


class BenchError(RuntimeError):
    """The benchmark cannot run (as opposed to a variant doing badly)."""


class Sink:
    """``python -m server.sink`` in a subprocess, so its CPU is not the workers'."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "server.sink", "0"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self._read_url()
        self.spans_url = self.base_url + "/v1/traces"
        self.spans_received()  # fails now, not mid-run, if it does not answer

    def _read_url(self) -> str:
        """The base URL the sink prints on its first line."""
        stdout = self._process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], SINK_START_TIMEOUT)
        line = stdout.readline().strip() if ready else ""
        if not line.startswith("http://"):
            self.stop()
            raise BenchError(f"the sink did not start within {SINK_START_TIMEOUT:.0f} s (it printed {line!r})")
        return line

    def spans_received(self) -> int:
        try:
            with urllib.request.urlopen(self.base_url + "/", timeout=10) as response:
                return int(json.load(response)["spans"])
        except OSError as error:
            raise BenchError(f"the sink at {self.base_url} does not answer: {error}") from error

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@dataclass
class Run:
    """One worker's result, with the spans the sink received while it ran."""

    variant: str
    sent: int
    received: int
    flushed: bool
    wall_s: float
    details: dict[str, Any]
    cpu_s: float | None = None

    @property
    def lost(self) -> int:
        return self.sent - self.received


def run_worker(sink: Sink, variant: str, mode: str, calls: int, warmup: int = 0) -> Run:
    before = sink.spans_received()
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        *("--worker", variant, "--mode", mode, "--endpoint", sink.spans_url),
        *("--calls", str(calls), "--warmup", str(warmup)),
    ]
    try:
        done = subprocess.run(
            command, check=False, cwd=REPO_ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{variant} {mode} worker took more than {WORKER_TIMEOUT:.0f} s") from error
    if done.returncode != 0:
        raise BenchError(f"{variant} {mode} worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    received = sink.spans_received() - before
    return Run(
        variant, result["sent"], received, result["flushed"], result["wall_s"], result["details"], result.get("cpu_s")
    )


def per_call_us(run: Run, calls: int) -> float:
    assert run.cpu_s is not None
    return run.cpu_s / calls * 1e6


def cpu_rounds(sink: Sink, rounds: int, calls: int, warmup: int) -> None:
    print(f"CPU per traced call: {rounds} interleaved rounds of {calls:,} calls (after {warmup:,} warm-up calls),")
    print("process CPU of the worker (all threads) including the final flush.")
    print(f"{'round':>6}  {'order':<11}  {'ours µs':>8}  {'stock µs':>8}  {'ratio':>6}  {'delivered ours/stock':>22}")
    ours_us: list[float] = []
    stock_us: list[float] = []
    ratios: list[float] = []
    for index in range(rounds):
        order = VARIANTS if index % 2 == 0 else VARIANTS[::-1]
        runs = {variant: run_worker(sink, variant, "cpu", calls, warmup) for variant in order}
        ours, stock = per_call_us(runs["ours"], calls), per_call_us(runs["stock"], calls)
        ours_us.append(ours)
        stock_us.append(stock)
        ratios.append(ours / stock)
        delivered = "/".join(f"{runs[v].received:,}" for v in VARIANTS)
        flags = "".join(
            f"  (!) {v}: {runs[v].lost:,} lost, flush={runs[v].flushed}"
            for v in VARIANTS
            if runs[v].lost or not runs[v].flushed
        )
        print(
            f"{index + 1:>6}  {'>'.join(order):<11}  {ours:>8.1f}  {stock:>8.1f}  {ours / stock:>6.2f}  "
            f"{delivered:>22}{flags}"
        )
    median_ratio = statistics.median(ratios)
    print(
        f"{'median':>6}  {'':<11}  {statistics.median(ours_us):>8.1f}  {statistics.median(stock_us):>8.1f}  "
        f"{median_ratio:>6.2f}"
    )
    print(f"=> Spanscope costs {median_ratio:.2f}x stock OpenTelemetry per traced call (median ratio; target <= 0.50)")


def burst(sink: Sink, calls: int) -> None:
    print(f"Burst: {calls:,} traced calls in a tight loop, default settings, then a flush.")
    print(f"{'variant':<7}  {'sent':>9}  {'received':>9}  {'lost':>9}  {'lost %':>6}  {'flush':>5}  {'wall s':>6}")
    for variant in VARIANTS:
        run = run_worker(sink, variant, "burst", calls)
        print(
            f"{variant:<7}  {run.sent:>9,}  {run.received:>9,}  {run.lost:>9,}  {run.lost / run.sent:>6.1%}  "
            f"{run.flushed!s:>5}  {run.wall_s:>6.1f}"
        )
        if run.details:
            print(f"         tracer.stats(): {', '.join(f'{key}={value}' for key, value in run.details.items())}")


def parent_main(args: argparse.Namespace) -> None:
    rounds, calls, warmup, burst_calls = (3, 3_000, 500, 20_000) if args.quick else (5, 20_000, 2_000, 100_000)
    input_bytes, output_bytes = workload_sizes()
    sink = Sink()
    try:
        print(f"Spanscope vs stock OpenTelemetry {_otel_version()}, sink {sink.base_url} (separate process)")
        print(
            f"Traced call: {input_bytes:,} B of input and {output_bytes:,} B of output as JSON, "
            f"{len(ATTRIBUTES)} attributes set by the function ({len(ATTRIBUTES) + 6} a span in all)."
        )
        print()
        cpu_rounds(sink, rounds, calls, warmup)
        print()
        burst(sink, burst_calls)
    finally:
        sink.stop()


def _otel_version() -> str:
    from importlib.metadata import version

    return f"SDK {version('opentelemetry-sdk')}, OTLP/HTTP exporter {version('opentelemetry-exporter-otlp-proto-http')}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds: a smoke test")
    worker = parser.add_argument_group("worker (internal: one measurement in a fresh process)")
    worker.add_argument("--worker", choices=VARIANTS)
    worker.add_argument("--mode", choices=("cpu", "burst"), default="cpu")
    worker.add_argument("--endpoint", help="full traces URL of the sink")
    worker.add_argument("--calls", type=int, default=20_000)
    worker.add_argument("--warmup", type=int, default=2_000)
    args = parser.parse_args(argv)
    if args.worker and not args.endpoint:
        parser.error("--worker needs --endpoint")
    return args


def main() -> int:
    args = parse_args()
    if args.worker:
        worker_main(args)
        return 0
    try:
        parent_main(args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
