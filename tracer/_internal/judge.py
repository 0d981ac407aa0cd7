"""``llm_judge``: a scorer that asks the user's own LLM function, and a forgiving parser for
what judges actually answer (JSON, "Score: 4/5", a bare number, PASS/FAIL, yes/no)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from tracer._internal.scorers import Score
from tracer._internal.serialize import to_json

LLM = Callable[[str], str | Awaitable[str]]

_SCORE_KEYS = ("score", "rating", "grade", "value", "verdict", "result", "label", "pass", "passed", "correct")
_EXPLANATION_KEYS = ("explanation", "reasoning", "rationale", "reason", "justification", "comment", "feedback")
_TRUE_WORDS = frozenset({"pass", "passed", "yes", "true", "correct", "good", "acceptable", "y"})
_FALSE_WORDS = frozenset({"fail", "failed", "no", "false", "incorrect", "wrong", "bad", "unacceptable", "n"})
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_LABELS = r"(?:final\s+)?(?:score|rating|grade|verdict|result|answer|evaluation)"
_LABELLED = re.compile(rf"{_LABELS}\s*[:=\-]\s*(.+)", re.IGNORECASE)
_FRACTION = re.compile(rf"^({_NUMBER})\s*(?:/|out\s+of|of)\s*({_NUMBER})\b", re.IGNORECASE)
_PERCENT = re.compile(rf"^({_NUMBER})\s*%")
_LEADING_NUMBER = re.compile(rf"^({_NUMBER})(?![\d/])\b")
_BARE = re.compile(rf"^{_NUMBER}\s*(?:(?:/|out\s+of)\s*{_NUMBER}|%)?\s*(?:[.!]?$|[-\u2013\u2014:]\s|\()", re.IGNORECASE)
_EXPLANATION_LINE = re.compile(rf"^(?:{'|'.join(_EXPLANATION_KEYS)})\s*[:=\-]\s*(.*)", re.IGNORECASE)
_MARKUP = re.compile(r"[*_`#>]+")


class JudgeAnswerError(ValueError):
    """The judge's answer holds no score that can be read; ``answer`` is its raw text."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        shown = answer if len(answer) <= 500 else answer[:500] + "..."
        super().__init__(f"no score found in the judge's answer: {shown!r}")


def parse_judgement(answer: str, scale: tuple[float, float] | None = None) -> Score:
    """Read a score and an explanation from a judge's answer.

    Numbers are normalised to 0..1 with ``scale`` (min, max) when it is given, else with
    the answer's own denominator ("4/5", "8 out of 10", "85%"), else kept as they are.
    PASS/FAIL, yes/no and true/false become a bool. Raises JudgeAnswerError otherwise.
    """
    text = answer.strip() if isinstance(answer, str) else ""
    from_json = _from_json(text, scale)
    if from_json is not None:
        return from_json
    plain = _MARKUP.sub("", text)
    lines = [line.strip() for line in plain.splitlines() if line.strip()]
    explanation = _explanation(lines)
    # A labelled line wins ("Score: 4/5"); the last one, as judges reason first, then conclude.
    for line in reversed(lines):
        labelled = _LABELLED.search(line)
        if labelled:
            value = _value(labelled.group(1), scale)
            if value is not None:
                return Score(value, explanation or _rest(lines, line))
    # Otherwise the answer's first or last line alone ("4", "PASS", "Yes. The answer...").
    for line in [lines[0], lines[-1]] if lines else []:
        value = _value(line, scale) if _stands_alone(line) else None
        if value is not None:
            return Score(value, explanation or _rest(lines, line))
    raise JudgeAnswerError(answer if isinstance(answer, str) else repr(answer))


def _stands_alone(line: str) -> bool:
    """An unlabelled line counts only when it is the verdict itself ("4/5", "PASS - ...",
    "Yes."), not a sentence or a numbered step ("1. Check the facts") that starts alike."""
    word = re.split(r"[\s.,;:!()\[\]]+", line.lower(), maxsplit=1)[0]
    return word in _TRUE_WORDS or word in _FALSE_WORDS or bool(_BARE.match(line))


def _from_json(text: str, scale: tuple[float, float] | None) -> Score | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        decoded = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if not isinstance(decoded, dict):
        return None
    lowered = {str(key).lower(): item for key, item in decoded.items()}
    explanation = next((str(lowered[key]) for key in _EXPLANATION_KEYS if lowered.get(key) is not None), None)
    for key in _SCORE_KEYS:
        if key in lowered:
            value = _value(lowered[key], scale)
            if value is not None:
                return Score(value, explanation)
    return None


