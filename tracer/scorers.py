"""Scorers for ``tracer.evaluate``: callables ``(input, output, expected)`` that return a
number, a bool, a category (str) or a ``Score`` with an explanation.

::

    import tracer
    from tracer.scorers import Score, contains, exact_match, json_valid, llm_judge, similarity

    def short(input, output, expected):
        return Score(len(output) < 200, explanation=f"{len(output)} characters")

    tracer.evaluate("support-questions", answer, scorers=[exact_match, similarity, short])
"""

from tracer._internal.judge import JudgeAnswerError, llm_judge, parse_judgement
from tracer._internal.scorers import Score, contains, exact_match, json_valid, similarity
from tracer._internal.summary import ExampleError, RunSummary, ScoreSummary

__all__ = [
    "ExampleError",
    "JudgeAnswerError",
    "RunSummary",
    "Score",
    "ScoreSummary",
    "contains",
    "exact_match",
    "json_valid",
    "llm_judge",
    "parse_judgement",
    "similarity",
]
