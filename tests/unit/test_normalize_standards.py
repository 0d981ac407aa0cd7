"""Normalization of the open conventions: OTel GenAI (current and deprecated names) and
OpenInference, with attribute sets as the instrumentations emit them (CONVENTIONS.md)."""

from __future__ import annotations

import orjson
import pytest
from _normalize_helpers import raw_span, text
from genai_prices import Usage, calc_price

from server.model import RawEvent
from server.normalize import normalize


def library_price(model: str, provider: str, **usage: int) -> float:
    return float(calc_price(Usage(**usage), model, provider_id=provider).total_price)


def test_genai_chat_span_with_structured_and_json_messages() -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.finish_reasons": ["tool_calls"],
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.usage.cache_read.input_tokens": 1024,
        "gen_ai.conversation.id": "conv-7",
        # opentelemetry-sdk 1.45 sends lists/dicts as arrayValue/kvlistValue: decoded to Python.
        "gen_ai.system_instructions": [{"type": "text", "content": "Answer briefly."}],
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}],
        "gen_ai.output.messages": orjson.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}],
                    "finish_reason": "tool_calls",
                }
            ]
        ).decode(),
        "server.address": "api.openai.com",
    }
    record = normalize(raw_span(attributes, name="chat gpt-4o"), "proj")

    assert (record.kind, record.model, record.provider) == ("llm", "gpt-4o-2024-08-06", "openai")
    assert (record.input_tokens, record.output_tokens, record.total_tokens) == (1200, 30, 1230)
    assert (record.cache_read_tokens, record.cache_write_tokens) == (1024, None)
    assert record.cost_usd == pytest.approx(
        library_price("gpt-4o-2024-08-06", "openai", input_tokens=1200, output_tokens=30, cache_read_tokens=1024)
    )
    assert record.cost_source == "genai-prices 0.2.3 openai/gpt-4o"
    assert record.input_messages == [text("system", "Answer briefly."), text("user", "Weather in Paris?")]
    assert record.output_messages == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_calls",
        }
    ]
    assert record.session_id == "conv-7"
    assert record.input is None  # GenAI spans carry messages, not a raw input
    assert record.dialects == ["genai"]
    assert record.unmapped_keys == [
        "gen_ai.request.temperature",
        "gen_ai.response.finish_reasons",
        "gen_ai.response.id",
        "server.address",
    ]
    assert record.attributes is attributes  # kept as sent
    assert (record.project_id, record.service_name, record.status) == ("proj", "support-bot", "unset")


def test_genai_deprecated_names_and_current_names_win_when_both_are_sent() -> None:
    record = normalize(
        raw_span(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "Anthropic",
                "gen_ai.request.model": "claude-3-5-sonnet-20241022",
                "gen_ai.usage.prompt_tokens": 500,
                "gen_ai.usage.completion_tokens": 40,
                "gen_ai.usage.cache_creation.input_tokens": 100,
            }
        ),
        "p",
    )
    assert (record.provider, record.input_tokens, record.output_tokens) == ("anthropic", 500, 40)
    assert record.cache_write_tokens == 100
    assert record.cost_usd == pytest.approx(
        library_price(
            "claude-3-5-sonnet-20241022", "anthropic", input_tokens=500, output_tokens=40, cache_write_tokens=100
        )
    )
    assert record.unmapped_keys == []

    both = normalize(
        raw_span(
            {
                "gen_ai.usage.completion_tokens": 1,
                "gen_ai.usage.output_tokens": 2,
                "gen_ai.system": "old",
                "gen_ai.provider.name": "new",
            }
        ),
        "p",
    )
    assert (both.output_tokens, both.provider) == (2, "new")


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("chat", "llm"),
        ("text_completion", "llm"),
        ("generate_content", "llm"),
        ("embeddings", "embedding"),
        ("retrieval", "retriever"),
        ("execute_tool", "tool"),
        ("invoke_agent", "agent"),
        ("create_agent", "agent"),
        ("invoke_workflow", "chain"),
        ("search_memory", "span"),
    ],
)
def test_genai_operation_names_give_the_kind(operation: str, kind: str) -> None:
    assert normalize(raw_span({"gen_ai.operation.name": operation}), "p").kind == kind


def test_genai_tool_retrieval_and_evaluation_attributes() -> None:
    tool = normalize(
        raw_span(
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "weather",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.description": "Current weather",
                "gen_ai.tool.call.arguments": {"city": "Paris"},
                "gen_ai.tool.call.result": "18°C",
            }
        ),
        "p",
    )
    assert (tool.kind, tool.tool_name, tool.tool_arguments, tool.tool_result) == (
        "tool",
        "weather",
        '{"city":"Paris"}',
        "18°C",
    )
    assert tool.metadata == {"tool.description": "Current weather"}
    assert tool.unmapped_keys == ["gen_ai.tool.call.id"]

    retrieval = normalize(
        raw_span(
            {
                "gen_ai.operation.name": "retrieval",
                "gen_ai.data_source.id": "kb",
                "gen_ai.retrieval.query.text": "refund policy",
                "gen_ai.retrieval.documents": '[{"id": "d1", "score": 0.9, "content": "30 days"}, {"id": 7}]',
            }
        ),
        "p",
    )
    assert retrieval.documents == [{"id": "d1", "content": "30 days", "score": 0.9}, {"id": "7"}]
    assert (retrieval.input, retrieval.input_mime_type) == ("refund policy", "text/plain")

    evaluation = normalize(
        raw_span({"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": "0.75"}), "p"
    )
    assert evaluation.metadata == {"evaluation": {"name": "relevance", "score.value": 0.75}}


