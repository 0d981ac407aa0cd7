"""The ``openai`` client under OpenInference's OpenAIInstrumentor."""

from __future__ import annotations

from _common import Tracing, parse_args
from _openai_scenario import run
from openinference.instrumentation.openai import OpenAIInstrumentor


def main() -> None:
    args = parse_args(__doc__ or "")
    tracing = Tracing(args.collector, args.exporter, service_name="interop-openai-openinference")
    OpenAIInstrumentor().instrument(tracer_provider=tracing.provider)
    traces = run(args.openai, tracing.recorder.new_trace_id)
    tracing.finish(traces, dump=args.dump)


if __name__ == "__main__":
    main()
