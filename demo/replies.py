"""What the simulated model says: a few rules that read the prompt it is sent.

The model recognises its task by the system prompt (``demo.prompts``): rewriting a
question into a search query, choosing the next tool, answering from articles and tool
results, grading an answer, summarising an order review. It only knows the words in the
messages; like a real model it is imperfect: it sometimes calls a tool it did not need,
and with the v1 prompt it now and then adds a sentence no article supports (the judge
catches those).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from demo import prompts
from demo.corpus import words
from demo.tools import place_named

Message = dict[str, Any]
ToolCall = tuple[str, dict[str, Any]]

ORDER_ID = re.compile(r"\bNP-\d{5}\b", re.IGNORECASE)
OPENINGS = ("Happy to help.", "Thanks for reaching out!", "Good question!", "Sure.")
CLOSINGS = ("Is there anything else I can help with?", "Let me know if you need anything else.")
NOT_FOUND = "I could not find this in our help centre, so I can connect you with a colleague."
SIMULATED_NOTE = "(Simulated answer: Spanscope demo.)"
# Sentences a weakly instructed model adds on its own: plausible, and in no article.
UNSUPPORTED_CLAIMS = (
    "Our warehouse team also hand-checks every parcel twice before dispatch.",
    "We usually resolve cases like yours within the hour.",
    "As a thank-you, loyal customers often receive a surprise voucher with their next parcel.",
    "Most carriers now deliver on Sundays as well.",
)
NOT_CLAIMS = frozenset((*OPENINGS, *CLOSINGS, NOT_FOUND, SIMULATED_NOTE))

_FOLLOW_UP = re.compile(r"^(and|also|sorry|what about|how about)\b|\b(it|its|it's|that|this|them|they)\b")
_SHIPPING = re.compile(r"\b(arriv\w*|deliver\w*|express|ship|shipping|shipped|next-day|how long would it take)\b")
_RETURNS = re.compile(r"\b(return\w*|refund\w*|exchange|send it back|wrong size)\b")
_MY_ORDER = re.compile(r"\bmy (last |latest |recent |own )?(order|package|parcel)\b")
_QUANTITY_AT_PRICE = re.compile(r"\b(\d+)\s+[A-Za-z][\w\s-]*?\s+at\s+\$(\d+(?:\.\d\d)?)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Reply:
    text: str | None
    tool_calls: tuple[ToolCall, ...] = ()


def reply(messages: list[Message], tools: list[dict[str, Any]] | None, rng: random.Random, temperature: float) -> Reply:
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    if tools:
        return _next_tool_call(messages, system)
    if system == prompts.REWRITE_SYSTEM:
        return Reply(_search_query(messages))
    if system == prompts.JUDGE_SYSTEM:
        return Reply(json.dumps(_grade(messages[-1]["content"])))
    if system == prompts.GRADER_SYSTEM:
        return Reply(_grade_against_reference(messages[-1]["content"], rng))
    if system == prompts.BULK_SUMMARY_SYSTEM:
        return Reply(_review_summary(json.loads(messages[-1]["content"].split("\n", 1)[1])))
    return Reply(_answer(messages, system, rng, temperature))


def sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_END.split(text.strip()) if sentence]


def _user_texts(messages: list[Message]) -> list[str]:
    return [message["content"] for message in messages if message["role"] == "user"]


def _search_query(messages: list[Message]) -> str:
    *earlier, question = _user_texts(messages)
    terms = [term for term in words(question) if not ORDER_ID.fullmatch(term)]
    for previous in reversed(earlier):  # a follow-up: borrow the topic of the questions before
        if len(terms) >= 4:
            break
        terms = [term for term in words(previous) if not ORDER_ID.fullmatch(term)][:6] + terms
    return " ".join(dict.fromkeys(terms))


# Choosing tools --------------------------------------------------------------------------


def _next_tool_call(messages: list[Message], system: str) -> Reply:
    last_user = max(index for index, message in enumerate(messages) if message["role"] == "user")
    question, turn = messages[last_user]["content"], messages[last_user + 1 :]
    earlier = " ".join(message["content"] or "" for message in messages[1:last_user])
    names = {call["id"]: call["function"]["name"] for message in turn for call in message.get("tool_calls") or ()}
    results = {names[m["tool_call_id"]]: json.loads(m["content"]) for m in turn if m["role"] == "tool"}
    done = {
        (call["function"]["name"], call["function"]["arguments"])
        for message in turn
        for call in message.get("tool_calls") or ()
    }
    customer = re.search(r"\(id ([\w.]+)\), city ([^,]+),", system)
    for name, arguments in _wanted_calls(question, earlier, results, customer.groups() if customer else None):
        if (name, json.dumps(arguments)) not in done:
            return Reply(None, ((name, arguments),))
    return Reply("READY")


def _wanted_calls(
    question: str, earlier: str, results: dict[str, Any], customer: tuple[str, ...] | None
) -> list[ToolCall]:
    """The tools that would answer ``question``, given what earlier calls of this turn returned."""
    text = question.lower()
    follow_up = bool(_FOLLOW_UP.search(text))
    found = ORDER_ID.findall(question) or (ORDER_ID.findall(earlier)[-1:] if follow_up else [])
    order_id = found[0].upper() if found else None
    calls: list[ToolCall] = []
    if order_id is None and _MY_ORDER.search(text) and customer:
        calls.append(("list_orders", {"customer_id": customer[0]}))
        listed = results.get("list_orders", {}).get("orders")
        order_id = listed[0]["order_id"] if listed else None
    if order_id:
        calls.append(("lookup_order", {"order_id": order_id}))
    order = results.get("lookup_order", {})
    if _SHIPPING.search(text) and order.get("status") != "delivered":
        destination = (
            place_named(question)
            or (place_named(earlier) if follow_up else None)
            or order.get("destination")
            or (customer[1] if customer else "Denver")
        )
        method = "express" if re.search(r"express|faster|next-day", text) else "standard"
        calls.append(("estimate_shipping", {"destination": destination, "method": method}))
    if order_id and _RETURNS.search(text):
        calls.append(("check_return_eligibility", {"order_id": order_id}))
    if (priced := _QUANTITY_AT_PRICE.search(question)) is not None:
        expression = f"{priced[1]} * {priced[2]}"
        if (percent := _PERCENT.search(question)) is not None:
            expression += f" * (1 - {percent[1]} / 100)"
        calls.append(("calculator", {"expression": expression}))
    return calls


# Answering ------------------------------------------------------------------------------


def _answer(messages: list[Message], system: str, rng: random.Random, temperature: float) -> str:
    instructions, _, article_text = system.partition(prompts.ARTICLES_HEADING)
    articles = re.findall(r"^\[(kb-[a-z0-9-]+)\] .+\n(.+)$", article_text, re.MULTILINE)
    last_user = max(index for index, message in enumerate(messages) if message["role"] == "user")
    topic = set(words(_search_query(messages[: last_user + 1])))
    cite = prompts.CITE_INSTRUCTION in instructions
    sourced_only = prompts.ONLY_SOURCES_INSTRUCTION in instructions

    turn = messages[last_user + 1 :]
    names = {call["id"]: call["function"]["name"] for message in turn for call in message.get("tool_calls") or ()}
    facts = [_fact(names[m["tool_call_id"]], json.loads(m["content"])) for m in turn if m["role"] == "tool"]
    # The article sentences that share most words with the question, best first.
    candidates = [
        (len(topic & set(words(sentence))), article_id, sentence)
        for article_id, content in articles
        for sentence in sentences(content)
    ]
    chosen = sorted((c for c in candidates if c[0] > 1), key=lambda c: -c[0])[: 3 if cite else 2]
    if not chosen and articles:  # nothing matches well: fall back on the best article's lead sentence
        chosen = [(0, articles[0][0], sentences(articles[0][1])[0])]
    cited = [
        f"{sentence[:-1]} [{article_id}]{sentence[-1]}" if cite else sentence for _, article_id, sentence in chosen
    ]
    # At temperature 0 the model always picks its most likely wording.
    opening, closing = (OPENINGS[0], CLOSINGS[0]) if temperature == 0 else (rng.choice(OPENINGS), rng.choice(CLOSINGS))
    parts = [opening, *facts, *cited]
    if not facts and not cited:
        parts.append(NOT_FOUND)
    if rng.random() < (0.03 if sourced_only else 0.3):
        parts.append(rng.choice(UNSUPPORTED_CLAIMS))
    parts += [closing, SIMULATED_NOTE]
    return " ".join(parts)


def _fact(tool: str, result: Any) -> str:
    """One sentence saying what a tool returned."""
    if isinstance(result, dict) and "error" in result:
        return f"I could not check that: {result['error']}."
    if tool == "lookup_order":
        items = ", ".join(f"{item['quantity']} x {item['product']}" for item in result["items"])
        return (
            f"Order {result['order_id']} ({items}) is {result['status']}; it was placed on {result['placed']} "
            f"and ships to {result['destination']} by {result['shipping_method']} shipping."
        )
    if tool == "list_orders":
        latest = result["orders"][0]
        return f"Your most recent order is {latest['order_id']}, placed on {latest['placed']}."
    if tool == "estimate_shipping":
        low, high = result["business_days"]
        return (
            f"{result['method'].capitalize()} shipping to {result['destination']} takes {low} to {high} business "
            f"days, so it should arrive by {result['arrives_by']}, and costs ${result['cost_usd']:.2f}."
        )
    if tool == "check_return_eligibility":
        if result["eligible"]:
            fee = "free" if result["return_shipping_usd"] == 0 else f"${result['return_shipping_usd']:.2f}"
            return f"Order {result['order_id']} can be returned until {result['return_by']}; return shipping is {fee}."
        return f"Order {result['order_id']} cannot be returned: {result['reason']}."
    if tool == "calculator":
        return f"That comes to ${result['result']:,.2f}."
    return f"{tool} returned {json.dumps(result)}."


def _review_summary(review: dict[str, Any]) -> str:
    counts = ", ".join(f"{count} {status}" for status, count in review["by_status"].items())
    text = f"I checked all {review['orders_checked']} of your orders: {counts}."
    attention = review["need_attention"]
    if attention:
        shown = ", ".join(attention[:8]) + (f" and {len(attention) - 8} more" if len(attention) > 8 else "")
        text += f" These need attention because they are backordered or still processing: {shown}."
    if review["not_checked"]:
        text += f" I could not check {', '.join(review['not_checked'])}; please try those again later."
    return f"{text} {SIMULATED_NOTE}"


# Grading --------------------------------------------------------------------------------


def _grade(body: str) -> dict[str, Any]:
    def section(tag: str) -> str:
        found = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", body, re.DOTALL)
        return found[1] if found else ""

    context = set(words(section("context")))
    claims = [
        re.sub(r" \[kb-[a-z0-9-]+\]", "", sentence)
        for sentence in sentences(section("answer"))
        if sentence not in NOT_CLAIMS
    ]
    unsupported = [claim for claim in claims if _support(claim, context) < 0.6]
    score = round(1 - len(unsupported) / len(claims), 2) if claims else 1.0
    label = "grounded" if score >= 0.9 else "partly grounded" if score >= 0.5 else "ungrounded"
    explanation = f"{len(claims) - len(unsupported)} of {len(claims)} factual sentences are supported by the context."
    if unsupported:
        explanation += f' Not supported: "{unsupported[0]}"'
    return {"score": score, "label": label, "explanation": explanation}


def _support(claim: str, context: set[str]) -> float:
    claim_words = set(words(claim))
    return len(claim_words & context) / len(claim_words) if claim_words else 1.0


def _grade_against_reference(prompt: str, rng: random.Random) -> str:
    """Grade an answer against the expected fact, on prompts.CORRECTNESS_RUBRIC's 1 to 5 scale.

    The prompt is ``tracer.scorers.llm_judge``'s: the answer under "Output:", the fact under
    "Expected output (reference):". The simulated grader knows the help centre as a real one
    given it would, so it recognises the sentences the simulated model makes up. Like a real
    model it usually answers with the JSON it is asked for, and sometimes with a "Score:" line.
    """
    _, _, rest = prompt.partition("\nOutput:\n")
    answer, _, rest = rest.partition("\nExpected output (reference):\n")
    expected = rest.strip().split("\n\n", 1)[0].strip()
    states_fact = bool(expected) and expected.casefold() in answer.casefold()
    made_up = next((claim for claim in UNSUPPORTED_CLAIMS if claim in answer), None)
    score = {(True, False): 5, (True, True): 3, (False, False): 2, (False, True): 1}[(states_fact, made_up is not None)]
    explanation = f'The answer {"states" if states_fact else "does not state"} the expected fact "{expected}"'
    explanation += f', and adds a claim the help centre does not support: "{made_up}"' if made_up else "."
    if made_up:
        explanation += "."
    if rng.random() < 0.15:
        return f"{explanation}\nScore: {score}/5"
    return json.dumps({"score": score, "explanation": explanation})
