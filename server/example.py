"""``spanscope example``: trace a small support-assistant pipeline and say where the spans went.

Instrumented only through the public SDK. The "LLM" is simulated (labelled so) and
deterministic; the retriever does real keyword scoring over a tiny corpus.
"""

from __future__ import annotations

import re
from typing import Any

import tracer

CORPUS = {
    "returns": "You can return any item within 30 days of delivery for a full refund.",
    "shipping": "Standard shipping takes 3 to 5 business days; express takes 1 to 2.",
    "warranty": "Electronics carry a two-year warranty covering manufacturing defects.",
    "orders": "Track an order with its number on the Orders page or ask the assistant.",
}
ORDERS = {"A-1001": {"status": "shipped", "eta_days": 2}}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


@tracer.retriever
def search_docs(query: str, k: int = 2) -> list[dict[str, Any]]:
    query_words = _words(query)
    scores = {doc_id: len(query_words & _words(text)) / len(query_words) for doc_id, text in CORPUS.items()}
    ranked = sorted(scores, key=lambda doc_id: -scores[doc_id])[:k]
    return [{"id": doc_id, "content": CORPUS[doc_id], "score": scores[doc_id]} for doc_id in ranked]


@tracer.tool
def lookup_order(order_id: str) -> dict[str, Any]:
    """Look up an order's status by its number."""
    return ORDERS.get(order_id, {"status": "unknown"})


@tracer.guardrail
def check_answer(answer: str) -> bool:
    return "password" not in answer.lower()


@tracer.llm
def simulated_llm(messages: list[dict[str, str]], model: str = "gpt-4o-mini") -> dict[str, Any]:
    question = messages[-1]["content"]
    content = f"(simulated model) Based on our policies: {messages[0]['content'][:80]} [{question[:40]}]"
    return {
        "id": "sim-1",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12 * len(messages) + len(question) // 4, "completion_tokens": len(content) // 4},
    }


@tracer.agent
def support_assistant(question: str) -> str:
    documents = search_docs(question)
    order = lookup_order("A-1001") if "order" in question.lower() else None
    context = " ".join(doc["content"] for doc in documents)
    if order:
        context += f" Order A-1001 is {order['status']}, arriving in {order['eta_days']} days."
    response = simulated_llm([{"role": "system", "content": context}, {"role": "user", "content": question}])
    answer: str = response["choices"][0]["message"]["content"]
    return answer if check_answer(answer) else "I cannot answer that."


def run_example() -> str:
    """Answer one question in a session; returns the trace ID."""
    with (
        tracer.context(session_id="example-session", user_id="example-user", tags=["example"]),
        tracer.start_span("handle_request", kind="chain") as span,
    ):
        support_assistant("Where is my order A-1001 and what is the shipping time?")
        return span.trace_id
