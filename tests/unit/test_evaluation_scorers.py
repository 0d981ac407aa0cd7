"""The built-in scorers and the LLM judge: what it asks, and what it reads in the answers
real judges give (JSON, fenced JSON, "Score: 4/5", a bare number, PASS/FAIL, yes/no)."""

from __future__ import annotations

import asyncio

import pytest

import tracer
from tracer.scorers import JudgeAnswerError, Score, contains, exact_match, json_valid, llm_judge, parse_judgement


def test_exact_match_ignores_surrounding_whitespace_only() -> None:
    assert exact_match(None, " Paris\n", "Paris") is True
    assert exact_match(None, "paris", "Paris") is False
    assert exact_match(None, {"a": 1}, {"a": 1}) is True
    assert exact_match(None, 1, "1") is False


def test_contains_ignores_case_and_needs_every_expected_text() -> None:
    assert contains(None, "It ships TOMORROW.", "tomorrow") is True
    assert contains(None, "It ships tomorrow.", ["ships", "tomorrow"]) is True
    assert contains(None, "It ships tomorrow.", ["ships", "today"]) is False
    assert contains(None, {"answer": "Order 42"}, "order 42") is True  # JSON text of a dict


def test_json_valid() -> None:
    assert json_valid(None, '{"order": 42}', None) is True
    assert json_valid(None, "[1, 2]", None) is True
    assert json_valid(None, {"already": "parsed"}, None) is True
    assert json_valid(None, "{'order': 42}", None) is False  # Python repr, not JSON
    assert json_valid(None, "Sure! Here is the JSON: {}", None) is False
    assert json_valid(None, 42, None) is False


def test_similarity_is_difflibs_ratio() -> None:
    assert tracer.scorers.similarity(None, "abcd", "abcd") == 1.0
    assert tracer.scorers.similarity(None, "abcd", "wxyz") == 0.0
    # 2·matches / total length: "It ships tomorrow" against the same with a full stop: 2·17/35.
    assert tracer.scorers.similarity(None, "It ships tomorrow", "It ships tomorrow.") == round(34 / 35, 6)


# What judges answer, and what the score must be on a 1-5 scale (normalised to 0..1).
ON_A_1_TO_5_SCALE = [
    ('{"score": 4, "explanation": "Correct but terse."}', 0.75, "Correct but terse."),
    ('```json\n{"score": 5, "reasoning": "Exactly the expected answer."}\n```', 1.0, "Exactly the expected answer."),
    ('Here is my evaluation:\n{"rating": "3", "rationale": "Partly right."}', 0.5, "Partly right."),
    ("Score: 4/5\nExplanation: The answer is correct and polite.", 0.75, "The answer is correct and polite."),
    ("**Score:** 2\n**Reasoning:** It invents a return policy.", 0.25, "It invents a return policy."),
    (
        "Reasoning: the reply names the right order and date.\nIt could be friendlier.\n\nFinal score: 4",
        0.75,
        "the reply names the right order and date.\nIt could be friendlier.",
    ),
    ("1", 0.0, None),
    ("5.", 1.0, None),
    ("3 - adequate, misses the tracking link", 0.5, "3 - adequate, misses the tracking link"),
    ("Rating: 8 out of 10", 0.8, None),  # its own denominator wins over the scale
    ("Score: 85%", 0.85, None),
    ("I would rate this response a 4.\n\nScore: 4", 0.75, "I would rate this response a 4."),
]


@pytest.mark.parametrize(("answer", "value", "explanation"), ON_A_1_TO_5_SCALE)
def test_judge_answers_on_a_scale(answer: str, value: float, explanation: str | None) -> None:
    assert parse_judgement(answer, (1, 5)).value == pytest.approx(value)


@pytest.mark.parametrize(("answer", "value", "explanation"), ON_A_1_TO_5_SCALE[:6])
def test_judge_explanations(answer: str, value: float, explanation: str) -> None:
    assert parse_judgement(answer, (1, 5)).explanation == explanation


