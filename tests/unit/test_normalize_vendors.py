"""Normalization of vendor conventions (OpenLLMetry, Langfuse, MLflow, Logfire) and the
priority order between dialects."""

from __future__ import annotations

import orjson
import pytest
from _normalize_helpers import raw_span, text

from server.normalize import DIALECTS, normalize


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def test_openllmetry_workflow_span_with_association_properties() -> None:
    record = normalize(
        raw_span(
            {
                "traceloop.span.kind": "workflow",
                "traceloop.entity.name": "plan_trip",
                "traceloop.entity.path": "",
                "traceloop.entity.input": dumps({"args": [], "kwargs": {"city": "Paris"}}),
                "traceloop.entity.output": dumps("done"),
                "traceloop.workflow.name": "plan_trip",
                "traceloop.association.properties.session_id": "s-9",
                "traceloop.association.properties.user_id": "u-9",
                "traceloop.association.properties.tenant": "acme",
            },
            name="plan_trip.workflow",
        ),
        "p",
    )
    assert record.kind == "chain"
    assert (record.input, record.input_mime_type) == ('{"args":[],"kwargs":{"city":"Paris"}}', "application/json")
    assert (record.output, record.output_mime_type) == ("done", "text/plain")  # a JSON string is unwrapped
    assert (record.session_id, record.user_id) == ("s-9", "u-9")
    assert record.metadata == {"workflow.name": "plan_trip", "tenant": "acme"}
    assert record.dialects == ["openllmetry"]
    assert record.unmapped_keys == ["traceloop.entity.path"]


def test_openllmetry_tool_span_takes_the_entity_name() -> None:
    record = normalize(
        raw_span(
            {
                "traceloop.span.kind": "tool",
                "traceloop.entity.name": "weather",
                "traceloop.entity.input": dumps({"city": "Paris"}),
                "traceloop.entity.output": dumps({"temp": 18}),
            }
        ),
        "p",
    )
    assert (record.kind, record.tool_name, record.tool_arguments, record.tool_result) == (
        "tool",
        "weather",
        '{"city":"Paris"}',
        '{"temp":18}',
    )


def test_openllmetry_legacy_llm_span() -> None:
    record = normalize(
        raw_span(
            {
                "llm.request.type": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-3.5-turbo",
                "gen_ai.response.model": "gpt-3.5-turbo-0125",
                "gen_ai.prompt.0.role": "system",
                "gen_ai.prompt.0.content": "Be brief.",
                "gen_ai.prompt.1.role": "user",
                # Non-string content is json.dumps()ed by OpenLLMetry.
                "gen_ai.prompt.1.content": dumps([{"type": "text", "text": "Weather?"}]),
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_calls",
                "gen_ai.completion.0.tool_calls.0.id": "call_1",
                "gen_ai.completion.0.tool_calls.0.name": "weather",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
                "gen_ai.usage.prompt_tokens": 20,
                "gen_ai.usage.completion_tokens": 7,
                "gen_ai.usage.cache_read_input_tokens": 0,
                "llm.usage.total_tokens": 27,
                "llm.is_streaming": False,
                "gen_ai.openai.api_base": "https://api.openai.com/v1/",
            }
        ),
        "p",
    )
    assert (record.kind, record.model, record.provider) == ("llm", "gpt-3.5-turbo-0125", "openai")
    assert (record.input_tokens, record.output_tokens, record.total_tokens, record.cache_read_tokens) == (20, 7, 27, 0)
    assert record.cost_usd is not None and record.cost_usd > 0
    assert record.input_messages == [text("system", "Be brief."), text("user", "Weather?")]
    assert record.output_messages == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_calls",
        }
    ]
    assert record.dialects == ["genai", "openllmetry"]
    assert record.unmapped_keys == ["gen_ai.openai.api_base", "llm.is_streaming"]


