"""Senders send garbage: normalization never raises, and a bad value empties only its field."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from _normalize_helpers import raw_span
from hypothesis import given, settings
from hypothesis import strategies as st

from server.model import SPAN_KINDS, SpanRecord
from server.normalize import normalize

NAN = float("nan")
HUGE = 10**30

GARBAGE: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # (attributes, fields expected on the record)
    ({"gen_ai.usage.input_tokens": "12x", "gen_ai.usage.output_tokens": 3}, {"input_tokens": None, "output_tokens": 3}),
    (
        {"gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": NAN},
        {"input_tokens": None, "output_tokens": None},
    ),
    (
        {"gen_ai.usage.input_tokens": HUGE, "gen_ai.usage.output_tokens": True},
        {"input_tokens": None, "total_tokens": None},
    ),
    ({"gen_ai.usage.input_tokens": 7.0, "llm.token_count.total": "9"}, {"input_tokens": 7, "total_tokens": 9}),
    ({"llm.cost.total": NAN, "llm.model_name": ["x"]}, {"cost_usd": None, "model": None}),
    ({"llm.cost.total": -1.0, "llm.model_name": "gpt-4o"}, {"cost_usd": None, "model": "gpt-4o"}),
    ({"gen_ai.input.messages": "[{broken", "gen_ai.output.messages": 5}, {"output_messages": None}),
    (
        {"gen_ai.input.messages": [1, None, {"role": 3, "parts": [None, 2]}]},
        {"input_messages": [{"role": "user", "parts": [{"type": "unknown", "content": 2}]}]},
    ),
    (
        {"metadata": "not json", "tag.tags": [1, None, "a", {"b": 1}]},
        {"metadata": {"value": "not json"}, "tags": ["1", "a"]},
    ),
    ({"metadata": '{"n": 1e999}'}, {"metadata": {"value": '{"n": 1e999}'}}),
    (
        {"metadata": {"big": HUGE, "nan": NAN, "raw": b"\x00"}},
        {"metadata": {"big": str(HUGE), "nan": None, "raw": "00"}},
    ),
    ({"retrieval.documents.x.document.id": "a", "retrieval.documents.0.document.score": "high"}, {"documents": [{}]}),
    ({"gen_ai.retrieval.documents": '{"not": "a list"}'}, {"documents": None}),
    ({"openinference.span.kind": 5, "gen_ai.operation.name": None}, {"kind": "span"}),
    (
        {"langfuse.observation.usage_details": "[1, 2]", "langfuse.observation.cost_details": '{"total": "a"}'},
        {
            "input_tokens": None,
            "cost_usd": None,
        },
    ),
    ({"mlflow.spanType": '"CHAT_MODEL"', "mlflow.spanOutputs": '{"choices": 5, "model": 1}'}, {"kind": "llm"}),
    ({"request_data": "{", "response_data": {"choices": [None, {"message": 4}]}}, {"output_messages": None}),
    ({"gen_ai.tool.call.arguments": {"n": HUGE}}, {"tool_arguments": f'{{"n":"{HUGE}"}}'}),
    ({"llm.input_messages.99999999.message.role": "user"}, {"input_messages": None}),
]


@pytest.mark.parametrize(("attributes", "expected"), GARBAGE)
def test_garbage_values_leave_their_field_empty(attributes: dict[str, Any], expected: dict[str, Any]) -> None:
    record = normalize(raw_span(attributes), "p")
    assert {name: getattr(record, name) for name in expected} == expected
    assert_storable(record)


def assert_storable(record: SpanRecord) -> None:
    """The JSON columns hold plain JSON: no NaN/inf, bytes or ints beyond int64."""
    for value in (record.metadata, record.input_messages, record.output_messages, record.documents, record.tags):
        orjson.dumps(value)  # raises on bytes and huge ints
        assert_finite(value)


def assert_finite(value: Any) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for item in value.values():
            assert_finite(item)
    elif isinstance(value, list):
        for item in value:
            assert_finite(item)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.sampled_from(["[", "{", '"x"', "[1]", '{"a": 1}', '[{"role": "user"}]', "LLM", "chat", "generation", "gpt-4o"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
KNOWN_KEYS = [
    "spanscope.span.kind",
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.retrieval.documents",
    "gen_ai.tool.call.arguments",
    "openinference.span.kind",
    "input.value",
    "input.mime_type",
    "metadata",
    "tag.tags",
    "llm.cost.total",
    "llm.input_messages.0.message.role",
    "llm.input_messages.0.message.content",
    "llm.input_messages.1.message.role",
    "llm.input_messages.1.message.tool_call_id",
    "llm.input_messages.0.message.contents.0.message_content.type",
    "llm.output_messages.1.message.tool_calls.0.tool_call.function.arguments",
    "retrieval.documents.0.document.metadata",
    "traceloop.span.kind",
    "traceloop.entity.input",
    "traceloop.association.properties.session_id",
    "gen_ai.prompt.0.content",
    "gen_ai.prompt.1.role",
    "gen_ai.completion.0.tool_calls.0.arguments",
    "langfuse.observation.type",
    "langfuse.observation.input",
    "langfuse.observation.usage_details",
    "langfuse.observation.metadata.x",
    "mlflow.spanType",
    "mlflow.spanInputs",
    "mlflow.spanOutputs",
    "mlflow.chat.tokenUsage",
    "request_data",
    "response_data",
    "logfire.msg_template",
]
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=30))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=12))
def test_normalize_never_raises_on_arbitrary_attributes(attributes: dict[str, Any]) -> None:
    record = normalize(raw_span(attributes), "p")
    assert record.attributes is attributes
    assert set(record.unmapped_keys) <= set(attributes)
    assert record.unmapped_keys == sorted(record.unmapped_keys)
    assert record.kind in SPAN_KINDS
    assert all(isinstance(tag, str) for tag in record.tags)
    assert isinstance(record.metadata, dict)
    for count in (record.input_tokens, record.output_tokens, record.total_tokens):
        assert count is None or (isinstance(count, int) and count >= 0)
    assert record.cost_usd is None or record.cost_usd >= 0
    assert_storable(record)
