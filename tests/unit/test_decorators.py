"""Every decorator on every kind of function, through the real pipeline into memory."""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

import tracer
from tracer.testing import CapturedSpans, capture

KINDS = ["llm", "embedding", "retriever", "reranker", "tool", "agent", "chain", "guardrail", "evaluator"]
OPENINFERENCE = {kind: kind.upper() for kind in KINDS}


@pytest.fixture
def spans() -> Iterator[CapturedSpans]:
    with capture() as captured:
        yield captured


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_bare_and_called(spans: CapturedSpans, kind: str) -> None:
    decorator = getattr(tracer, kind)

    @decorator
    def bare(x: int) -> int:
        return x + 1

    @decorator(name="renamed")
    def called(x: int) -> int:
        return x + 2

    assert bare(1) == 2
    assert called(1) == 3
    for name in ("bare", "renamed"):
        span = spans.named(name)
        assert span.kind == kind
        assert span.attributes["openinference.span.kind"] == OPENINFERENCE[kind]
        assert span.status == "UNSET"


def test_span_decorator_takes_a_kind(spans: CapturedSpans) -> None:
    @tracer.span
    def plain() -> None:
        pass

    @tracer.span(kind="reranker", name="rerank")
    def rerank() -> list[str]:
        return ["b", "a"]

    plain()
    rerank()
    assert spans.named("plain").kind == "span"
    assert "openinference.span.kind" not in spans.named("plain").attributes
    assert spans.named("rerank").kind == "reranker"


def test_bad_decorator_use_is_refused_at_decoration() -> None:
    with pytest.raises(TypeError, match=r"use @tracer\.span"):
        tracer.tool(kind="llm")
    with pytest.raises(ValueError, match="unknown span kind 'robot'"):
        tracer.span(kind="robot")
    with pytest.raises(TypeError, match="decorates functions"):
        tracer.tool(42)  # type: ignore[call-overload]


def test_signature_and_metadata_are_kept() -> None:
    def original(query: str, k: int = 3) -> list[str]:
        """Search the docs."""
        return []

    wrapped = tracer.retriever(original)
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert wrapped.__doc__ == "Search the docs."
    assert wrapped.__name__ == "original"
    assert wrapped.__wrapped__ is original  # type: ignore[attr-defined]


def test_unconfigured_decorators_do_nothing_and_return_results() -> None:
    @tracer.tool
    def add(a: int, b: int) -> int:
        return a + b

    @tracer.llm
    def stream() -> Iterator[str]:
        yield "a"
        yield "b"

    assert add(2, 3) == 5
    assert list(stream()) == ["a", "b"]
    assert tracer.current_span().recording is False
    assert tracer.flush(0.1) is True


def test_inputs_are_bound_by_name_with_defaults_and_self_dropped(spans: CapturedSpans) -> None:
    class Agent:
        @tracer.agent
        def run(self, task: str, *extra: int, depth: int = 2, **options: Any) -> str:
            return task.upper()

        @tracer.tool
        @classmethod
        def describe(cls, topic: str) -> str:
            return topic

    assert Agent().run("plan", 7, 8, verbose=True) == "PLAN"
    assert Agent.describe("x") == "x"
    run = spans.named("run")
    assert orjson.loads(run.attributes["input.value"]) == {"task": "plan", "extra": [7, 8], "verbose": True, "depth": 2}
    assert run.attributes["input.mime_type"] == "application/json"
    assert run.attributes["output.value"] == "PLAN"
    assert run.attributes["output.mime_type"] == "text/plain"
    assert orjson.loads(spans.named("describe").attributes["input.value"]) == {"topic": "x"}


def test_nested_calls_make_a_tree(spans: CapturedSpans) -> None:
    @tracer.tool
    def lookup(order_id: str) -> dict[str, str]:
        return {"status": "shipped"}

    @tracer.retriever
    def search(query: str) -> list[str]:
        return ["doc"]

    @tracer.agent
    def assistant(question: str) -> str:
        search(question)
        lookup("A-1")
        return "done"

    assistant("where?")
    root = spans.named("assistant")
    assert root.parent_span_id is None
    assert sorted(child.name for child in spans.children(root)) == ["lookup", "search"]
    assert {span.trace_id for span in spans} == {root.trace_id}


