"""The agents: a tool-calling loop for one question, and a long one that reviews every order
of a club account (one model call and one lookup per order: hundreds of spans in a trace)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import tracer
from demo import prompts
from demo.customers import CUSTOMERS
from demo.model import complete, with_retries
from demo.tools import TOOL_SCHEMAS, list_orders, run_tool

Message = dict[str, Any]
PLANNER_MODEL = "gpt-4o-mini"
FAST_MODEL = "gpt-4.1-nano"  # cheap and quick: for the hundreds of small steps of a bulk review
MAX_STEPS = 6


@tracer.llm
async def plan_next_step(
    messages: list[Message], model: str = PLANNER_MODEL, tools: list[dict[str, Any]] = TOOL_SCHEMAS
) -> dict[str, Any]:
    """Ask the model for the next tool call (or READY)."""
    return await complete(messages, model=model, tools=tools)


def _tool_calls(completion: dict[str, Any]) -> tuple[Message, list[tuple[str, str, dict[str, Any]]]]:
    message = completion["choices"][0]["message"]
    calls = [
        (call["id"], call["function"]["name"], json.loads(call["function"]["arguments"]))
        for call in message.get("tool_calls") or ()
    ]
    return message, calls


@tracer.agent
async def support_agent(question: str, history: list[Message], customer_id: str) -> list[Message]:
    """Call tools until the model has what it needs; returns the tool calls and results, as
    messages for the answer prompt."""
    start = prompts.planner_messages(CUSTOMERS[customer_id], question, history)
    messages = list(start)
    for _ in range(MAX_STEPS):
        completion = await with_retries(plan_next_step, messages)
        message, calls = _tool_calls(completion)
        if not calls:
            break
        messages.append(message)
        for call_id, name, arguments in calls:
            result = await run_tool(name, arguments)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)})
    return messages[len(start) :]


@tracer.agent
async def review_orders(request: str, customer_id: str) -> dict[str, Any]:
    """Check every order of an account, one model step and one lookup per order, and tally them.

    The model sees only the request, the previous step and the next order: a sliding window,
    so the prompt stays the same size however many orders there are."""
    listed = await list_orders(customer_id, limit=None)
    order_ids = [order["order_id"] for order in listed["orders"]]
    statuses: Counter[str] = Counter()
    need_attention, not_checked = [], []
    previous: list[Message] = []
    for number, order_id in enumerate(order_ids, start=1):
        messages = [
            {"role": "system", "content": prompts.BULK_SYSTEM},
            {"role": "user", "content": request},
            *previous,
            {"role": "user", "content": f"Next order: {order_id} ({number} of {len(order_ids)})."},
        ]
        message, calls = _tool_calls(await with_retries(plan_next_step, messages, FAST_MODEL))
        for call_id, name, arguments in calls:
            result = await run_tool(name, arguments)
            if "error" in result:  # a flaky lookup gets one more try, as a careful agent would
                result = await run_tool(name, arguments)
            previous = [message, {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)}]
            if "error" in result:
                not_checked.append(order_id)
            else:
                statuses[result["status"]] += 1
                if result["status"] in ("backordered", "processing"):
                    need_attention.append(order_id)
    return {
        "orders_checked": len(order_ids) - len(not_checked),
        "by_status": dict(statuses.most_common()),
        "need_attention": need_attention,
        "not_checked": not_checked,
    }
