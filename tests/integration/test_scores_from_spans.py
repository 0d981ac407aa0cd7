"""Evaluator spans become scores at ingest, on both backends, through the real collector (with an
ingest worker process, so the scores cross the process boundary as they do in production), read
back through ``GET /api/v1/scores``; a resent request adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.collector_helpers import (
    RunningCollector,
    key_values,
    new_span_id,
    new_trace_id,
    running_collector,
    traces_request,
)
from tests.integration.collector_helpers import span as otlp_span
from tests.integration.conftest import Backend


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url, ingest_workers=1) as running:
        yield running


def scores_of(collector: RunningCollector, trace_id: str) -> list[dict[str, Any]]:
    response = collector.client.get("/api/v1/scores", params={"trace_id": trace_id})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["scores"]
    return sorted(found, key=lambda score: (score["name"], score["span_id"] or ""))


def evaluated_trace(trace_id: str, answer: str) -> dict[str, Any]:
    """An LLM call judged by an evaluator span (OTel GenAI attributes), carrying an OpenInference
    annotation, an ``eval.<name>`` result and an OTel evaluation event; a root evaluator that
    scores the whole trace; and an evaluator whose result has no name (skipped)."""
    event = {
        "name": "gen_ai.evaluation.result",
        "timeUnixNano": "1767225600000000000",
        "attributes": key_values({"gen_ai.evaluation.name": "toxicity", "gen_ai.evaluation.score.value": 0.0}),
    }
    call = otlp_span(
        trace_id,
        "chat gpt-4o",
        span_id=answer,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "annotations.0.annotation.name": "helpful",
            "annotations.0.annotation.label": "yes",
            "annotations.0.annotation.annotator_kind": "HUMAN",
            "eval.grounded.label": "grounded",
        },
        events=[event],
    )
    judge = otlp_span(
        trace_id,
        "relevance judge",
        parent=answer,
        attributes={
            "openinference.span.kind": "EVALUATOR",
            "llm.model_name": "gpt-4o-mini",
            "gen_ai.evaluation.name": "relevance",
            "gen_ai.evaluation.score.value": 0.8,
            "gen_ai.evaluation.score.label": "relevant",
            "gen_ai.evaluation.explanation": "answers the question",
        },
    )
    overall = otlp_span(
        trace_id,
        "checks",
        attributes={
            "openinference.span.kind": "EVALUATOR",
            "gen_ai.evaluation.name": "passed",
            "gen_ai.evaluation.score.value": True,
        },
    )
    nameless = otlp_span(trace_id, "broken judge", parent=answer, attributes={"gen_ai.evaluation.score.value": 1})
    return traces_request(call, judge, overall, nameless)


def test_evaluation_results_become_scores_and_a_resend_adds_nothing(collector: RunningCollector) -> None:
    trace_id, answer = new_trace_id(), new_span_id()
    request = evaluated_trace(trace_id, answer)
    response = collector.post_json(request)
    assert response.status_code == 200, response.text

    found = scores_of(collector, trace_id)
    rows = [
        (s["name"], s["span_id"], s["data_type"], s["value"], s["label"], s["source"], s["comment"], s["author"])
        for s in found
    ]
    assert rows == [
        ("grounded", answer, "categorical", None, "grounded", "llm_judge", None, "chat gpt-4o"),
        ("helpful", answer, "categorical", None, "yes", "human", None, "chat gpt-4o"),
        ("passed", None, "boolean", 1.0, "true", "code", None, "checks"),
        ("relevance", answer, "numeric", 0.8, "relevant", "llm_judge", "answers the question", "relevance judge"),
        ("toxicity", answer, "numeric", 0.0, None, "llm_judge", None, "chat gpt-4o"),
    ]
    counters = collector.counters()
    assert (counters["scores_from_spans"], counters["scores_from_spans_skipped"]) == (5, 1)

    again = collector.post_json(request)
    assert again.status_code == 200, again.text
    assert scores_of(collector, trace_id) == found  # same ids, same rows, same created_at


def test_spans_without_evaluations_make_no_scores(collector: RunningCollector) -> None:
    trace_id = new_trace_id()
    request = traces_request(otlp_span(trace_id, "chat", attributes={"gen_ai.operation.name": "chat"}))
    assert collector.post_json(request).status_code == 200
    assert scores_of(collector, trace_id) == []
    assert collector.counters().get("scores_from_spans", 0) == 0