def test_exceptions_mark_the_span_and_are_reraised_unchanged(spans: CapturedSpans) -> None:
    class QuotaError(RuntimeError):
        pass

    error = QuotaError("rate limited")

    @tracer.llm
    def call_model() -> None:
        raise error

    with pytest.raises(QuotaError) as raised:
        call_model()
    assert raised.value is error
    span = spans.named("call_model")
    assert span.status == "ERROR"
    assert span.status_message == "QuotaError: rate limited"
    assert span.attributes["error.type"].endswith("QuotaError")
    (event,) = span.events
    assert event["name"] == "exception"
    assert event["attributes"]["exception.message"] == "rate limited"
    assert "raise error" in event["attributes"]["exception.stacktrace"]


async def test_async_function_span_covers_the_await(spans: CapturedSpans) -> None:
    @tracer.tool
    async def slow(x: int) -> int:
        await asyncio.sleep(0.05)
        return x * 2

    @tracer.chain
    async def parent() -> list[int]:
        return list(await asyncio.gather(slow(1), slow(2)))

    assert await parent() == [2, 4]
    root = spans.named("parent")
    children = spans.children(root)
    assert len(children) == 2
    assert all(child.duration_s >= 0.045 for child in children)
    assert sorted(child.attributes["output.value"] for child in children) == ["2", "4"]


def test_generator_span_stays_open_until_exhausted(spans: CapturedSpans) -> None:
    @tracer.tool
    def inner() -> int:
        return 1

    @tracer.llm
    def stream(prompt: str) -> Iterator[str]:
        for word in ("Hello", ", ", "world"):
            inner()  # runs with the stream's span as parent
            yield word
        return None

    chunks = []
    for chunk in stream("hi"):
        chunks.append(chunk)
    assert chunks == ["Hello", ", ", "world"]
    span = spans.named("stream")
    assert span.attributes["output.value"] == "Hello, world"
    assert orjson.loads(span.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello, world"}]}
    ]
    assert span.attributes["spanscope.stream.completed"] is True
    assert span.attributes["gen_ai.response.time_to_first_chunk"] >= 0
    assert [child.name for child in spans.children(span)] == ["inner", "inner", "inner"]


def test_generator_closed_early_ends_the_span(spans: CapturedSpans) -> None:
    closed = []

    @tracer.llm
    def stream() -> Iterator[str]:
        try:
            yield "a"
            yield "b"
        finally:
            closed.append(True)

    generator = stream()
    assert next(generator) == "a"
    generator.close()
    assert closed == [True]
    span = spans.named("stream")
    assert span.attributes["spanscope.stream.completed"] is False
    assert span.attributes["output.value"] == "a"
    assert span.status == "UNSET"


def test_generator_send_throw_and_return_value_pass_through(spans: CapturedSpans) -> None:
    @tracer.chain
    def echo() -> Iterator[str]:
        received = yield "ready"
        try:
            yield f"got {received}"
        except KeyError:
            yield "caught"
        return None

    generator = echo()
    assert next(generator) == "ready"
    assert generator.send("x") == "got x"
    assert generator.throw(KeyError("k")) == "caught"
    with pytest.raises(StopIteration):
        next(generator)
    assert spans.named("echo").attributes["output.value"] == "readygot xcaught"


def test_generator_error_marks_the_span(spans: CapturedSpans) -> None:
    @tracer.llm
    def stream() -> Iterator[str]:
        yield "a"
        raise TimeoutError("model timed out")

    with pytest.raises(TimeoutError):
        list(stream())
    span = spans.named("stream")
    assert span.status == "ERROR"
    assert span.status_message == "TimeoutError: model timed out"


async def test_async_generator_and_cancellation(spans: CapturedSpans) -> None:
    @tracer.llm
    async def stream(n: int) -> AsyncIterator[str]:
        for index in range(n):
            await asyncio.sleep(0)
            yield str(index)

    assert [chunk async for chunk in stream(3)] == ["0", "1", "2"]
    assert spans.named("stream").attributes["output.value"] == "012"

    @tracer.agent
    async def forever() -> AsyncIterator[int]:
        while True:
            await asyncio.sleep(10)
            yield 1

    async def consume() -> None:
        async for _ in forever():
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancelled = spans.named("forever")
    assert cancelled.status == "ERROR"
    assert cancelled.status_message == "cancelled"


