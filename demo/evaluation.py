"""The prompt experiment, offline: both answer prompts run over a dataset of 30 support
questions with expected answers, as two runs with code and LLM-judge scores.

It uses only the public SDK: ``tracer.datasets.create`` (or ``get``, when an earlier demo
run made the dataset), then ``tracer.aevaluate`` once per prompt version, both at once.
Each example is one trace (``answer_question`` with the whole assistant under it); the
judge's calls are traces of their own (``grade_correctness``). All of them carry the tag
``evaluation``, not ``demo``: they are experiments, not customer traffic.
"""

from __future__ import annotations

import asyncio
import json
import random
import zlib
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import tracer
from demo import prompts, simulation
from demo.assistant import SupportAssistant
from demo.customers import SHOPPERS
from demo.judge import JUDGE_MODEL
from demo.model import complete, reply_text, with_retries
from demo.prompts import PROMPTS, PromptVersion
from tracer.scorers import RunSummary, Score

DATASET_NAME = "northpeak-support-questions"
EVALUATION_TAG = "evaluation"
CONCURRENCY = 8
CONCISE_WORDS = 90  # longer answers are cut off in the chat widget of the shop's app
# Questions are asked by a standard shopper with a few orders, so order questions use the tools too.
CUSTOMER = next(customer for customer in SHOPPERS if customer.id == "tom.becker")


def examples() -> list[dict[str, Any]]:
    """The dataset's examples: a question, the fact a right answer states, its topic and article."""
    text = resources.files("demo").joinpath("support_questions.json").read_text(encoding="utf-8")
    loaded: list[dict[str, Any]] = json.loads(text)
    return loaded


def support_questions() -> tracer.datasets.Dataset:
    """The demo's dataset: created on the first run, the same one on later runs."""
    try:
        return tracer.datasets.create(
            DATASET_NAME,
            examples(),
            description="Customer questions about Northpeak's policies, each with the fact a right answer states.",
            metadata={"source": "spanscope demo", "simulated": True},
        )
    except tracer.datasets.CollectorError as error:
        if error.status != 409:  # 409: the name is taken, by an earlier run of the demo
            raise
        return tracer.datasets.get(DATASET_NAME)


def _enter_simulation(seed: int, text: str, pace: float) -> None:
    """Each example (and each grading) draws from its own generator, seeded by its text, so
    the runs are the same however the concurrent examples interleave."""
    simulation.enter(simulation.Simulation(random.Random(seed ^ zlib.crc32(text.encode())), pace))


def answerer(prompt: PromptVersion, seed: int, pace: float) -> Callable[[dict[str, Any]], Awaitable[str]]:
    """The task of a run: a new conversation with the assistant on ``prompt``, one question."""

    async def answer_question(example_input: dict[str, Any]) -> str:
        question = str(example_input["question"])
        _enter_simulation(seed, f"{prompt.name} {question}", pace)
        return await SupportAssistant(CUSTOMER, prompt).handle_message(question)

    return answer_question


@tracer.llm
async def ask_grader(messages: list[dict[str, Any]], model: str = JUDGE_MODEL, temperature: float = 0.0) -> Any:
    return await complete(messages, model=model, temperature=temperature)


def grader(seed: int, pace: float) -> Callable[[str], Awaitable[str]]:
    """The judge's model, as ``llm_judge`` wants it: a prompt in, the model's text out."""

    @tracer.evaluator
    async def grade_correctness(prompt: str) -> str:
        _enter_simulation(seed, prompt, pace)
        return reply_text(await with_retries(ask_grader, prompts.grader_messages(prompt)))

    return grade_correctness


def mentions_expected(input: Any, output: Any, expected: Any) -> bool:
    """Code scorer: the answer states the expected fact (``tracer.scorers.contains``)."""
    return tracer.scorers.contains(input, output, expected)


def concise(input: Any, output: Any, expected: Any) -> Score:
    """Code scorer: the answer fits the chat widget."""
    count = len(str(output).split())
    return Score(count <= CONCISE_WORDS, explanation=f"{count} words (at most {CONCISE_WORDS})")


async def _run(dataset: tracer.datasets.Dataset, prompt: PromptVersion, seed: int, pace: float) -> RunSummary:
    correctness = tracer.scorers.llm_judge(
        llm=grader(seed, pace), rubric=prompts.CORRECTNESS_RUBRIC, name="correctness", scale=(1, 5)
    )
    with tracer.context(
        user_id=CUSTOMER.id,
        tags=[EVALUATION_TAG, prompt.tag],
        metadata={"app": "northpeak-support", "prompt_version": prompt.name, "simulated": True},
    ):
        return await tracer.aevaluate(
            dataset,
            answerer(prompt, seed, pace),
            scorers=[mentions_expected, concise, correctness],
            name=f"prompt {prompt.name}",
            metadata={
                "prompt_version": prompt.name,
                "model": prompt.answer_model,
                "articles_kept": prompt.keep_k,
                "simulated": True,
            },
            concurrency=CONCURRENCY,
            progress=False,
        )


async def compare_prompts(seed: int, pace: float) -> list[RunSummary]:
    """Run prompt v1 and v2 over the dataset, both at once; their summaries, v1 first."""
    dataset = await asyncio.to_thread(support_questions)
    return list(await asyncio.gather(*(_run(dataset, PROMPTS[name], seed, pace) for name in ("v1", "v2"))))
