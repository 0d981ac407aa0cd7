"""Scorers: callables ``(input, output, expected) -> number | bool | str | Score``, and the
built-in ones that need no model (the LLM judge is in ``judge.py``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from tracer._internal.serialize import to_json

ScoreValue = float | bool | str


@dataclass(frozen=True)
class Score:
    """What a scorer may return to add an explanation or choose the score's name::

    def polite(input, output, expected):
        ok = "please" in output.lower()
        return Score(ok, explanation="says please" if ok else "no please", name="polite")
    """

    value: ScoreValue
    explanation: str | None = None
    name: str | None = None


Scorer = Callable[[Any, Any, Any], ScoreValue | Score | Awaitable[ScoreValue | Score]]


def scorer_name(scorer: Any) -> str:
    """A scorer's score name: its ``name`` attribute, else its function name."""
    name = getattr(scorer, "name", None) or getattr(scorer, "__name__", None) or type(scorer).__name__
    return str(name)


def scorer_source(scorer: Any) -> str:
    """``llm_judge`` for judges (they say so with a ``source`` attribute), ``code`` otherwise."""
    source = getattr(scorer, "source", None)
    return source if source in ("code", "llm_judge") else "code"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)


def exact_match(input: Any, output: Any, expected: Any) -> bool:
    """True when the output equals the expected output (strings: ignoring surrounding whitespace)::

    exact_match(None, " Paris\\n", "Paris")  # True
    """
    if isinstance(output, str) and isinstance(expected, str):
        return output.strip() == expected.strip()
    return bool(output == expected)


def contains(input: Any, output: Any, expected: Any) -> bool:
    """True when the output contains the expected text, ignoring case; a list of expected
    texts must all be there::

        contains(None, "It ships tomorrow.", "tomorrow")  # True
    """
    haystack = _text(output).casefold()
    needles = expected if isinstance(expected, (list, tuple)) else [expected]
    return all(_text(needle).casefold() in haystack for needle in needles)


def json_valid(input: Any, output: Any, expected: Any) -> bool:
    """True when the output is JSON: a string that parses, or a dict or list already::

    json_valid(None, '{"order": 42}', None)  # True
    """
    if isinstance(output, (dict, list)):
        return True
    if not isinstance(output, (str, bytes)):
        return False
    try:
        json.loads(output)
    except ValueError:
        return False
    return True


def similarity(input: Any, output: Any, expected: Any) -> float:
    """String similarity of output and expected output, from 0 to 1 (difflib's ratio)::

    similarity(None, "It ships tomorrow", "It ships tomorrow.")  # 0.97
    """
    return round(SequenceMatcher(None, _text(output), _text(expected), autojunk=False).ratio(), 6)
