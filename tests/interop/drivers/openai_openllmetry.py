"""The ``openai`` client under OpenLLMetry's (Traceloop's) OpenAIInstrumentor."""

from __future__ import annotations

import os

# Read when the instrumentor records a span; set before anything is traced. Content is
# captured by default in this version, but the default has changed before.
os.environ["TRACELOOP_TRACE_CONTENT"] = "true"

from _common import Tracing, parse_args
from _openai_scenario import run
from opentelemetry.instrumentation.openai import OpenAIInstrumentor


def main() -> None:
    args = parse_args(__doc__ or "")
    tracing = Tracing(args.collector, args.exporter, service_name="interop-openai-openllmetry")
    OpenAIInstrumentor().instrument(tracer_provider=tracing.provider)
    traces = run(args.openai, tracing.recorder.new_trace_id)
    tracing.finish(traces, dump=args.dump)


if __name__ == "__main__":
    main()
