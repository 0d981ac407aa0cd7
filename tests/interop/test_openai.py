"""The ``openai`` client, pointed at the local API stub, under two instrumentations that
speak different conventions. Normalized, their spans must say the same things."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import openai_stub
import pytest
from genai_prices import Usage, calc_price
from interop_helpers import Collector, RunDriver, Span, flatten
from openai_stub import OpenAIStub

SYSTEM_PROMPT = "You are the support assistant of an online shop. Answer in one sentence."
QUESTION = "Where is my order ORD-1042?"


@dataclass(frozen=True)
class Instrumentation:
    driver: str
    exporter: str  # how the driver sends: the stock protobuf exporter, or our SDK (JSON)
    dialect: str  # the convention the collector must detect
    # Attribute keys that carry usage and content in this convention: none may stay unmapped.
    content_keys: tuple[str, ...]


OPENINFERENCE = Instrumentation(
    driver="openai_openinference",
    exporter="otlp-proto",
    dialect="openinference",
    content_keys=(
        "openinference.span.kind",
        "llm.model_name",
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "llm.input_messages.0.message.content",
        "llm.output_messages.0.message.content",
    ),
)
# OpenLLMetry 0.62 writes the OTel GenAI attributes (gen_ai.input.messages...), not its
# legacy gen_ai.prompt.N.*, so the convention to detect is "genai".
OPENLLMETRY = Instrumentation(
    driver="openai_openllmetry",
    exporter="spanscope",
    dialect="genai",
    content_keys=(
        "gen_ai.operation.name",
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
    ),
)


@dataclass(frozen=True)
class Traces:
    instrumentation: Instrumentation
    spans: dict[str, list[Span]]  # scenario -> the trace's spans, flattened


@pytest.fixture(scope="module", params=[OPENINFERENCE, OPENLLMETRY], ids=lambda each: each.driver)
def traces(
    request: pytest.FixtureRequest, run_driver: RunDriver, collector: Collector, openai_stub: OpenAIStub
) -> Traces:
    instrumentation: Instrumentation = request.param
    result = run_driver(instrumentation.driver, "--openai", openai_stub.url, "--exporter", instrumentation.exporter)
    spans = {}
    for scenario, trace_id in result.traces.items():
        _, tree = collector.trace(trace_id, result.span_counts[trace_id])
        spans[scenario] = flatten(tree)
    return Traces(instrumentation, spans)


def the_span(traces: Traces, scenario: str) -> Span:
    """The one span the instrumentation makes for a call (the client call is the trace)."""
    spans = traces.spans[scenario]
    assert len(spans) == 1, [span["name"] for span in spans]
    return spans[0]


def text_parts(message: dict[str, Any]) -> list[str]:
    return [part["content"] for part in message["parts"] if part["type"] == "text"]


def gpt_4o_mini_price(usage: openai_stub.Usage) -> float:
    price = calc_price(
        Usage(
            input_tokens=usage.prompt_tokens,
            cache_read_tokens=usage.cached_tokens,
            output_tokens=usage.completion_tokens,
        ),
        model_ref="gpt-4o-mini",
        provider_id="openai",
    )
    return float(price.total_price)


def test_chat_completion_is_an_llm_span_with_model_and_usage(traces: Traces) -> None:
    span = the_span(traces, "chat")
    assert span["kind"] == "llm"
    assert span["model"] in {"gpt-4o-mini", "gpt-4o-mini-2024-07-18"}
    assert span["provider"] == "openai"
    usage = openai_stub.CHAT_USAGE
    assert (span["input_tokens"], span["output_tokens"], span["total_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
    )
    assert span["cache_read_tokens"] == usage.cached_tokens


def test_chat_completion_has_a_price(traces: Traces) -> None:
    span = the_span(traces, "chat")
    assert isinstance(span["cost_usd"], float) and span["cost_usd"] > 0
    assert span["cost_usd"] == pytest.approx(gpt_4o_mini_price(openai_stub.CHAT_USAGE))


def test_chat_completion_messages(traces: Traces) -> None:
    span = the_span(traces, "chat")
    assert [(message["role"], text_parts(message)) for message in span["input_messages"]] == [
        ("system", [SYSTEM_PROMPT]),
        ("user", [QUESTION]),
    ]
    assert [(message["role"], text_parts(message)) for message in span["output_messages"]] == [
        ("assistant", [openai_stub.CHAT_ANSWER])
    ]


def test_tool_call_answer_is_an_output_message(traces: Traces) -> None:
    span = the_span(traces, "tool_call")
    assert span["kind"] == "llm"
    assert (span["input_tokens"], span["output_tokens"]) == (
        openai_stub.TOOL_USAGE.prompt_tokens,
        openai_stub.TOOL_USAGE.completion_tokens,
    )
    [message] = span["output_messages"]
    assert message["role"] == "assistant"
    [call] = [part for part in message["parts"] if part["type"] == "tool_call"]
    # OpenInference sends the arguments as JSON text, OpenLLMetry as an object; both are
    # stored as the object, as the GenAI message schema has them.
    assert (call["id"], call["name"], call["arguments"]) == (
        openai_stub.TOOL_CALL_ID,
        "lookup_order",
        openai_stub.TOOL_ARGUMENTS,
    )


def test_streamed_completion_is_assembled(traces: Traces) -> None:
    span = the_span(traces, "stream")
    assert span["kind"] == "llm"
    assert [(message["role"], text_parts(message)) for message in span["output_messages"]] == [
        ("assistant", [openai_stub.STREAM_ANSWER])
    ]
    usage = openai_stub.STREAM_USAGE
    assert (span["input_tokens"], span["output_tokens"], span["total_tokens"]) == (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
    )


def test_embedding_span(traces: Traces) -> None:
    span = the_span(traces, "embedding")
    assert span["kind"] == "embedding"
    assert span["model"] == "text-embedding-3-small"
    tokens = openai_stub.EMBEDDING_PROMPT_TOKENS
    assert (span["input_tokens"], span["total_tokens"]) == (tokens, tokens)
    # The embedded text is on the span, as input text or as an input message.
    shown = (span["input"] or "") + json.dumps(span["input_messages"])
    assert "refund policy for damaged items" in shown


def test_convention_is_detected_and_its_attributes_mapped(traces: Traces) -> None:
    for scenario in ("chat", "stream"):
        span = the_span(traces, scenario)
        assert traces.instrumentation.dialect in span["dialects"], span["dialects"]
        left_over = set(traces.instrumentation.content_keys) & set(span["unmapped_keys"])
        assert not left_over, f"{scenario}: mapped by no dialect: {sorted(left_over)}"