def test_langfuse_generation() -> None:
    record = normalize(
        raw_span(
            {
                "langfuse.observation.type": "generation",
                "langfuse.observation.model.name": "gpt-4o",
                "langfuse.observation.input": dumps([{"role": "user", "content": "Hi"}]),
                "langfuse.observation.output": dumps({"role": "assistant", "content": "Hello!"}),
                # Langfuse's OpenAI integration subtracts cached tokens from "input".
                "langfuse.observation.usage_details": dumps(
                    {"input": 60, "output": 10, "total": 80, "input_cached_tokens": 10}
                ),
                "langfuse.observation.cost_details": dumps({"input": 0.0001, "output": 0.0002, "total": 0.0003}),
                "langfuse.observation.metadata.step": "greet",
                "langfuse.trace.metadata.tenant": "acme",
                "langfuse.trace.name": "chat",
                "langfuse.trace.tags": ["prod", "eu"],
                "langfuse.session.id": "s-1",
                "langfuse.user.id": "u-1",
                "langfuse.environment": "production",
                "langfuse.observation.prompt.name": "greeting",
            }
        ),
        "p",
    )
    assert (record.kind, record.model) == ("llm", "gpt-4o")
    assert (record.input_tokens, record.output_tokens, record.total_tokens, record.cache_read_tokens) == (
        70,
        10,
        80,
        10,
    )
    assert (record.cost_usd, record.cost_source) == (0.0003, "span")
    assert record.input_messages == [text("user", "Hi")]
    assert record.output_messages == [text("assistant", "Hello!")]
    assert record.input == '[{"role":"user","content":"Hi"}]'
    assert (record.session_id, record.user_id, record.tags) == ("s-1", "u-1", ["prod", "eu"])
    assert record.metadata == {"step": "greet", "tenant": "acme", "environment": "production", "trace.name": "chat"}
    assert record.dialects == ["langfuse"]
    assert record.unmapped_keys == ["langfuse.observation.prompt.name"]


@pytest.mark.parametrize(
    ("observation_type", "kind"),
    [("span", "span"), ("event", "span"), ("retriever", "retriever"), ("agent", "agent"), ("guardrail", "guardrail")],
)
def test_langfuse_observation_types(observation_type: str, kind: str) -> None:
    record = normalize(raw_span({"langfuse.observation.type": observation_type}), "p")
    assert record.kind == kind


def test_mlflow_chat_model_span_with_json_encoded_attributes() -> None:
    response = {
        "id": "chatcmpl-1",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "4"}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
    record = normalize(
        raw_span(
            {
                "mlflow.traceRequestId": dumps("tr-1"),
                "mlflow.spanType": dumps("CHAT_MODEL"),  # MLflow json.dumps every value
                "mlflow.spanFunctionName": dumps("create"),
                "mlflow.spanInputs": dumps({"messages": [{"role": "user", "content": "2+2?"}], "model": "gpt-4o-mini"}),
                "mlflow.spanOutputs": dumps(response),
                "mlflow.chat.tokenUsage": dumps({"input_tokens": 12, "output_tokens": 1, "total_tokens": 13}),
            }
        ),
        "p",
    )
    assert (record.kind, record.model) == ("llm", "gpt-4o-mini-2024-07-18")
    assert (record.input_tokens, record.output_tokens, record.total_tokens) == (12, 1, 13)
    assert record.input_messages == [text("user", "2+2?")]
    assert record.output_messages == [text("assistant", "4", finish_reason="stop")]
    assert record.input_mime_type == "application/json"
    assert record.cost_source is not None and record.cost_source.startswith("genai-prices")
    assert record.unmapped_keys == ["mlflow.spanFunctionName"]


def test_mlflow_retriever_and_tool_spans() -> None:
    documents = [{"page_content": "30 days", "metadata": {"source": "faq"}, "id": "d1"}]
    retriever = normalize(raw_span({"mlflow.spanType": '"RETRIEVER"', "mlflow.spanOutputs": dumps(documents)}), "p")
    assert (retriever.kind, retriever.documents) == (
        "retriever",
        [{"id": "d1", "content": "30 days", "metadata": {"source": "faq"}}],
    )
    tool = normalize(
        raw_span(
            {"mlflow.spanType": '"TOOL"', "mlflow.spanInputs": '{"city": "Paris"}', "mlflow.spanOutputs": '"sunny"'},
            name="weather",
        ),
        "p",
    )
    assert (tool.kind, tool.tool_name, tool.tool_arguments, tool.tool_result) == (
        "tool",
        "weather",
        '{"city": "Paris"}',
        "sunny",
    )
    assert normalize(raw_span({"mlflow.spanType": '"PARSER"'}), "p").kind == "span"