async def test_async_generator_closed_early(spans: CapturedSpans) -> None:
    @tracer.llm
    async def stream() -> AsyncIterator[str]:
        yield "first"
        yield "second"

    generator = stream()
    assert await generator.__anext__() == "first"
    await generator.aclose()
    span = spans.named("stream")
    assert span.attributes["spanscope.stream.completed"] is False
    assert span.attributes["output.value"] == "first"


def test_custom_reducer_for_non_text_chunks(spans: CapturedSpans) -> None:
    @tracer.llm(reduce=lambda chunks: sum(chunk["n"] for chunk in chunks))
    def numbers() -> Iterator[dict[str, int]]:
        yield {"n": 1}
        yield {"n": 2}

    assert list(numbers()) == [{"n": 1}, {"n": 2}]
    assert spans.named("numbers").attributes["output.value"] == "3"


def test_openai_stream_chunks_are_joined_with_usage(spans: CapturedSpans) -> None:
    def chunk(text: str | None, usage: dict[str, int] | None = None) -> dict[str, Any]:
        choices = [] if text is None else [{"index": 0, "delta": {"content": text}}]
        return {"object": "chat.completion.chunk", "model": "gpt-4o", "choices": choices, "usage": usage}

    @tracer.llm
    def stream() -> Iterator[dict[str, Any]]:
        yield chunk("Hel")
        yield chunk("lo")
        yield chunk(None, {"prompt_tokens": 5, "completion_tokens": 2})

    list(stream())
    span = spans.named("stream")
    assert span.attributes["output.value"] == "Hello"
    assert span.attributes["gen_ai.response.model"] == "gpt-4o"
    assert span.attributes["gen_ai.usage.input_tokens"] == 5
    assert span.attributes["gen_ai.usage.output_tokens"] == 2


def test_openai_completion_is_understood(spans: CapturedSpans) -> None:
    @tracer.llm
    def chat(messages: list[dict[str, Any]], model: str = "gpt-4o-mini", temperature: float = 0.3) -> dict[str, Any]:
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "lookup", "arguments": '{"id": 7}'},
                            }
                        ],
                    },
                }
            ],
            "usage": {
                "prompt_tokens": 120,
                "completion_tokens": 15,
                "prompt_tokens_details": {"cached_tokens": 100},
                "completion_tokens_details": {"reasoning_tokens": 4},
            },
        }

    chat([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Order 7?"}])
    attributes = spans.named("chat").attributes
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.temperature"] == 0.3
    assert attributes["gen_ai.usage.input_tokens"] == 120
    assert attributes["gen_ai.usage.output_tokens"] == 15
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 100
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 4
    assert attributes["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert orjson.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Order 7?"}]},
    ]
    assert orjson.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"id": 7}}],
            "finish_reason": "tool_calls",
        }
    ]


def test_anthropic_message_is_understood(spans: CapturedSpans) -> None:
    @dataclass
    class Usage:
        input_tokens: int
        output_tokens: int
        cache_read_input_tokens: int
        cache_creation_input_tokens: int

    @dataclass
    class Message:
        id: str
        type: str
        model: str
        content: list[dict[str, Any]]
        stop_reason: str
        usage: Usage

    @tracer.llm
    def claude(messages: list[dict[str, Any]], system: str) -> Message:
        return Message(
            id="msg_1",
            type="message",
            model="claude-sonnet-4-5",
            content=[{"type": "text", "text": "Shipped."}],
            stop_reason="end_turn",
            usage=Usage(10, 3, 50, 20),
        )

    claude([{"role": "user", "content": [{"type": "text", "text": "Status?"}]}], system="Be brief.")
    claude([], system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}])
    first, second = (span.attributes for span in spans if span.name == "claude")
    assert first["gen_ai.system_instructions"] == second["gen_ai.system_instructions"]
    attributes = first
    assert attributes["gen_ai.provider.name"] == "anthropic"
    # Anthropic's input_tokens excludes cache tokens; the convention counts all input.
    assert attributes["gen_ai.usage.input_tokens"] == 80
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 50
    assert attributes["gen_ai.usage.cache_write.input_tokens"] == 20
    assert orjson.loads(attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    output = orjson.loads(attributes["gen_ai.output.messages"])
    assert output == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Shipped."}], "finish_reason": "end_turn"}
    ]


