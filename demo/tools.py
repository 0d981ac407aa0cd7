"""The agent's tools: order lookups, shipping estimates, return checks and a calculator.

Each is an ``async`` function traced with ``@tracer.tool``: the span records the tool's
name, its docstring's first line as description, the arguments and the result. A tool
that fails raises; ``run_tool`` turns the failure into a result the model can read, as
agent frameworks do, so a failed tool marks its span and the conversation goes on.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import tracer
from demo import simulation
from demo.customers import CUSTOMERS, TODAY, order_book

# Where the store ships: place name -> (shipping zone, how to name it).
PLACES = {
    "denver": "us", "austin": "us", "seattle": "us", "chicago": "us", "boston": "us", "portland": "us",
    "san diego": "us", "boulder": "us", "salt lake city": "us", "sacramento": "us", "new york": "us",
    "anchorage": "remote", "honolulu": "remote", "alaska": "remote", "hawaii": "remote",
    "canada": "canada", "toronto": "canada", "vancouver": "canada", "montreal": "canada",
    "uk": "europe", "united kingdom": "europe", "manchester": "europe", "london": "europe",
    "germany": "europe", "france": "europe", "berlin": "europe", "paris": "europe",
}  # fmt: skip
# Business days (standard low, high, express low, high) and prices, as the help centre states them.
ZONES = {"us": (3, 5, 1, 2), "remote": (6, 9, 2, 3), "canada": (5, 8, 2, 4), "europe": (7, 12, 3, 5)}
STANDARD_PRICE, EXPRESS_PRICE, INTERNATIONAL_SURCHARGE = 6.95, 14.95, 10.00
RETURN_SHIPPING = 5.95


class ToolError(Exception):
    """A tool could not do what it was asked."""


def place_named(text: str) -> str | None:
    """The first place the store ships to that ``text`` names, longest names first."""
    lowered = text.lower()
    for place in sorted(PLACES, key=len, reverse=True):
        if re.search(rf"\b{place}\b", lowered):
            return place.upper() if len(place) == 2 else place.title()
    return None


@tracer.tool
async def lookup_order(order_id: str) -> dict[str, Any]:
    """Look up an order's status, items, destination and shipping method by its id (like NP-10417)."""
    sim = simulation.current()
    await sim.wait(0.01, 0.04)
    if sim.chance(0.01):
        raise ToolError("the order service did not answer within 2 s")
    order = order_book().get(order_id.strip().upper())
    if order is None:
        raise ToolError(f"there is no order {order_id}")
    return order.as_record()


@tracer.tool
async def list_orders(customer_id: str, limit: int | None = 5) -> dict[str, Any]:
    """List a customer's orders, most recent first."""
    await simulation.current().wait(0.03, 0.09)
    customer = CUSTOMERS.get(customer_id)
    if customer is None:
        raise ToolError(f"there is no customer {customer_id}")
    orders = sorted(customer.orders, key=lambda order: (order.placed, order.id), reverse=True)[:limit]
    listed = [{"order_id": o.id, "status": o.status, "placed": o.placed.isoformat()} for o in orders]
    return {"customer_id": customer_id, "count": len(customer.orders), "orders": listed}


def _business_days_after(start: date, days: int) -> date:
    day = start
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


@tracer.tool
async def estimate_shipping(destination: str, method: str = "standard") -> dict[str, Any]:
    """Estimate delivery time and price of shipping to a city or country, standard or express."""
    await simulation.current().wait(0.01, 0.05)
    zone = PLACES.get(destination.lower())
    if zone is None:
        raise ToolError(f"we do not ship to {destination}")
    standard_low, standard_high, express_low, express_high = ZONES[zone]
    low, high = (express_low, express_high) if method == "express" else (standard_low, standard_high)
    price = EXPRESS_PRICE if method == "express" else STANDARD_PRICE
    price += INTERNATIONAL_SURCHARGE if zone in ("canada", "europe") else 0
    arrival = _business_days_after(TODAY, high)
    return {
        "destination": destination,
        "method": method,
        "business_days": [low, high],
        "arrives_by": f"{arrival:%A}, {arrival:%B} {arrival.day}",
        "cost_usd": price,
        "note": "standard shipping is free on US orders over $75",
    }


@tracer.tool
async def check_return_eligibility(order_id: str) -> dict[str, Any]:
    """Check whether an order can still be returned, until when, and what return shipping costs."""
    await simulation.current().wait(0.02, 0.06)
    order = order_book().get(order_id.strip().upper())
    if order is None:
        raise ToolError(f"there is no order {order_id}")
    customer = CUSTOMERS[order.customer_id]
    result: dict[str, Any] = {"order_id": order.id, "status": order.status}
    if order.status != "delivered":
        return {**result, "eligible": False, "reason": "it has not been delivered yet; return it after delivery"}
    window = 60 if customer.plus_member else 30
    return_by = order.placed + timedelta(days=4 + window)  # delivered about four days after it was placed
    if return_by < TODAY:
        return {**result, "eligible": False, "reason": f"its {window}-day return window ended on {return_by}"}
    fee = 0.0 if customer.plus_member else RETURN_SHIPPING
    return {**result, "eligible": True, "return_by": return_by.isoformat(), "return_shipping_usd": fee}


_OPERATORS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
}


def _evaluate(node: ast.AST) -> float:
    # Arithmetic only: never eval() what a model wrote.
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    raise ToolError(f"not arithmetic: {ast.unparse(node)}")


@tracer.tool
async def calculator(expression: str) -> dict[str, Any]:
    """Evaluate an arithmetic expression with + - * / and parentheses."""
    await simulation.current().wait(0.005, 0.015)
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        raise ToolError(f"cannot parse {expression!r}") from error
    return {"expression": expression, "result": round(_evaluate(tree.body), 2)}


TOOLS: dict[str, Callable[..., Awaitable[Any]]] = {
    tool.__name__: tool for tool in (lookup_order, list_orders, estimate_shipping, check_return_eligibility, calculator)
}


def _schema(name: str, description: str, **parameters: str) -> dict[str, Any]:
    properties = {parameter: {"type": "string", "description": text} for parameter, text in parameters.items()}
    function = {"name": name, "description": description, "parameters": {"type": "object", "properties": properties}}
    return {"type": "function", "function": function}


# What the model is told about the tools (OpenAI's function-calling format).
TOOL_SCHEMAS = [
    _schema("lookup_order", "Look up an order by its id.", order_id="Order id, like NP-10417"),
    _schema("list_orders", "List a customer's orders, most recent first.", customer_id="Customer id"),
    _schema("estimate_shipping", "Delivery time and price.", destination="City or country", method="standard|express"),
    _schema("check_return_eligibility", "Can an order be returned?", order_id="Order id"),
    _schema("calculator", "Evaluate arithmetic.", expression="Like 3 * 34.95 * (1 - 15 / 100)"),
]


async def run_tool(name: str, arguments: dict[str, Any]) -> Any:
    """Call a tool the model asked for; a failure becomes ``{"error": ...}`` for the model to read."""
    tool = TOOLS.get(name)
    if tool is None:
        return {"error": f"there is no tool {name}"}
    try:
        return await tool(**arguments)
    except ToolError as error:
        return {"error": str(error)}