def test_openinference_llm_span_with_flattened_messages_and_cost() -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini-2024-07-18",
        "llm.provider": "openai",
        "llm.system": "openai",
        "llm.invocation_parameters": '{"temperature": 0}',
        "input.value": '{"messages": "..."}',
        "input.mime_type": "application/json",
        "output.value": "It is sunny.",
        "output.mime_type": "text/plain",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.contents.0.message_content.type": "text",
        "llm.input_messages.1.message.contents.0.message_content.text": "What is this?",
        "llm.input_messages.1.message.contents.1.message_content.type": "image",
        "llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://x/cat.png",
        "llm.input_messages.2.message.role": "assistant",
        "llm.input_messages.2.message.tool_calls.0.tool_call.id": "call_1",
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "weather",
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": '{"city": "Paris"}',
        "llm.input_messages.3.message.role": "tool",
        "llm.input_messages.3.message.tool_call_id": "call_1",
        "llm.input_messages.3.message.content": "sunny",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "It is sunny.",
        "llm.token_count.prompt": 60,
        "llm.token_count.completion": 5,
        "llm.token_count.total": 65,
        "llm.token_count.prompt_details.cache_read": 10,
        "llm.cost.total": 0.000123,
        "session.id": "s-1",
        "user.id": "u-1",
        "metadata": '{"tenant": "acme"}',
        "tag.tags": ["beta", "eu", "beta"],
    }
    record = normalize(raw_span(attributes), "p")

    assert (record.kind, record.model, record.provider) == ("llm", "gpt-4o-mini-2024-07-18", "openai")
    assert (record.input_tokens, record.output_tokens, record.total_tokens, record.cache_read_tokens) == (60, 5, 65, 10)
    assert (record.cost_usd, record.cost_source) == (0.000123, "span")
    assert (record.input, record.input_mime_type) == ('{"messages": "..."}', "application/json")
    assert (record.output, record.output_mime_type) == ("It is sunny.", "text/plain")
    assert record.input_messages == [
        text("system", "Be brief."),
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "What is this?"},
                {"type": "uri", "modality": "image", "uri": "https://x/cat.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "sunny"}]},
    ]
    assert record.output_messages == [text("assistant", "It is sunny.")]
    assert (record.session_id, record.user_id) == ("s-1", "u-1")
    assert record.tags == ["beta", "eu"]
    assert record.metadata == {"tenant": "acme"}
    assert record.dialects == ["openinference"]
    assert record.unmapped_keys == ["llm.invocation_parameters"]


def test_openinference_retriever_documents_keep_rank_order_past_ten() -> None:
    attributes: dict[str, object] = {"openinference.span.kind": "RETRIEVER", "input.value": "refund policy"}
    for index in range(12):
        attributes[f"retrieval.documents.{index}.document.id"] = f"d{index}"
        attributes[f"retrieval.documents.{index}.document.score"] = 1 - index / 100
    attributes["retrieval.documents.0.document.content"] = "30 days"
    attributes["retrieval.documents.0.document.metadata"] = '{"source": "faq.md"}'
    record = normalize(raw_span(attributes), "p")

    assert record.kind == "retriever"
    assert (record.input, record.input_mime_type) == ("refund policy", "text/plain")
    assert record.documents is not None
    assert [document["id"] for document in record.documents] == [f"d{index}" for index in range(12)]
    assert record.documents[0] == {"id": "d0", "content": "30 days", "score": 1.0, "metadata": {"source": "faq.md"}}
    assert record.unmapped_keys == []


def test_openinference_reranker_and_tool_spans() -> None:
    reranker = normalize(
        raw_span(
            {
                "openinference.span.kind": "RERANKER",
                "reranker.model_name": "rerank-english-v3.0",
                "reranker.query": "refund",
                "reranker.top_k": 1,
                "reranker.input_documents.0.document.id": "a",
                "reranker.output_documents.0.document.id": "b",
                "reranker.output_documents.0.document.score": 0.99,
            }
        ),
        "p",
    )
    assert (reranker.kind, reranker.model, reranker.documents) == (
        "reranker",
        "rerank-english-v3.0",
        [{"id": "b", "score": 0.99}],
    )
    assert reranker.unmapped_keys == ["reranker.input_documents.0.document.id", "reranker.query", "reranker.top_k"]

    tool = normalize(
        raw_span(
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "weather",
                "tool.description": "Current weather",
                "tool.parameters": '{"type": "object"}',
                "input.value": '{"city": "Paris"}',
                "output.value": "sunny",
            }
        ),
        "p",
    )
    # OpenInference records a tool call as the tool span's input and output.
    assert (tool.tool_name, tool.tool_arguments, tool.tool_result) == ("weather", '{"city": "Paris"}', "sunny")
    assert tool.metadata == {"tool.description": "Current weather", "tool.parameters": {"type": "object"}}


def test_status_events_links_and_exception_events() -> None:
    event = RawEvent("exception", 5, {"exception.type": "ValueError"})
    unset = normalize(raw_span({}, events=(event,)), "p")
    # OTLP semantics: an exception event alone does not make the span an error.
    assert unset.status == "unset"
    assert unset.events == [{"name": "exception", "time_ns": 5, "attributes": {"exception.type": "ValueError"}}]
    assert [normalize(raw_span({}, status_code=code), "p").status for code in (0, 1, 2, 9)] == [
        "unset",
        "ok",
        "error",
        "unset",
    ]
    plain = normalize(raw_span({"http.route": "/x"}, resource={}), "p")
    assert (plain.kind, plain.dialects, plain.unmapped_keys, plain.service_name) == ("span", [], ["http.route"], None)
    assert (plain.links, plain.tags, plain.metadata, plain.cost_usd) == ([], [], {}, None)