def test_retriever_documents_in_every_shape(spans: CapturedSpans) -> None:
    class LangChainDocument:
        def __init__(self, page_content: str, metadata: dict[str, Any]) -> None:
            self.page_content = page_content
            self.metadata = metadata
            self.id = None

    @tracer.retriever
    def search(query: str) -> list[Any]:
        return [
            {"id": "d1", "content": "refunds in 30 days", "score": 0.92, "metadata": {"source": "faq"}},
            "plain text",
            LangChainDocument("shipping is free", {"source": "policy"}),
            (LangChainDocument("scored", {}), 0.5),
        ]

    search("refund")
    attributes = spans.named("search").attributes
    assert attributes["gen_ai.retrieval.query.text"] == "refund"
    assert orjson.loads(attributes["gen_ai.retrieval.documents"]) == [
        {"id": "d1", "content": "refunds in 30 days", "score": 0.92, "metadata": {"source": "faq"}},
        {"content": "plain text"},
        {"content": "shipping is free", "metadata": {"source": "policy"}},
        {"content": "scored", "score": 0.5},
    ]


def test_tool_records_name_description_arguments_and_result(spans: CapturedSpans) -> None:
    @tracer.tool(name="order_lookup")
    def lookup(order_id: str) -> dict[str, str]:
        """Find an order by number.

        Longer details that are not part of the description."""
        return {"status": "shipped"}

    lookup("A-7")
    attributes = spans.named("order_lookup").attributes
    assert attributes["gen_ai.tool.name"] == "order_lookup"
    assert attributes["gen_ai.tool.description"] == "Find an order by number."
    assert orjson.loads(attributes["gen_ai.tool.call.arguments"]) == {"order_id": "A-7"}
    assert orjson.loads(attributes["gen_ai.tool.call.result"]) == {"status": "shipped"}
    assert attributes["gen_ai.operation.name"] == "execute_tool"


def test_embedding_records_a_summary_not_the_vectors(spans: CapturedSpans) -> None:
    @tracer.embedding
    def embed(texts: list[str], model: str = "text-embedding-3-small") -> dict[str, Any]:
        return {
            "object": "list",
            "model": model,
            "data": [{"embedding": [0.1] * 8} for _ in texts],
            "usage": {"prompt_tokens": 6, "total_tokens": 6},
        }

    embed(["a", "b"])
    attributes = spans.named("embed").attributes
    assert attributes["output.value"] == "2 vectors of 8 dimensions"
    assert attributes["gen_ai.usage.input_tokens"] == 6
    assert attributes["gen_ai.request.model"] == "text-embedding-3-small"


def test_explicit_helpers_win_over_automatic_capture(spans: CapturedSpans) -> None:
    @tracer.llm
    def answer(question: str) -> str:
        span = tracer.current_span()
        span.set_model("claude-haiku-4-5", provider="anthropic")
        span.set_usage(input_tokens=10, output_tokens=2, cache_read_tokens=4)
        span.set_messages(input=[{"role": "user", "content": question}], output="Shipped.")
        span.set_output({"text": "Shipped."})
        span.set_metadata({"prompt_version": "v2"}, temperature=0)
        span.add_tags("beta", "beta", "eu")
        span.set_attribute("custom.count", 3)
        span.set_attribute("custom.object", {"a": 1})
        return "ignored for output"

    answer("Status?")
    attributes = spans.named("answer").attributes
    assert attributes["output.value"] == '{"text":"Shipped."}'
    assert attributes["gen_ai.request.model"] == "claude-haiku-4-5"
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 4
    assert orjson.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Shipped."}]}
    ]
    assert orjson.loads(attributes["metadata"]) == {"prompt_version": "v2", "temperature": 0}
    assert attributes["tag.tags"] == ["beta", "eu"]
    assert attributes["custom.count"] == 3
    assert attributes["custom.object"] == '{"a":1}'


