"""LangChain under OpenInference: a retriever, a fake chat model that calls a tool, the
tool and a prompt | model | parser chain, all in one trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from interop_helpers import Collector, RunDriver, Span, flatten

MODEL = "fake-support-model"
QUESTION = "Where is my order ORD-1042?"
CONTEXT = "Orders ship within two business days.\nTracking numbers are emailed once an order ships."
SYSTEM_PROMPT = f"You answer shop support questions using this context:\n{CONTEXT}"
TOOL_RESULT = "ORD-1042: shipped on Monday, arrives Thursday"
FINAL_ANSWER = "Your order ORD-1042 shipped on Monday and arrives on Thursday."


@dataclass(frozen=True)
class Trace:
    summary: dict[str, Any]
    spans: list[Span]  # parents before children


@pytest.fixture(scope="module")
def trace(run_driver: RunDriver, collector: Collector) -> Trace:
    result = run_driver("langchain_openinference")
    trace_id = result.traces["pipeline"]
    summary, tree = collector.trace(trace_id, result.span_counts[trace_id])
    return Trace(summary, flatten(tree))


@pytest.fixture(scope="module")
def pipeline(trace: Trace) -> list[Span]:
    return trace.spans


def named(spans: list[Span], name: str) -> list[Span]:
    return [span for span in spans if span["name"] == name]


def text_parts(message: dict[str, Any]) -> list[str]:
    return [part["content"] for part in message["parts"] if part["type"] == "text"]


def test_the_pipeline_is_one_tree_under_the_outer_chain(pipeline: list[Span]) -> None:
    root = pipeline[0]
    assert (root["name"], root["kind"]) == ("support_pipeline", "chain")
    assert [child["name"] for child in root["children"]] == [
        "KnowledgeBaseRetriever",
        "RunnableSequence",
        "lookup_order",
        "RunnableSequence",
    ]
    assert root["input"] == QUESTION
    assert root["output"] == FINAL_ANSWER
    assert all("openinference" in span["dialects"] for span in pipeline)


def test_trace_summary_adds_up_the_model_calls(trace: Trace) -> None:
    summary = trace.summary
    assert summary["name"] == "support_pipeline"
    assert summary["span_count"] == len(trace.spans) == 10
    assert (summary["input_tokens"], summary["output_tokens"], summary["total_tokens"]) == (61 + 90, 14 + 16, 75 + 106)
    assert summary["models"] == [MODEL]
    assert {"chain", "llm", "retriever", "tool"} <= set(summary["kinds"])
    assert {span["service_name"] for span in trace.spans} == {"interop-langchain-openinference"}


def test_runnable_sequences_and_parser_are_chains(pipeline: list[Span]) -> None:
    assert [span["kind"] for span in named(pipeline, "RunnableSequence")] == ["chain", "chain"]
    assert [span["kind"] for span in named(pipeline, "StrOutputParser")] == ["chain"]


def test_chat_model_calls_are_llm_spans_with_model_and_tokens(pipeline: list[Span]) -> None:
    calls = named(pipeline, "SupportModel")
    assert [span["kind"] for span in calls] == ["llm", "llm"]
    assert [span["model"] for span in calls] == [MODEL, MODEL]
    assert [(span["input_tokens"], span["output_tokens"], span["total_tokens"]) for span in calls] == [
        (61, 14, 75),
        (90, 16, 106),
    ]


def test_chat_model_input_messages(pipeline: list[Span]) -> None:
    first, second = named(pipeline, "SupportModel")
    assert [(message["role"], text_parts(message)) for message in first["input_messages"]] == [
        ("system", [SYSTEM_PROMPT]),
        ("user", [QUESTION]),
    ]
    # The second call also gets the tool call and the tool's answer.
    assert [message["role"] for message in second["input_messages"]] == ["system", "user", "assistant", "tool"]
    tool_message = second["input_messages"][3]
    [response] = [part for part in tool_message["parts"] if part["type"] == "tool_call_response"]
    assert (response["id"], response["response"]) == ("call_lc_0001", TOOL_RESULT)


def test_chat_model_output_messages(pipeline: list[Span]) -> None:
    first, second = named(pipeline, "SupportModel")
    [decision] = first["output_messages"]
    assert decision["role"] == "assistant"
    [call] = [part for part in decision["parts"] if part["type"] == "tool_call"]
    assert (call["id"], call["name"], call["arguments"]) == ("call_lc_0001", "lookup_order", {"order_id": "ORD-1042"})
    assert [(message["role"], text_parts(message)) for message in second["output_messages"]] == [
        ("assistant", [FINAL_ANSWER])
    ]


def test_retriever_span_has_the_documents(pipeline: list[Span]) -> None:
    [retriever] = named(pipeline, "KnowledgeBaseRetriever")
    assert retriever["kind"] == "retriever"
    assert retriever["input"] == QUESTION
    assert [(document["content"], document.get("metadata")) for document in retriever["documents"]] == [
        ("Orders ship within two business days.", {"source": "kb/shipping.md", "section": "timing"}),
        ("Tracking numbers are emailed once an order ships.", {"source": "kb/tracking.md", "section": "email"}),
    ]


def test_tool_span_has_name_arguments_and_result(pipeline: list[Span]) -> None:
    [tool] = named(pipeline, "lookup_order")
    assert tool["kind"] == "tool"
    assert tool["tool_name"] == "lookup_order"
    # LangChain hands tracers a one-argument tool's input as the bare value.
    assert "ORD-1042" in (tool["tool_arguments"] or "")
    assert tool["tool_result"] == TOOL_RESULT