def _value(raw: Any, scale: tuple[float, float] | None) -> float | bool | None:
    """A verdict or a number from the start of ``raw``; None if it holds neither."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):
        return _normalise(float(raw), None, scale)
    if not isinstance(raw, str):
        return None
    text = raw.strip().strip("\"'").strip()
    word = re.split(r"[\s.,;:!()\[\]]+", text.lower(), maxsplit=1)[0] if text else ""
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    fraction = _FRACTION.match(text)
    if fraction:
        return _normalise(float(fraction.group(1)), float(fraction.group(2)), scale)
    percent = _PERCENT.match(text)
    if percent:
        return _normalise(float(percent.group(1)), 100.0, scale)
    number = _LEADING_NUMBER.match(text)
    if number:
        return _normalise(float(number.group(1)), None, scale)
    return None


def _normalise(number: float, denominator: float | None, scale: tuple[float, float] | None) -> float | None:
    if denominator is not None and (scale is None or denominator != scale[1]):
        low, high = 0.0, denominator  # the answer's own scale: "8 out of 10", "85%"
    elif scale is not None:
        low, high = scale
    else:
        return number
    if high <= low or not low <= number <= high:
        return None  # "7" on a 1-5 scale is not a score we can trust
    return round((number - low) / (high - low), 6)


def _explanation(lines: list[str]) -> str | None:
    for index, line in enumerate(lines):
        match = _EXPLANATION_LINE.match(line)
        if match:
            following = [match.group(1), *lines[index + 1 :]]
            kept = [item for item in following if item and not _LABELLED.match(item)]
            return "\n".join(kept).strip() or None
    return None


def _rest(lines: list[str], score_line: str) -> str | None:
    rest = "\n".join(line for line in lines if line != score_line).strip()
    return rest or None


DEFAULT_PROMPT = """You are grading the output of an AI system.

Rubric:
{rubric}

Input:
{input}

Output:
{output}
{expected_section}
{instructions}"""

_NUMERIC_INSTRUCTIONS = (
    "Answer with a JSON object only: "
    '{{"score": <a number from {low:g} to {high:g}>, "explanation": "<one or two sentences>"}}'
)
_PASS_FAIL_INSTRUCTIONS = (
    'Answer with a JSON object only: {"verdict": "PASS" or "FAIL", "explanation": "<one or two sentences>"}'
)


class LlmJudge:
    """A scorer that asks ``llm(prompt) -> str`` (sync or async) to grade with a rubric."""

    source = "llm_judge"

    def __init__(self, llm: LLM, rubric: str, name: str, scale: tuple[float, float] | None) -> None:
        if not callable(llm):
            raise TypeError(f"llm must be a callable taking a prompt and returning text, got {type(llm).__name__}")
        if scale is not None and not scale[0] < scale[1]:
            raise ValueError(f"scale must be (min, max) with min < max, got {scale!r}")
        self.llm = llm
        self.rubric = rubric
        self.name = name
        self.scale = scale

    def prompt(self, input: Any, output: Any, expected: Any) -> str:
        if self.scale is None:
            instructions = _PASS_FAIL_INSTRUCTIONS
        else:
            instructions = _NUMERIC_INSTRUCTIONS.format(low=self.scale[0], high=self.scale[1])
        expected_section = "" if expected is None else f"\nExpected output (reference):\n{_show(expected)}\n"
        return DEFAULT_PROMPT.format(
            rubric=self.rubric.strip(),
            input=_show(input),
            output=_show(output),
            expected_section=expected_section,
            instructions=instructions,
        )

    def __call__(self, input: Any, output: Any, expected: Any) -> Score | Awaitable[Score]:
        answer = self.llm(self.prompt(input, output, expected))
        if inspect.isawaitable(answer):
            return self._parse_later(answer)
        return self._parse(answer)

    async def _parse_later(self, answer: Awaitable[str]) -> Score:
        return self._parse(await answer)

    def _parse(self, answer: Any) -> Score:
        if not isinstance(answer, str):
            raise JudgeAnswerError(repr(answer))
        judged = parse_judgement(answer, self.scale)
        return Score(judged.value, judged.explanation, self.name)

    def __repr__(self) -> str:
        return f"llm_judge(name={self.name!r}, scale={self.scale!r})"


def _show(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)


def llm_judge(
    llm: LLM, rubric: str, *, name: str = "llm_judge", scale: tuple[float, float] | None = (1, 5)
) -> LlmJudge:
    """A scorer that has your LLM grade each output against a rubric. It makes no network
    call of its own: ``llm`` takes the prompt and returns the model's text (sync or async).

    With ``scale=(min, max)`` the judge gives a number, recorded normalised to 0..1; with
    ``scale=None`` it says PASS or FAIL, recorded as a bool. Its explanation becomes the
    score's comment. An answer with no readable score is recorded as that example's scorer
    error, with the raw text::

        judge = tracer.scorers.llm_judge(
            llm=lambda prompt: client.responses.create(model="gpt-4o-mini", input=prompt).output_text,
            rubric="Is the answer correct and polite?",
        )
    """
    return LlmJudge(llm, rubric, name, scale)
