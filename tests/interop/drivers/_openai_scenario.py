"""The calls both OpenAI drivers make, one trace each, against the local API stub."""

from __future__ import annotations

from collections.abc import Callable

import openai

MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
SYSTEM_PROMPT = "You are the support assistant of an online shop. Answer in one sentence."
QUESTION = "Where is my order ORD-1042?"
STREAM_QUESTION = "Say how streaming works."
EMBEDDING_INPUT = "refund policy for damaged items"
ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order's shipping status.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}


def run(openai_url: str, new_trace_id: Callable[[], str]) -> dict[str, str]:
    """Makes the four calls; returns each one's trace ID by scenario name."""
    client = openai.OpenAI(base_url=openai_url.rstrip("/") + "/v1", api_key="test", max_retries=0)
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": QUESTION},
    ]
    traces: dict[str, str] = {}

    client.chat.completions.create(model=MODEL, messages=messages, temperature=0)
    traces["chat"] = new_trace_id()

    client.chat.completions.create(model=MODEL, messages=messages, tools=[ORDER_TOOL])
    traces["tool_call"] = new_trace_id()

    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": STREAM_QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for _ in stream:
        pass
    traces["stream"] = new_trace_id()

    client.embeddings.create(model=EMBEDDING_MODEL, input=[EMBEDDING_INPUT])
    traces["embedding"] = new_trace_id()
    return traces
