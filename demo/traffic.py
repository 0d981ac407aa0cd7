"""The demo's traffic: which customers chat when, about what, all at once.

``plan_sessions`` decides everything from the seed: the sessions, their customers, prompt
versions, messages and start times. ``run`` plays them concurrently (one asyncio task per
session) against the assistant and sends the traces to a collector; then a reviewer scores a
few answers by hand (``demo.review``) and both prompts are evaluated over a dataset
(``demo.evaluation``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import tracer
from demo import evaluation, review, simulation
from demo.assistant import SupportAssistant
from demo.customers import CLUBS, SHOPPERS, Customer
from demo.model import ModelError
from demo.prompts import PROMPTS, PromptVersion
from demo.scenarios import BULK_REQUEST, CONVERSATIONS, fill

DEFAULT_SESSIONS = 40
DEFAULT_LONG_TRACES = 3
SERVICE_NAME = "spanscope-demo"
DEMO_TAG = "demo"  # on every demo trace: `spanscope up --demo` looks for it
STAGGER_SECONDS = 4.0  # sessions start spread over this long, as customers arrive


@dataclass(frozen=True)
class SessionPlan:
    session_id: str
    customer: Customer
    prompt: PromptVersion
    messages: tuple[str, ...]
    start_after: float  # seconds after the demo starts
    seed: int  # of the session's own random generator


@dataclass(frozen=True)
class DemoStats:
    """What a demo run sent."""

    sessions: int
    users: int
    traces: int  # one per customer message
    failed_traces: int  # whose answer failed (a model error after retries, a stream cut off)
    retried_calls: int  # model calls that failed and were tried again
    spans: int  # exported to the collector
    seconds: float
    acknowledged: bool  # the collector acknowledged every span and score
    reviewed_answers: int = 0  # customer traces a reviewer scored by hand
    dataset_examples: int = 0  # in the evaluation's dataset
    # Each run's name and its scorers' means, v1 first; {} without the evaluation.
    runs: dict[str, dict[str, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class _SessionOutcome:
    failed: int  # traces whose answer failed
    retries: int  # model calls tried again
    graded: list[review.GradedAnswer]


def plan_sessions(seed: int, sessions: int, long_traces: int) -> list[SessionPlan]:
    """Every session of a run, decided by ``seed`` alone."""
    rng = random.Random(seed)
    shoppers = list(SHOPPERS)
    rng.shuffle(shoppers)
    # The prompt experiment splits users, not sessions: a customer always sees the same version.
    version = {customer.id: PROMPTS[("v1", "v2")[index % 2]] for index, customer in enumerate(shoppers)}
    plans = []
    for number in range(sessions):
        customer = shoppers[number % len(shoppers)]
        # A customer who is done with one topic may go on to a second one in the same chat.
        first, second = rng.sample(CONVERSATIONS, 2)
        conversation = first + second
        turns = rng.choices((1, 2, 3, 4, 5), weights=(1, 3, 3, 2, 2))[0]
        plans.append(
            SessionPlan(
                session_id=f"chat-{rng.getrandbits(48):012x}",
                customer=customer,
                prompt=version[customer.id],
                messages=tuple(fill(line, customer) for line in conversation[:turns]),
                start_after=rng.uniform(0, STAGGER_SECONDS),
                seed=rng.getrandbits(64),
            )
        )
    for number in range(long_traces):
        plans.append(
            SessionPlan(
                session_id=f"chat-{rng.getrandbits(48):012x}",
                customer=CLUBS[number % len(CLUBS)],
                prompt=PROMPTS[rng.choice(("v1", "v2"))],
                messages=(BULK_REQUEST,),
                start_after=rng.uniform(0, 1.0),
                seed=rng.getrandbits(64),
            )
        )
    return plans


async def _run_session(plan: SessionPlan, pace: float, trace_done: Callable[[], None]) -> _SessionOutcome:
    """Play one session."""
    sim = simulation.Simulation(random.Random(plan.seed), pace)
    simulation.enter(sim)
    await asyncio.sleep(plan.start_after * pace)
    assistant = SupportAssistant(plan.customer, plan.prompt)
    failed = 0
    attribution = tracer.context(
        session_id=plan.session_id,
        user_id=plan.customer.id,
        tags=[DEMO_TAG, plan.prompt.tag],
        metadata={
            "app": "northpeak-support",
            "prompt_version": plan.prompt.name,
            "customer_tier": "plus" if plan.customer.plus_member else "club" if plan.customer.bulk else "standard",
            "simulated": True,
        },
    )
    with attribution:
        for number, message in enumerate(plan.messages):
            if number:
                await sim.wait(0.2, 0.6)  # the customer reads the answer and types the next message
            try:
                await assistant.handle_message(message)
            except ModelError:
                failed += 1  # the customer saw an error message; the trace shows why
            trace_done()
    return _SessionOutcome(failed, sim.retries, assistant.graded)


async def _run_all(
    plans: list[SessionPlan], pace: float, progress: Callable[[int, int], None] | None
) -> list[_SessionOutcome]:
    planned = sum(len(plan.messages) for plan in plans)
    done = 0

    def trace_done() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, planned)

    # gather wraps each session in its own task, so each gets its own copy of the context.
    return await asyncio.gather(*(_run_session(plan, pace, trace_done) for plan in plans))


def _api_url(collector_url: str) -> str:
    url = collector_url.rstrip("/")
    return url.removesuffix("/v1/traces")


def run(
    collector_url: str = "http://127.0.0.1:4318",
    *,
    seed: int = 7,
    sessions: int | None = None,
    long_traces: int | None = None,
    pace: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
    evaluate: bool = True,
) -> DemoStats:
    """Run the demo against the collector at ``collector_url`` and wait until it acknowledged
    the spans and scores.

    ``sessions`` customer chats (default 40) and ``long_traces`` bulk order reviews (default 3)
    run concurrently; ``pace`` scales every simulated latency (0.1 for tests); ``progress`` is
    called with (traces finished, traces planned). Then, unless ``evaluate`` is False, a
    reviewer scores a few answers by hand and prompt v1 and v2 are run over the dataset of
    support questions. The same seed sends the same traces::

        import demo
        stats = demo.run("http://127.0.0.1:4318", sessions=5, long_traces=0)
    """
    api_url = _api_url(collector_url)
    tracer.configure(
        endpoint=f"{api_url}/v1/traces",
        service_name=SERVICE_NAME,
        sample_rate=1.0,
        capture_content=True,
        mask=tracer.redact("card"),  # card numbers never leave the process, whatever customers type
    )
    exported_before = tracer.stats().spans_exported
    plans = plan_sessions(
        seed,
        DEFAULT_SESSIONS if sessions is None else sessions,
        DEFAULT_LONG_TRACES if long_traces is None else long_traces,
    )
    started = time.monotonic()
    outcomes = asyncio.run(_run_all(plans, pace, progress))
    reviewed, summaries = 0, []
    if evaluate:
        reviewed = review.review([answer for outcome in outcomes for answer in outcome.graded], api_url)
        summaries = asyncio.run(evaluation.compare_prompts(seed, pace))
    acknowledged = tracer.flush(timeout=60)
    return DemoStats(
        sessions=len(plans),
        users=len({plan.customer.id for plan in plans}),
        traces=sum(len(plan.messages) for plan in plans),
        failed_traces=sum(outcome.failed for outcome in outcomes),
        retried_calls=sum(outcome.retries for outcome in outcomes),
        spans=tracer.stats().spans_exported - exported_before,
        seconds=round(time.monotonic() - started, 1),
        acknowledged=acknowledged,
        reviewed_answers=reviewed,
        dataset_examples=summaries[0].examples if summaries else 0,
        runs={summary.name: {name: score.mean for name, score in summary.scores.items()} for summary in summaries},
    )
