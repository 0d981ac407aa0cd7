"""An LLM judge that scores each answer for groundedness, right after it is sent.

The evaluator span carries the score in the GenAI evaluation attributes
(``gen_ai.evaluation.*``), which the collector keeps with the span.
"""

from __future__ import annotations

import json
from typing import Any

import tracer
from demo import prompts
from demo.model import complete, reply_text, with_retries

JUDGE_MODEL = "claude-3-5-haiku-20241022"


@tracer.llm
async def ask_judge(
    messages: list[dict[str, Any]], model: str = JUDGE_MODEL, temperature: float = 0.0
) -> dict[str, Any]:
    return await complete(messages, model=model, temperature=temperature)


@tracer.evaluator
async def judge_groundedness(question: str, answer: str, context: list[str]) -> dict[str, Any]:
    """Score 0..1: the share of the answer's factual sentences that the context supports."""
    verdict: dict[str, Any] = json.loads(
        reply_text(await with_retries(ask_judge, prompts.judge_messages(question, answer, context)))
    )
    tracer.current_span().set_attributes(
        {
            "gen_ai.evaluation.name": "groundedness",
            "gen_ai.evaluation.score.value": verdict["score"],
            "gen_ai.evaluation.score.label": verdict["label"],
            "gen_ai.evaluation.explanation": verdict["explanation"],
        }
    )
    return verdict