def test_start_span_context_manager_sync_and_async(spans: CapturedSpans) -> None:
    with tracer.start_span("rerank", kind="reranker", input={"query": "q"}) as span:
        span.set_documents([{"id": "b", "score": 0.9}, {"id": "a", "score": 0.2}])
        span.set_tool_call("noop", {"x": 1}, "ok")
    with pytest.raises(ValueError, match="guard tripped"), tracer.start_span("guard", kind="guardrail"):
        raise ValueError("guard tripped")

    async def run() -> str:
        async with tracer.start_span("async block") as block:
            return block.span_id

    span_id = asyncio.run(run())
    rerank = spans.named("rerank")
    assert rerank.kind == "reranker"
    assert orjson.loads(rerank.attributes["input.value"]) == {"query": "q"}
    assert [doc["id"] for doc in orjson.loads(rerank.attributes["gen_ai.retrieval.documents"])] == ["b", "a"]
    assert rerank.attributes["gen_ai.tool.call.result"] == "ok"
    assert spans.named("guard").status == "ERROR"
    assert spans.named("async block").span_id == span_id
    with pytest.raises(ValueError, match="unknown span kind"):
        tracer.start_span("x", kind="nope")


def test_capture_content_off_keeps_structure_only() -> None:
    @tracer.llm
    def chat(messages: list[dict[str, str]], model: str = "gpt-4o") -> dict[str, Any]:
        return {"model": "gpt-4o", "choices": [{"message": {"role": "assistant", "content": "secret"}}], "usage": {}}

    @tracer.retriever
    def search(query: str) -> list[dict[str, Any]]:
        return [{"id": "d1", "content": "private text", "score": 0.5}]

    with capture(capture_content=False) as spans:
        chat([{"role": "user", "content": "my password is hunter2"}])
        search("private query")
    text = orjson.dumps([span.attributes for span in spans]).decode()
    for secret in ("hunter2", "secret", "private"):
        assert secret not in text
    assert spans.named("chat").attributes["gen_ai.response.model"] == "gpt-4o"
    assert orjson.loads(spans.named("search").attributes["gen_ai.retrieval.documents"]) == [{"id": "d1", "score": 0.5}]


def test_values_are_truncated_with_a_visible_marker() -> None:
    @tracer.tool
    def big(text: str) -> str:
        return text * 2

    with capture(max_value_size=100) as spans:
        big("x" * 150)
    attributes = spans.named("big").attributes
    assert attributes["output.value"] == "x" * 100 + "...[truncated 200 chars]"
    assert attributes["input.value"].endswith("...[truncated 61 chars]")
    assert attributes["input.mime_type"] == "text/plain"  # cut JSON is no longer JSON


def test_unserializable_arguments_never_break_the_call(spans: CapturedSpans) -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    cyclic: list[Any] = []
    cyclic.append(cyclic)

    @tracer.tool
    def take(a: Any, b: Any, c: bytes, d: set[int], e: int) -> str:
        return "fine"

    assert take(Hostile(), cyclic, b"\x00\x01", {1}, 2**80) == "fine"
    recorded = spans.named("take").attributes["input.value"]
    assert "unrepresentable Hostile" in recorded or "Hostile" in recorded


def test_sampling_keeps_a_consistent_fraction_of_whole_traces() -> None:
    @tracer.tool
    def child() -> None:
        pass

    @tracer.chain
    def root() -> None:
        child()

    random.seed(7)  # RandomIdGenerator draws from the global generator
    with capture(sample_rate=0.25, ids=RandomIdGenerator()) as spans:
        for _ in range(400):
            root()
    roots = [span for span in spans if span.name == "root"]
    children = [span for span in spans if span.name == "child"]
    assert 50 <= len(roots) <= 150  # 100 expected
    assert {span.trace_id for span in children} == {span.trace_id for span in roots}


def test_sample_rate_zero_records_nothing() -> None:
    @tracer.tool
    def work() -> int:
        return 1

    with capture(sample_rate=0.0) as spans:
        assert work() == 1
    assert len(spans) == 0