VERDICTS = [
    ('{"verdict": "PASS", "explanation": "Matches the reference."}', True),
    ('{"verdict": "fail", "reason": "Wrong date."}', False),
    ('{"pass": true}', True),
    ('{"correct": false, "explanation": "no"}', False),
    ("PASS", True),
    ("FAIL: the answer contradicts the reference", False),
    ("Yes. The answer is supported by the documents.", True),
    ("no", False),
    ("Verdict: PASS", True),
    ("The response is mostly fine.\nResult: FAIL", False),
    ("**Answer:** Yes", True),
    ("True", True),
]


@pytest.mark.parametrize(("answer", "value"), VERDICTS)
def test_judge_verdicts_become_bools(answer: str, value: bool) -> None:
    assert parse_judgement(answer, None).value is value
    assert parse_judgement(answer, (1, 5)).value is value  # a verdict stays a verdict


def test_without_a_scale_numbers_stay_as_given_unless_the_answer_has_a_denominator() -> None:
    assert parse_judgement("7", None).value == 7.0
    assert parse_judgement("Score: 0.35", None).value == 0.35
    assert parse_judgement("4/5", None).value == 0.8
    assert parse_judgement("4 out of 5", None).value == 0.8


UNREADABLE = [
    "",
    "I cannot evaluate this without more context.",
    "1. Check the facts\n2. Check the tone\nOverall it depends.",  # a numbered list is not a score
    '{"comment": "looks fine"}',
    "Score: great",
    "7",  # outside the 1-5 scale: not trusted
    "Score: 0",
]


@pytest.mark.parametrize("answer", UNREADABLE)
def test_unreadable_answers_raise_with_the_raw_text(answer: str) -> None:
    with pytest.raises(JudgeAnswerError) as raised:
        parse_judgement(answer, (1, 5))
    assert raised.value.answer == answer
    assert repr(answer[:20]).strip("'") in str(raised.value)


def test_llm_judge_prompt_has_rubric_input_output_and_reference() -> None:
    prompts: list[str] = []

    def llm(prompt: str) -> str:
        prompts.append(prompt)
        return '{"score": 5, "explanation": "spot on"}'

    judge = llm_judge(llm=llm, rubric="Is the answer correct?", name="correctness")
    scored = judge({"question": "Where is my order?"}, "It ships tomorrow.", "Tomorrow.")
    assert scored == Score(1.0, "spot on", "correctness")
    (prompt,) = prompts
    for part in ("Is the answer correct?", '{"question":"Where is my order?"}', "It ships tomorrow.", "Tomorrow."):
        assert part in prompt
    assert "a number from 1 to 5" in prompt
    assert judge.source == "llm_judge"


def test_llm_judge_without_reference_and_pass_fail() -> None:
    seen: list[str] = []

    def llm(prompt: str) -> str:
        seen.append(prompt)
        return "FAIL - rude"

    scored = llm_judge(llm=llm, rubric="Polite?", scale=None)("hi", "go away", None)
    assert isinstance(scored, Score) and scored.value is False and scored.name == "llm_judge"
    assert "Expected output" not in seen[0] and '"PASS" or "FAIL"' in seen[0]


def test_llm_judge_with_an_async_llm() -> None:
    async def llm(prompt: str) -> str:
        await asyncio.sleep(0)
        return "Score: 3/5"

    pending = llm_judge(llm=llm, rubric="Helpful?")("q", "a", None)
    assert not isinstance(pending, Score)
    scored = asyncio.run(_await(pending))
    assert scored.value == 0.5


async def _await(pending: object) -> Score:
    assert asyncio.iscoroutine(pending)
    result = await pending
    assert isinstance(result, Score)
    return result


def test_llm_judge_refuses_bad_arguments_at_once() -> None:
    with pytest.raises(TypeError, match="llm must be a callable"):
        llm_judge(llm="gpt-4o", rubric="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min < max"):
        llm_judge(llm=lambda prompt: "1", rubric="x", scale=(5, 1))


def test_llm_judge_answer_that_is_not_text_is_an_error() -> None:
    judge = llm_judge(llm=lambda prompt: None, rubric="x")  # type: ignore[arg-type, return-value]
    with pytest.raises(JudgeAnswerError, match="None"):
        judge("q", "a", None)
