"""The prompts the assistant sends, and the two versions of its answer prompt.

Half the users get ``v1``, half ``v2`` (an A/B test the traces record as ``prompt:v1`` /
``prompt:v2`` tags). v2 answers only from the articles and cites them, keeps more articles
and uses a larger model: better grounded, more tokens, higher cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from demo.customers import Customer

Message = dict[str, Any]

REWRITE_SYSTEM = (
    "Rewrite the customer's latest message as a short, standalone search query for the Northpeak help centre. "
    "Resolve references to earlier messages. Answer with the query only."
)
PLANNER_SYSTEM = (
    "You are the support agent of Northpeak Outfitters, an outdoor gear store. Call the tools you need to answer "
    "the customer's latest message, one at a time; when you have what you need, answer READY.\n"
    "Customer: {name} (id {id}), city {city}, {membership}."
)
BULK_SYSTEM = (
    "You review a club account's orders for its organiser. For each order named in the last message, call "
    "lookup_order with its id."
)
BULK_SUMMARY_SYSTEM = "Summarise the order review below for the club's organiser in two or three friendly sentences."
JUDGE_SYSTEM = (
    "You grade a customer-support answer for groundedness: is each factual sentence supported by the context "
    'given? Reply with JSON only: {"score": 0 to 1, "label": "grounded" | "partly grounded" | "ungrounded", '
    '"explanation": one sentence}.'
)
# The offline evaluation's judge (demo.evaluation): tracer.scorers.llm_judge writes the prompt
# (rubric, question, answer, expected answer), this system prompt frames it.
GRADER_SYSTEM = "You are a strict, fair grader of customer-support answers. Follow the grading instructions exactly."
CORRECTNESS_RUBRIC = (
    "The expected output is the fact a correct answer must state. Score 5 when the answer states it and says "
    "nothing the Northpeak help centre does not support; 3 when it states it but adds an unsupported claim; 2 when "
    "it misses the fact; 1 when it misses the fact and adds an unsupported claim."
)
# Instructions the simulated model recognises and follows (see demo.replies).
CITE_INSTRUCTION = "Cite the article id in brackets after each fact you take from an article, like [kb-tracking]."
ONLY_SOURCES_INSTRUCTION = "Answer only from the articles and tool results; if they do not cover the question, say so."
ARTICLES_HEADING = "\n\nHelp-centre articles:\n"


@dataclass(frozen=True)
class PromptVersion:
    name: str
    answer_model: str
    retrieve_k: int  # articles fetched by BM25
    keep_k: int  # articles kept after reranking, sent to the model
    instructions: str

    @property
    def tag(self) -> str:
        return f"prompt:{self.name}"


PROMPTS = {
    "v1": PromptVersion(
        "v1",
        answer_model="gpt-4o-mini",
        retrieve_k=4,
        keep_k=2,
        instructions="You are a friendly support assistant for Northpeak Outfitters. Help the customer using the "
        "articles below.",
    ),
    "v2": PromptVersion(
        "v2",
        answer_model="gpt-4o",
        retrieve_k=6,
        keep_k=3,
        instructions="You are the support assistant of Northpeak Outfitters, an outdoor gear store. "
        f"{ONLY_SOURCES_INSTRUCTION} {CITE_INSTRUCTION} Be warm and brief: at most 120 words, and offer a person "
        "when you cannot help.",
    ),
}


def rewrite_messages(question: str, history: list[Message]) -> list[Message]:
    return [{"role": "system", "content": REWRITE_SYSTEM}, *history, {"role": "user", "content": question}]


def planner_messages(customer: Customer, question: str, history: list[Message]) -> list[Message]:
    membership = "Northpeak Plus member" if customer.plus_member else "no membership"
    system = PLANNER_SYSTEM.format(name=customer.name, id=customer.id, city=customer.city, membership=membership)
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": question}]


def answer_messages(
    prompt: PromptVersion,
    question: str,
    history: list[Message],
    documents: list[dict[str, Any]],
    tool_transcript: list[Message],
) -> list[Message]:
    """The answer prompt: instructions and articles, the conversation, then what the agent's tools found."""
    articles = "\n\n".join(f"[{doc['id']}] {doc['metadata']['title']}\n{doc['content']}" for doc in documents)
    system = prompt.instructions + ARTICLES_HEADING + (articles or "(none found)")
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": question}, *tool_transcript]


def judge_messages(question: str, answer: str, context: list[str]) -> list[Message]:
    body = "<question>\n{}\n</question>\n<context>\n{}\n</context>\n<answer>\n{}\n</answer>".format(
        question, "\n".join(context), answer
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": body}]


def grader_messages(prompt: str) -> list[Message]:
    return [{"role": "system", "content": GRADER_SYSTEM}, {"role": "user", "content": prompt}]


def bulk_summary_messages(request: str, review: dict[str, Any]) -> list[Message]:
    return [
        {"role": "system", "content": BULK_SUMMARY_SYSTEM},
        {"role": "user", "content": request},
        {"role": "user", "content": "Order review:\n" + json.dumps(review, indent=1)},
    ]
