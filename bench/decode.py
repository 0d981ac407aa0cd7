"""Collector decode cost: microseconds per span for OTLP protobuf and OTLP/JSON requests.

Run it from the repository root::

    .venv/bin/python bench/decode.py            # 30 rounds
    .venv/bin/python bench/decode.py --quick    # 5 rounds, a smoke test

The request holds 512 spans from a real SDK TracerProvider, in six kinds (LLM, embedding,
retriever, tool, agent, chain), about 15 attributes each (OpenInference and GenAI
names). LLM spans carry ~1 KB of messages as a JSON string, a structured
``gen_ai.input.messages`` value (kvlist/array) and a ``gen_ai.choice`` event. The
protobuf body comes from the stock encoder (``encode_spans``), the JSON body from our
SDK's encoder. The figure is the best round (least disturbed by the noisy machine)
and the median; printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from server.otlp.traces import decode_traces
from tracer._internal.export.encoder import SpanEncoder
from tracer._internal.export.pipeline import Batch

SPANS = 512
KINDS = ("LLM", "EMBEDDING", "RETRIEVER", "TOOL", "AGENT", "CHAIN")
MESSAGE = "Summarize the quarterly report and list the three main risks for the board. " * 7  # ~550 chars


def _attributes(kind: str, index: int) -> dict[str, Any]:
    common: dict[str, Any] = {
        "openinference.span.kind": kind,
        "session.id": f"session-{index // 50}",
        "user.id": "user-42",
        "input.value": f'{{"question": "q{index}"}}',
        "input.mime_type": "application/json",
        "output.value": f"answer {index}",
        "metadata": '{"env": "prod"}',
        "tag.tags": ["alpha", "beta"],
    }
    if kind == "LLM":
        common |= {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.request.temperature": 0.2,
            "gen_ai.usage.input_tokens": 812,
            "gen_ai.usage.output_tokens": 95,
            "llm.input_messages.0.message.content": MESSAGE,
            "gen_ai.input.messages": [
                {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                {"role": "user", "parts": [{"type": "text", "content": MESSAGE}]},
            ],
        }
    else:
        common |= {
            "tool.name": "search",
            "retrieval.documents.0.document.id": "doc-1",
            "retrieval.documents.0.document.score": 0.87,
            "embedding.model_name": "text-embedding-3-small",
            "llm.token_count.total": 120,
            "custom.flag": True,
            "custom.count": index,
        }
    return common


def make_spans() -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench", "deployment.environment": "prod"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bench.decode", "1.0")
    with tracer.start_as_current_span("agent run", kind=SpanKind.SERVER):
        for index in range(SPANS - 1):
            kind = KINDS[index % len(KINDS)]
            with tracer.start_as_current_span(f"{kind.lower()} {index}", attributes=_attributes(kind, index)) as span:
                if kind == "LLM":
                    span.add_event("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": MESSAGE})
                if kind == "TOOL" and index % 4 == 0:
                    span.set_status(Status(StatusCode.ERROR, "tool timed out"))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def measure(decode: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(best, median) microseconds per span."""
    decode()  # warm up
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        decode()
        timings.append((time.perf_counter() - start) / SPANS * 1e6)
    return min(timings), statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 30")
    rounds = 5 if parser.parse_args().quick else 30

    spans = make_spans()
    protobuf = encode_spans(spans).SerializeToString()
    encoder = SpanEncoder()
    batch = Batch(1)
    for seq, span in enumerate(spans, 1):
        batch.add(seq, encoder.encode(span))
    json_body = batch.request_body()
    assert len(decode_traces(protobuf, "application/x-protobuf").spans) == SPANS
    assert len(decode_traces(json_body, "application/json").spans) == SPANS

    print(f"{SPANS} spans; protobuf body {len(protobuf) / 1024:.0f} KiB, JSON body {len(json_body) / 1024:.0f} KiB")
    figures = {
        "protobuf parse only (FromString)": lambda: ExportTraceServiceRequest.FromString(protobuf),
        "protobuf decode_traces": lambda: decode_traces(protobuf, "application/x-protobuf"),
        "JSON decode_traces": lambda: decode_traces(json_body, "application/json"),
    }
    for label, decode in figures.items():
        best, median = measure(decode, rounds)
        print(f"{label:34} {best:6.2f} us/span best, {median:6.2f} median ({1e6 / best:,.0f} spans/s)")


if __name__ == "__main__":
    main()
