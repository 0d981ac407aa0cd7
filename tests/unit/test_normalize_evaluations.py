"""Evaluation results carried by spans become scores (server/normalize/evaluations.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from _normalize_helpers import raw_span
from openinference.instrumentation import get_annotation_attributes, get_evaluation_attributes

from server.model import RawEvent, RawSpan
from server.normalize import normalize
from server.normalize.evaluations import EVENT, SpanScores, scores_from_spans
from server.storage.scores import NewScore

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"
PARENT = "00f067aa0ba902b7"
EVALUATOR = {"openinference.span.kind": "EVALUATOR"}


def read(*spans: RawSpan) -> SpanScores:
    return scores_from_spans(spans, [normalize(span, "default") for span in spans])


def one(span: RawSpan) -> NewScore:
    found = read(span)
    assert found.skipped == 0
    assert len(found.scores) == 1, found.scores
    return found.scores[0]


def with_parent(span: RawSpan, parent: str | None = PARENT, **changes: Any) -> RawSpan:
    fields = {name: getattr(span, name) for name in RawSpan.__slots__}  # type: ignore[attr-defined]
    return RawSpan(**{**fields, "parent_span_id": parent, **changes})


def genai(name: Any = "relevance", value: Any = None, label: Any = None, explanation: Any = None) -> dict[str, Any]:
    fields = {
        "gen_ai.evaluation.name": name,
        "gen_ai.evaluation.score.value": value,
        "gen_ai.evaluation.score.label": label,
        "gen_ai.evaluation.explanation": explanation,
    }
    return {key: value for key, value in fields.items() if value is not None}


# -- OTel GenAI attributes: the target ---------------------------------------------------------


def test_an_evaluator_spans_result_scores_its_parent() -> None:
    span = with_parent(raw_span({**EVALUATOR, **genai(value=0.8, explanation="on topic")}, name="relevance judge"))
    score = one(span)
    assert (score.trace_id, score.span_id) == (TRACE, PARENT)
    assert (score.name, score.data_type, score.value, score.label) == ("relevance", "numeric", 0.8, None)
    assert (score.comment, score.author, score.source) == ("on topic", "relevance judge", "code")


def test_a_root_evaluator_spans_result_scores_its_trace() -> None:
    score = one(raw_span({**EVALUATOR, **genai(value=1)}))
    assert (score.trace_id, score.span_id) == (TRACE, None)


def test_a_result_on_any_other_span_scores_that_span() -> None:
    span = with_parent(raw_span({"gen_ai.operation.name": "chat", **genai(label="relevant")}))
    score = one(span)
    assert (score.trace_id, score.span_id) == (TRACE, SPAN)


def test_an_evaluator_that_names_a_model_is_an_llm_judge() -> None:
    span = with_parent(raw_span({**EVALUATOR, "llm.model_name": "gpt-4o", **genai(value=0.5)}))
    assert one(span).source == "llm_judge"


# -- OTel GenAI events -------------------------------------------------------------------------


def test_each_evaluation_event_is_a_score_on_the_span_carrying_it() -> None:
    events = (
        RawEvent(EVENT, 1, genai("relevance", 0.9, "relevant")),
        RawEvent("other", 2, {"gen_ai.evaluation.name": "not an evaluation event"}),
        RawEvent(EVENT, 3, genai("toxicity", 0.1, explanation="polite")),
    )
    span = with_parent(raw_span({**EVALUATOR}, events=events))
    found = read(span)
    assert found.skipped == 0
    rows = [(s.span_id, s.name, s.data_type, s.value, s.label, s.comment) for s in found.scores]
    assert rows == [
        (SPAN, "relevance", "numeric", 0.9, "relevant", None),
        (SPAN, "toxicity", "numeric", 0.1, None, "polite"),
    ]
    assert len({s.id for s in found.scores}) == 2


def test_the_same_name_in_two_events_is_two_scores() -> None:
    events = (RawEvent(EVENT, 1, genai("relevance", 0.9)), RawEvent(EVENT, 2, genai("relevance", 0.4)))
    found = read(raw_span({}, events=events))
    assert [s.value for s in found.scores] == [0.9, 0.4]
    assert found.scores[0].id != found.scores[1].id


# -- value types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label", "expected"),
    [
        (0.75, None, ("numeric", 0.75, None)),
        (3, "good", ("numeric", 3.0, "good")),  # a numeric score keeps the evaluator's label
        ("0.5", None, ("numeric", 0.5, None)),  # a number sent as text
        (None, "relevant", ("categorical", None, "relevant")),
        (True, None, ("boolean", 1.0, "true")),
        (False, "ignored", ("boolean", 0.0, "false")),
    ],
)
def test_the_value_gives_the_type(value: Any, label: Any, expected: tuple[Any, ...]) -> None:
    score = one(raw_span(genai(value=value, label=label)))
    assert (score.data_type, score.value, score.label) == expected


@pytest.mark.parametrize(
    "attributes",
    [
        genai(name=None, value=0.5),  # no name
        genai(name="   ", value=0.5),  # a blank name
        genai(name="x" * 201, value=0.5),  # longer than the API allows
        genai(value=math.nan),
        genai(value=math.inf, label="great"),
        genai(value="high"),  # not a number
        genai(explanation="only an explanation"),
    ],
)
def test_a_result_that_cannot_be_a_score_is_skipped_and_counted(attributes: dict[str, Any]) -> None:
    found = read(raw_span(attributes))
    assert (found.scores, found.skipped) == ([], 1)


def test_text_is_capped_as_the_api_caps_it() -> None:
    score = one(raw_span(genai(label="l" * 300, explanation="e" * 20_000), name="n" * 300))
    assert (len(score.label or ""), len(score.comment or ""), len(score.author or "")) == (200, 10_000, 200)


# -- OpenInference -----------------------------------------------------------------------------


def test_eval_name_attributes_score_the_span_carrying_them() -> None:
    span = with_parent(
        raw_span(
            {
                "eval.hallucination.label": "factual",
                "eval.hallucination.explanation": "all claims supported",
                "eval.qa.correctness.score": 1,
                "eval.other.unknown": "ignored",
            }
        )
    )
    found = read(span)
    rows = sorted((s.span_id, s.name, s.data_type, s.value, s.label, s.comment) for s in found.scores)
    assert rows == [
        (SPAN, "hallucination", "categorical", None, "factual", "all claims supported"),
        (SPAN, "qa.correctness", "numeric", 1.0, None, None),
    ]


def test_openinference_annotations_and_evaluations_from_the_real_helpers() -> None:
    attributes = {
        "openinference.span.kind": "CHAIN",
        **get_annotation_attributes(
            annotations=[
                {"name": "hallucination", "score": 0, "label": "factual", "annotator_kind": "HUMAN"},
                {"name": "tone", "label": "friendly", "explanation": "warm", "annotator_kind": "LLM"},
            ]
        ),
        **get_evaluation_attributes(evaluations=[{"name": "latency ok", "score": 1, "annotator_kind": "CODE"}]),
        **get_evaluation_attributes(evaluations=[{"name": "answered", "label": "yes"}], scope="trace"),
    }
    found = read(with_parent(raw_span(attributes)))
    assert found.skipped == 0
    rows = sorted((s.name, s.span_id, s.data_type, s.value, s.label, s.source, s.comment) for s in found.scores)
    assert rows == [
        ("answered", None, "categorical", None, "yes", "code", None),  # trace scope
        ("hallucination", SPAN, "numeric", 0.0, "factual", "human", None),
        ("latency ok", SPAN, "numeric", 1.0, None, "code", None),
        ("tone", SPAN, "categorical", None, "friendly", "llm_judge", "warm"),
    ]


def test_a_post_hoc_openinference_carrier_scores_its_linked_span() -> None:
    target_trace, target_span = "1" * 32, "2" * 16
    attributes = {**EVALUATOR, **get_evaluation_attributes(evaluations=[{"name": "correct", "label": "yes"}])}
    link = {"trace_id": target_trace, "span_id": target_span, "attributes": {}}
    score = one(with_parent(raw_span(attributes), links=(link,)))
    assert (score.trace_id, score.span_id) == (target_trace, target_span)


def test_session_scoped_openinference_results_are_skipped() -> None:
    attributes = {
        "session.id": "s-1",
        **get_annotation_attributes(annotations=[{"name": "coherent", "label": "yes"}], scope="session"),
    }
    found = read(raw_span(attributes))
    assert (found.scores, found.skipped) == ([], 1)


# -- ids and cost ------------------------------------------------------------------------------


def test_ids_are_deterministic_and_distinct() -> None:
    attributes = {**genai("relevance", 0.5), "eval.relevance.score": 0.5}
    first, again = read(raw_span(attributes)), read(raw_span(attributes))
    assert [s.id for s in first.scores] == [s.id for s in again.scores]
    assert len({s.id for s in first.scores}) == 2
    other_span = read(with_parent(raw_span(attributes), span_id="c" * 16))
    assert not {s.id for s in first.scores} & {s.id for s in other_span.scores}
    assert all(len(s.id or "") == 32 for s in first.scores)


def test_spans_without_evaluations_give_nothing() -> None:
    spans = [raw_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}) for _ in range(3)]
    assert read(*spans) == SpanScores()


def test_garbage_values_never_raise() -> None:
    attributes = {
        "gen_ai.evaluation.name": ["a", "list"],
        "gen_ai.evaluation.score.value": {"a": 1},
        "annotations.0.annotation.name": "n",
        "annotations.0.annotation.annotator_kind": ["LLM"],
        "annotations.0.annotation.label": b"bytes",
        "annotations.x.annotation.name": "no index",
    }
    found = read(raw_span(attributes))
    assert (found.scores, found.skipped) == ([], 2)
