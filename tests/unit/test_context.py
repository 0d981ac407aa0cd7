"""tracer.context(): session, user, tags and metadata on every span inside, across
await, asyncio tasks and threads that run in a copied context."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

import tracer
from tracer._internal.state import STATE
from tracer.testing import capture


@tracer.tool
def step(name: str) -> str:
    return name


def test_context_applies_to_every_span_and_nests() -> None:
    with capture() as spans:
        with tracer.context(session_id="s-1", user_id="ada", tags=["v1"], metadata={"region": "eu"}):
            step("outer")
            with tracer.context(user_id="bob", tags=["beta"], metadata={"plan": "pro"}):
                step("inner")
            step("after")
        step("outside")
    by_input = {orjson.loads(span.attributes["input.value"])["name"]: span.attributes for span in spans}
    assert by_input["outer"]["session.id"] == "s-1"
    assert by_input["outer"]["gen_ai.conversation.id"] == "s-1"
    assert by_input["outer"]["user.id"] == "ada"
    assert by_input["inner"]["user.id"] == "bob"
    assert by_input["inner"]["session.id"] == "s-1"
    assert by_input["inner"]["tag.tags"] == ["v1", "beta"]
    assert orjson.loads(by_input["inner"]["metadata"]) == {"region": "eu", "plan": "pro"}
    assert by_input["after"]["user.id"] == "ada"
    assert by_input["after"]["tag.tags"] == ["v1"]
    assert "session.id" not in by_input["outside"]


async def test_context_follows_await_and_tasks() -> None:
    @tracer.agent
    async def worker(index: int) -> int:
        await asyncio.sleep(0.001 * (3 - index))
        step(f"task-{index}")
        return index

    with capture() as spans:
        async with tracer.context(session_id="async-session"):
            await asyncio.gather(*(asyncio.create_task(worker(index)) for index in range(3)))
    assert len(spans) == 6
    assert {span.attributes.get("session.id") for span in spans} == {"async-session"}
    # Each task's tool span is the child of that task's agent span.
    for agent in (span for span in spans if span.name == "worker"):
        (child,) = spans.children(agent)
        assert (
            orjson.loads(child.attributes["input.value"])["name"]
            == f"task-{orjson.loads(agent.attributes['input.value'])['index']}"
        )


def test_context_follows_threads_with_a_copied_context() -> None:
    with capture() as spans:
        with tracer.context(session_id="threaded", tags=["pool"]), tracer.start_span("request") as parent:
            context = contextvars.copy_context()
            thread = threading.Thread(target=context.run, args=(step, "in-thread"))
            thread.start()
            thread.join()
            with ThreadPoolExecutor(2) as pool:
                futures = [pool.submit(contextvars.copy_context().run, step, f"pool-{i}") for i in range(2)]
                [future.result() for future in futures]
        # A thread without the copied context is outside the request, as in plain contextvars.
        plain = threading.Thread(target=step, args=("bare-thread",))
        plain.start()
        plain.join()
    steps = {orjson.loads(span.attributes["input.value"])["name"]: span for span in spans if span.name == "step"}
    for name in ("in-thread", "pool-0", "pool-1"):
        assert steps[name].attributes["session.id"] == "threaded"
        assert steps[name].parent_span_id == parent.span_id
    assert "session.id" not in steps["bare-thread"].attributes
    assert steps["bare-thread"].parent_span_id is None


def test_context_reaches_spans_of_other_instrumentation() -> None:
    """Spans started with the plain OpenTelemetry API on the same provider get it too."""
    with capture() as spans, tracer.context(session_id="shared", user_id="u"):
        assert tracer.current_span().recording is False  # outside any span: the no-op handle
        assert STATE.otel_tracer is not None
        with tracer.start_span("ours"), STATE.otel_tracer.start_as_current_span("raw-otel-span"):
            pass
    raw = spans.named("raw-otel-span")
    assert raw.attributes["session.id"] == "shared"
    assert raw.parent_span_id == spans.named("ours").span_id


def test_bad_context_values_are_coerced_not_raised() -> None:
    bad_metadata: Any = ["not", "a", "mapping"]
    with capture() as spans, tracer.context(session_id=42, tags="single", metadata=bad_metadata):  # type: ignore[arg-type]
        step("x")
    attributes = spans.named("step").attributes
    assert attributes["session.id"] == "42"
    assert attributes["tag.tags"] == ["single"]
    assert "metadata" not in attributes
