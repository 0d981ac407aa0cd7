"""Traces for the UI tests, sent through the real SDK: a support conversation, a failure, a
long agent loop, and a trace whose every field is hostile (XSS, remote images, links)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from opentelemetry.sdk.trace import TracerProvider

import tracer

REMOTE_HOST = "remote.example"
# Each of these must show as text, run nothing, and make the browser fetch nothing remote.
HOSTILE = [
    "<script>window.__xss = 1</script>",
    '<img src="x" onerror="window.__xss = 2">',
    f'<img src="http://{REMOTE_HOST}/tag.png">',
    "[click me](javascript:window.__xss=3)",
    f"![tracker](http://{REMOTE_HOST}/pixel.png)",
    f"![tracker2](https://{REMOTE_HOST}/pixel2.png 'title')",
    f'<iframe src="http://{REMOTE_HOST}/frame"></iframe>',
    '<a href="javascript:window.__xss=4">link</a>',
    f"https://{REMOTE_HOST}/bare.png",
    "$\\href{javascript:window.__xss=5}{math}$",
]
HOSTILE_TEXT = " ".join(HOSTILE)
LONG_LOOP_ITERATIONS = 40


@dataclass
class Sample:
    support: list[str] = field(default_factory=list)  # the two turns of session "chat-1"
    failed: str = ""
    long_loop: str = ""
    hostile: str = ""
    hostile_session: str = HOSTILE[4]


@tracer.retriever
def search(query: str) -> list[dict[str, object]]:
    return [
        {"id": "shipping-2", "content": "Express shipping takes one to two days.", "score": 0.91},
        {"id": "returns-1", "content": "Returns are free within 30 days.", "score": 0.42, "metadata": {"lang": "en"}},
    ]


@tracer.tool
def lookup_order(order_id: str) -> dict[str, str]:
    if order_id == "missing":
        raise LookupError("order missing not found")
    return {"order_id": order_id, "status": "shipped"}


@tracer.llm
def chat(messages: list[dict[str, str]], model: str = "gpt-4o-mini") -> dict[str, object]:
    answer = f"Your order ships tomorrow. ({messages[-1]['content'][:30]})"
    return {
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 24},
    }


@tracer.agent
def support(question: str, order_id: str = "A-1") -> str:
    documents = search(question)
    lookup_order(order_id)
    system = {"role": "system", "content": "Answer from: " + str(documents[0]["content"])}
    reply = chat([system, {"role": "user", "content": question}])
    return str(reply["choices"][0]["message"]["content"])  # type: ignore[index]


@tracer.agent
def order_sweep(orders: int) -> int:
    for number in range(orders):
        chat([{"role": "user", "content": f"check order {number}"}])
        lookup_order(f"B-{number}")
    return orders


@tracer.chain(name=HOSTILE[1])
def hostile_pipeline(question: str) -> str:
    with tracer.start_span(HOSTILE[4], kind="retriever") as span:
        document = {"id": HOSTILE[2], "content": HOSTILE_TEXT, "score": 1.0, "metadata": {HOSTILE[0]: HOSTILE[5]}}
        span.set_documents([document])
    with tracer.start_span(HOSTILE[3], kind="tool") as span:
        span.set_tool_call(HOSTILE[6], {HOSTILE[7]: HOSTILE[8]}, HOSTILE_TEXT)
    with tracer.start_span(HOSTILE[5], kind="llm") as span:
        span.set_model("gpt-4o-mini")
        span.set_messages(
            input=[{"role": "user", "content": HOSTILE_TEXT}, {"role": HOSTILE[0], "content": HOSTILE_TEXT}],
            output=[{"role": "assistant", "content": HOSTILE_TEXT}],
        )
        span.set_metadata({HOSTILE[1]: HOSTILE_TEXT})
        span.add_tags(HOSTILE[4])
        span.set_attribute(f"custom.{HOSTILE[0]}", HOSTILE_TEXT)
    raise RuntimeError(HOSTILE_TEXT)


def _conversation(sample: Sample) -> None:
    with tracer.context(session_id="chat-1", user_id="ada", tags=["prompt:v1"]):
        for question in ("Where is my order A-1?", "And when will it arrive?"):
            with tracer.start_span("handle_turn", kind="chain", input={"question": question}) as turn:
                sample.support.append(turn.trace_id)
                turn.set_output(support(question))


def _failure(sample: Sample) -> None:
    with tracer.context(session_id="chat-2", user_id="grace"), tracer.start_span("handle_turn", kind="chain") as turn:
        sample.failed = turn.trace_id
        with contextlib.suppress(LookupError):
            support("Where is order missing?", order_id="missing")


def _long_loop(sample: Sample) -> None:
    with tracer.start_span("bulk_check", kind="chain") as root:
        sample.long_loop = root.trace_id
        order_sweep(LONG_LOOP_ITERATIONS)


def _hostile(sample: Sample) -> None:
    with (
        tracer.context(session_id=sample.hostile_session, user_id=HOSTILE[0], tags=[HOSTILE[2]]),
        tracer.start_span("hostile", kind="chain", input=HOSTILE_TEXT) as root,
        contextlib.suppress(RuntimeError),
    ):
        sample.hostile = root.trace_id
        hostile_pipeline(HOSTILE_TEXT)


def send_sample(endpoint: str) -> Sample:
    """Trace the sample application into the collector at ``endpoint`` and wait for the ack."""
    sample = Sample()
    tracer.configure(endpoint=endpoint.rstrip("/") + "/v1/traces", tracer_provider=TracerProvider())
    try:
        for part in (_conversation, _failure, _long_loop, _hostile):
            part(sample)
        assert tracer.flush(timeout=30), tracer.stats()
    finally:
        tracer.shutdown()
    return sample
