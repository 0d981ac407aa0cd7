"""A support lead reviews a few of the day's answers by hand: the demo's human scores.

She reads the answers the groundedness judge rated lowest and a few it rated fully grounded,
and scores each trace: thumbs up or down (the UI's quick score) with a comment, and for a
thumbs down the issue, from the score config ``answer_issue``. The scores go through the
public SDK (``tracer.score`` with a trace id and source ``human``); the score configs, which
the SDK does not manage, through the collector's API, as the UI's users create them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import urllib3

import tracer

REVIEWER = "maya.lead"
THUMBS = "thumbs_up"  # the name the UI's 👍/👎 buttons give their score
SCORE_CONFIGS = (
    {
        "name": "answer_issue",
        "data_type": "categorical",
        "categories": ["made_up_fact", "missing_information", "wrong_order_details", "tone", "other"],
        "description": "What is wrong with an answer a reviewer marks 👎.",
    },
    {
        "name": "helpfulness",
        "data_type": "numeric",
        "min_value": 1,
        "max_value": 5,
        "description": "1: no help at all; 5: the customer's problem is solved.",
    },
)
_UNSUPPORTED = re.compile(r'Not supported: "(.+)"')
_http = urllib3.PoolManager(timeout=urllib3.Timeout(total=10), retries=False)


@dataclass(frozen=True)
class GradedAnswer:
    """An answer the groundedness judge scored, in the trace ``trace_id``."""

    trace_id: str
    question: str
    groundedness: float
    explanation: str


class ReviewError(RuntimeError):
    """The collector refused a score config."""


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    key = os.environ.get("SPANSCOPE_API_KEY")  # the key the SDK sends too, when the collector wants one
    if key:
        headers["Authorization"] = f"Bearer {key}"
    encoded = None if body is None else json.dumps(body).encode()
    response = _http.request(method, url, body=encoded, headers=headers)
    return response.status, json.loads(response.data) if response.data else None


def score_configs(api_url: str) -> dict[str, str]:
    """The demo's score configs, created when missing: their ids by name."""
    url = f"{api_url}/api/v1/score-configs"
    for config in SCORE_CONFIGS:
        status, answer = _call("POST", url, dict(config))
        if status not in (201, 409):  # 409: an earlier demo run created it
            raise ReviewError(f"POST {url} ({config['name']}): HTTP {status}: {answer}")
    status, answer = _call("GET", url)
    if status != 200:
        raise ReviewError(f"GET {url}: HTTP {status}: {answer}")
    return {config["name"]: config["id"] for config in answer["score_configs"]}


def review(graded: Sequence[GradedAnswer], api_url: str, *, bad: int = 3, good: int = 2) -> int:
    """Score the ``bad`` least grounded answers (below 0.9) and the first ``good`` fully
    grounded ones by hand (two scores each, sent in the background); returns how many."""
    configs = score_configs(api_url)
    ranked = sorted(enumerate(graded), key=lambda item: (item[1].groundedness, item[0]))
    worst = [answer for _, answer in ranked if answer.groundedness < 0.9][:bad]
    best = [answer for answer in graded if answer.groundedness >= 1.0][:good]
    for answer in worst:
        made_up = _UNSUPPORTED.search(answer.explanation)
        comment = f'"{made_up[1]}" is in no article.' if made_up else "Not what our articles say."
        _human(THUMBS, False, answer, comment=comment)
        _human("answer_issue", "made_up_fact", answer, config_id=configs["answer_issue"])
    for answer in best:
        _human(THUMBS, True, answer, comment="Accurate and to the point.")
        _human("helpfulness", 5, answer, config_id=configs["helpfulness"])
    return len(worst) + len(best)


def _human(
    name: str, value: float | bool | str, answer: GradedAnswer, comment: str | None = None, config_id: str | None = None
) -> None:
    tracer.score(
        name,
        value,
        trace_id=answer.trace_id,
        span_id=None,
        comment=comment,
        source="human",
        author=REVIEWER,
        config_id=config_id,
    )
