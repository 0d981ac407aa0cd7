"""Our own SDK's spans, captured through its real export pipeline, normalize fully."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _normalize_helpers import text

import tracer
from server.model import RawEvent, RawSpan, SpanRecord
from server.normalize import normalize
from tracer.testing import CapturedSpan, CapturedSpans, capture

STATUS_CODES = {"UNSET": 0, "OK": 1, "ERROR": 2}


@pytest.fixture
def spans() -> Iterator[CapturedSpans]:
    with capture() as captured:
        yield captured


def normalized(span: CapturedSpan) -> SpanRecord:
    raw = RawSpan(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        name=span.name,
        kind=1,
        start_time_ns=span.start_time_ns,
        end_time_ns=span.end_time_ns,
        status_code=STATUS_CODES[span.status],
        status_message=span.status_message,
        attributes=span.attributes,
        events=tuple(RawEvent(event["name"], 0, event["attributes"]) for event in span.events),
        resource=span.resource,
    )
    return normalize(raw, "default")


def completion(**usage: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Paris."}}],
        "usage": usage,
    }


def test_llm_span_returning_an_openai_completion(spans: CapturedSpans) -> None:
    @tracer.llm
    def answer(messages: list[dict[str, str]], model: str = "gpt-4o-mini", temperature: float = 0.0) -> dict[str, Any]:
        return completion(prompt_tokens=20, completion_tokens=3, prompt_tokens_details={"cached_tokens": 10})

    with tracer.context(session_id="chat-42", user_id="ada", tags=["beta"], metadata={"tenant": "acme"}):
        answer([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}])
    record = normalized(spans.named("answer"))

    assert (record.kind, record.model, record.provider) == ("llm", "gpt-4o-mini-2024-07-18", "openai")
    assert (record.input_tokens, record.output_tokens, record.total_tokens, record.cache_read_tokens) == (20, 3, 23, 10)
    # gpt-4o-mini: $0.15/M input, $0.075/M cached input, $0.60/M output.
    assert record.cost_usd == pytest.approx((10 * 0.15 + 10 * 0.075 + 3 * 0.6) / 1e6)
    assert record.cost_source == "genai-prices 0.2.3 openai/gpt-4o-mini"
    assert record.input_messages == [text("system", "Be brief."), text("user", "Capital of France?")]
    assert record.output_messages == [text("assistant", "Paris.", finish_reason="stop")]
    assert record.input_mime_type == record.output_mime_type == "application/json"
    assert (record.session_id, record.user_id, record.tags, record.metadata) == (
        "chat-42",
        "ada",
        ["beta"],
        {"tenant": "acme"},
    )
    assert record.dialects == ["spanscope", "genai", "openinference"]
    # What the SDK writes that has no column (request parameters, response id) stays raw.
    assert record.unmapped_keys == [
        "gen_ai.request.temperature",
        "gen_ai.response.finish_reasons",
        "gen_ai.response.id",
    ]


def test_retriever_span(spans: CapturedSpans) -> None:
    @tracer.retriever
    def search(query: str) -> list[Any]:
        return [{"id": 1, "content": "Refunds within 30 days.", "score": 0.92, "metadata": {"source": "faq"}}, "Plain"]

    search("refund policy")
    record = normalized(spans.named("search"))

    assert record.kind == "retriever"
    assert record.documents == [
        {"id": "1", "content": "Refunds within 30 days.", "score": 0.92, "metadata": {"source": "faq"}},
        {"content": "Plain"},
    ]
    assert (record.input, record.input_mime_type) == ('{"query":"refund policy"}', "application/json")
    assert record.unmapped_keys == []


def test_tool_span_and_error_status(spans: CapturedSpans) -> None:
    @tracer.tool
    def weather(city: str) -> str:
        """Current weather for a city."""
        return "sunny"

    @tracer.tool
    def broken(city: str) -> str:
        raise ValueError("no such city")

    weather("Paris")
    with pytest.raises(ValueError, match="no such city"):
        broken("Atlantis")
    record = normalized(spans.named("weather"))
    assert (record.kind, record.tool_name, record.tool_arguments, record.tool_result) == (
        "tool",
        "weather",
        '{"city":"Paris"}',
        "sunny",
    )
    assert record.metadata == {"tool.description": "Current weather for a city."}
    assert record.unmapped_keys == []

    failed = normalized(spans.named("broken"))
    assert (failed.status, failed.status_message) == ("error", "ValueError: no such city")
    assert [event["name"] for event in failed.events] == ["exception"]
    assert failed.unmapped_keys == ["error.type"]


def test_plain_span_kind(spans: CapturedSpans) -> None:
    @tracer.span
    def step() -> int:
        return 1

    step()
    record = normalized(spans.named("step"))
    assert (record.kind, record.dialects, record.output) == ("span", ["spanscope", "openinference"], "1")
