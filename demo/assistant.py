"""The support assistant: what happens to one customer message (one trace).

::

    handle_message [chain]
      screen_message [guardrail]      personal data redacted, abuse blocked
      rewrite_query [llm]             a standalone search query from the conversation
      search_help_centre [retriever]  BM25 over the help centre
      rerank [reranker]               keep the best few
      support_agent [agent]           plan_next_step [llm] / tool calls, until READY
      write_answer [llm, streamed]    the answer, from the articles and the tool results
      judge_groundedness [evaluator]  ask_judge [llm] scores the answer

A club's "check all our orders" request goes to ``review_orders`` instead, which looks up
every order of the account: the long traces.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import tracer
from demo import prompts
from demo.agent import review_orders, support_agent
from demo.customers import Customer
from demo.guardrail import screen_message
from demo.judge import judge_groundedness
from demo.model import ModelError, complete, reply_text, stream, with_retries
from demo.prompts import PromptVersion
from demo.retrieval import rerank, search_help_centre
from demo.review import GradedAnswer

Message = dict[str, Any]
REWRITE_MODEL = "gpt-4o-mini"
SUMMARY_MODEL = "gpt-4o-mini"
REFUSAL = "I'm sorry, I can't help with that. I can only discuss your own orders and Northpeak's policies."
_ALL_ORDERS = re.compile(r"\ball (of )?(our|my) (open )?orders\b", re.IGNORECASE)


@tracer.llm
async def rewrite_query(
    messages: list[Message], model: str = REWRITE_MODEL, temperature: float = 0.0
) -> dict[str, Any]:
    return await complete(messages, model=model, temperature=temperature)


@tracer.llm
async def write_answer(messages: list[Message], model: str, temperature: float = 0.3) -> AsyncIterator[dict[str, Any]]:
    """Stream the answer. The SDK joins the chunks' text into the span's output and takes
    the model and token usage from the final chunk."""
    tracer.current_span().set_model(model, provider="openai")
    async for chunk in stream(messages, model=model, temperature=temperature):
        yield chunk


async def _read_answer(messages: list[Message], model: str) -> str:
    """What the customer sees: the streamed text, as it arrives."""
    parts = [
        choice["delta"].get("content") or ""
        async for chunk in write_answer(messages, model=model)
        for choice in chunk["choices"]
    ]
    return "".join(parts)


class SupportAssistant:
    """Northpeak's support assistant for one signed-in customer, with one prompt version.
    It keeps the conversation (screened messages and its answers) for follow-up questions,
    and the judge's verdict on each answer, for the reviewer (``demo.review``)."""

    def __init__(self, customer: Customer, prompt: PromptVersion) -> None:
        self.customer = customer
        self.prompt = prompt
        self.history: list[Message] = []
        self.graded: list[GradedAnswer] = []

    @tracer.chain
    async def handle_message(self, message: str) -> str:
        """Answer one customer message."""
        screened = await screen_message(message)
        if screened["action"] == "block":
            tracer.current_span().add_tags("guardrail:blocked")
            return REFUSAL
        question: str = screened["text"]
        if self.customer.bulk and _ALL_ORDERS.search(question):
            review = await review_orders(question, self.customer.id)
            answer = await with_retries(_read_answer, prompts.bulk_summary_messages(question, review), SUMMARY_MODEL)
        else:
            answer = await self._answer(question)
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        return answer

    async def _answer(self, question: str) -> str:
        history = self.history
        completion = await with_retries(rewrite_query, prompts.rewrite_messages(question, history))
        query = reply_text(completion)
        found = await search_help_centre(query, k=self.prompt.retrieve_k)
        documents = await rerank(query, found, top_n=self.prompt.keep_k)
        transcript = await support_agent(question, history, self.customer.id)
        messages = prompts.answer_messages(self.prompt, question, history, documents, transcript)
        answer = await with_retries(_read_answer, messages, self.prompt.answer_model)

        context = [document["content"] for document in documents]
        context += [step["content"] for step in transcript if step["role"] == "tool"]
        # The customer has the answer already: a failed grading only loses a score.
        with contextlib.suppress(ModelError):
            verdict = await judge_groundedness(question, answer, context)
            trace_id = tracer.current_span().trace_id
            self.graded.append(GradedAnswer(trace_id, question, float(verdict["score"]), str(verdict["explanation"])))
        return answer
