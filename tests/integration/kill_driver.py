"""The sender of the kill test (test_kill.py), run in its own process.

It is an ordinary application using our SDK: ``traces`` traces of ``spans_per_trace`` spans
each (a ``@tracer.chain`` root calling a ``@tracer.tool`` function), every span with an input
no other span has, so that the test can tell a span stored twice under new IDs from a resend
of the same span. Then ``tracer.flush()`` and one JSON line on stdout: the flush verdict and
``tracer.stats()``.

It runs apart from pytest because ``tracer.configure()`` sets process-wide state (the global
TracerProvider) and because the collector it talks to is killed under it: only a real
separate client shows what a real application would see.

    python -m tests.integration.kill_driver --endpoint http://127.0.0.1:4318/v1/traces --traces 10
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

import tracer


@tracer.tool
def step(trace_no: int, index: int) -> str:
    return f"{trace_no}/{index}"


@tracer.chain
def pipeline(trace_no: int, steps: int) -> int:
    for index in range(steps):
        step(trace_no, index)
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--endpoint", required=True, help="full URL of the collector's /v1/traces")
    parser.add_argument("--traces", type=int, required=True)
    parser.add_argument("--spans-per-trace", type=int, default=10, help="the root span and its children")
    parser.add_argument("--batch-size", type=int, default=1024, help="export_batch_size")
    parser.add_argument("--export-interval", type=float, default=0.5, help="seconds before a partial batch is sent")
    parser.add_argument("--max-retry-time", type=float, default=120.0)
    parser.add_argument("--flush-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    tracer.configure(
        endpoint=args.endpoint,
        service_name="spanscope-kill-test",
        export_batch_size=args.batch_size,
        export_interval=args.export_interval,
        max_retry_time=args.max_retry_time,
    )
    started = time.monotonic()
    for trace_no in range(args.traces):
        pipeline(trace_no, args.spans_per_trace - 1)
    produced = time.monotonic()
    ok = tracer.flush(timeout=args.flush_timeout)
    report = {
        "ok": ok,
        "spans": args.traces * args.spans_per_trace,
        "produce_seconds": round(produced - started, 3),
        "flush_seconds": round(time.monotonic() - produced, 3),
        **dataclasses.asdict(tracer.stats()),
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