def test_logfire_default_openai_span() -> None:
    record = normalize(
        raw_span(
            {
                "logfire.span_type": "span",
                "logfire.msg_template": "Chat Completion with {request_data[model]!r}",
                "logfire.msg": "Chat Completion with 'gpt-4o'",
                "logfire.json_schema": '{"type": "object"}',
                "logfire.tags": ["llm"],
                "request_data": dumps({"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4o"}),
                "response_data": dumps(
                    {
                        "message": {"role": "assistant", "content": "Hello", "tool_calls": None},
                        "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10},
                    }
                ),
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": 8,
                "gen_ai.usage.output_tokens": 2,
                "async": False,
            }
        ),
        "p",
    )
    assert (record.kind, record.model, record.provider) == ("llm", "gpt-4o-2024-08-06", "openai")
    assert (record.input_tokens, record.output_tokens, record.total_tokens) == (8, 2, 10)
    assert record.input_messages == [text("user", "hi")]
    assert record.output_messages == [text("assistant", "Hello")]
    assert record.input_mime_type == "application/json"
    assert record.tags == ["llm"]
    assert record.dialects == ["genai", "logfire"]
    assert record.unmapped_keys == ["async"]


def test_logfire_anthropic_request_and_openai_choices() -> None:
    record = normalize(
        raw_span(
            {
                "logfire.msg_template": "Message with {request_data[model]!r}",
                "request_data": {
                    "model": "claude-3-5-haiku-latest",
                    "system": [{"type": "text", "text": "Be brief."}],
                    "messages": [{"role": "user", "content": "hi"}],
                },
                "response_data": {
                    "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "yo"}}],
                    "usage": {"input_tokens": 9, "output_tokens": 1},
                },
            }
        ),
        "p",
    )
    assert record.input_messages == [text("system", "Be brief."), text("user", "hi")]
    assert record.output_messages == [text("assistant", "yo", finish_reason="stop")]
    assert (record.model, record.input_tokens, record.output_tokens) == ("claude-3-5-haiku-latest", 9, 1)
    assert record.input_mime_type == "application/json"  # structured request_data becomes JSON text


def test_priority_order_first_dialect_wins_and_tags_metadata_merge() -> None:
    record = normalize(
        raw_span(
            {
                "spanscope.span.kind": "guardrail",
                "openinference.span.kind": "LLM",
                "langfuse.observation.type": "generation",
                "gen_ai.request.model": "gpt-4o",
                "llm.model_name": "gpt-4",
                "langfuse.observation.model.name": "gpt-3.5-turbo",
                "llm.cost.total": 0.5,
                "langfuse.observation.cost_details": '{"total": 0.9}',
                "session.id": "oi",
                "langfuse.session.id": "lf",
                "tag.tags": ["a", "b"],
                "langfuse.trace.tags": ["b", "c"],
                "metadata": '{"k": 1}',
                "langfuse.trace.metadata": '{"k": 2, "other": 3}',
            }
        ),
        "p",
    )
    assert record.dialects == ["spanscope", "genai", "openinference", "langfuse"]
    assert (record.kind, record.model, record.cost_usd, record.session_id) == ("guardrail", "gpt-4o", 0.5, "oi")
    assert record.tags == ["a", "b", "c"]
    assert record.metadata == {"k": 1, "other": 3}
    assert record.unmapped_keys == []
    assert DIALECTS == ("spanscope", "genai", "openinference", "openllmetry", "langfuse", "mlflow", "logfire")


def test_openllmetry_055_embedding_span_as_emitted() -> None:
    # Captured from traceloop-sdk's OpenAI instrumentation (0.55+) in tests/interop.
    record = normalize(
        raw_span(
            {
                "gen_ai.operation.name": "embeddings",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "text-embedding-3-small",
                "gen_ai.is_streaming": False,
                "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "refund policy"}]}]',
                "gen_ai.response.model": "text-embedding-3-small",
                "gen_ai.usage.total_tokens": 6,
                "gen_ai.usage.input_tokens": 6,
                "gen_ai.usage.cache_read.input_tokens": 0,
            }
        ),
        "p",
    )
    assert (record.kind, record.input_tokens, record.output_tokens, record.total_tokens) == ("embedding", 6, None, 6)
    assert record.input_messages == [text("user", "refund policy")]
    assert record.cost_usd == pytest.approx(6 * 0.02 / 1e6)
    assert record.unmapped_keys == ["gen_ai.is_streaming"]
