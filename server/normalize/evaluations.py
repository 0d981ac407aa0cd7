"""Evaluation results that spans carry, as scores (docs/evaluation.md, "From spans at ingest").

Forms read, each result one score:

- OTel GenAI attributes ``gen_ai.evaluation.{name,score.value,score.label,explanation}``: on an
  evaluator span (normalized kind ``evaluator``) they score its parent, or its trace when it has
  none; on any other span, that span.
- OTel GenAI span events ``gen_ai.evaluation.result`` with the same attributes: one score per
  event, on the span that carries it.
- OpenInference (``spec/annotations.md``): ``annotations.N.annotation.*`` and
  ``evaluations.N.evaluation.*`` score the carrying span, ``trace.annotations.N.*`` and
  ``trace.evaluations.N.*`` its trace. A post-hoc carrier (an evaluator span with exactly one
  link) scores the linked span, or the linked trace. ``session.*`` results have no target here:
  skipped.
- ``eval.<name>.{score,label,explanation}``: scores the carrying span.

A bool value is ``boolean``; a number ``numeric`` (with the label, if any); a label alone
``categorical``. A result without a name, with neither value nor label, or with a value that is
not a finite number is skipped and counted. Each score's ``id`` is derived from the carrying
span and the result's place in it, so a resent batch gives the same ids.

>>> from server.model import RawSpan
>>> from server.normalize import normalize
>>> raw = RawSpan("a" * 32, "b" * 16, None, "judge", 1, 1, 2, 0, None,
...               {"eval.tone.label": "friendly"})
>>> found = scores_from_spans([raw], [normalize(raw, "default")])
>>> [(score.name, score.data_type, score.label, score.span_id) for score in found.scores]
[('tone', 'categorical', 'friendly', 'bbbbbbbbbbbbbbbb')]
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.model import RawSpan, SpanRecord
from server.normalize._values import as_float, as_str
from server.storage.scores import NewScore

__all__ = ["SpanScores", "scores_from_spans"]

logger = logging.getLogger("spanscope.normalize")

EVENT = "gen_ai.evaluation.result"
_GENAI = "gen_ai.evaluation."
_EVAL = "eval."
_EVAL_FIELDS = ("score", "label", "explanation")
# OpenInference collections: prefix -> (scope, field prefix inside an item).
_OPENINFERENCE = {
    "annotations.": ("span", "annotation."),
    "evaluations.": ("span", "evaluation."),
    "trace.annotations.": ("trace", "annotation."),
    "trace.evaluations.": ("trace", "evaluation."),
    "session.annotations.": ("session", "annotation."),
    "session.evaluations.": ("session", "evaluation."),
}
_PREFIXES = (_GENAI, _EVAL, *_OPENINFERENCE)
_SOURCES = {"LLM": "llm_judge", "CODE": "code", "HUMAN": "human"}  # OpenInference annotator_kind

# The limits the scores API enforces (server/api/scores.py).
MAX_NAME = MAX_LABEL = MAX_AUTHOR = 200
MAX_COMMENT = 10_000

# Attribute keys seen on spans that carry no evaluation. Almost every span is one of those, and
# its keys repeat, so one C-level superset test answers for the whole span (about 0.1 us,
# against 1 us for a prefix test per key). Bounded: keys are sender-controlled.
_PLAIN_KEYS: set[Any] = set()
_MAX_PLAIN_KEYS = 100_000


@dataclass(slots=True)
class SpanScores:
    """The scores a request's spans carried, and how many results were skipped."""

    scores: list[NewScore] = field(default_factory=list)
    skipped: int = 0


def scores_from_spans(raws: Sequence[RawSpan], records: Sequence[SpanRecord]) -> SpanScores:
    """The scores in ``raws`` (as decoded), with ``records`` their normalized spans (for the
    kind and the model). Never raises on attribute values."""
    found = SpanScores()
    for raw, record in zip(raws, records, strict=True):
        if _may_carry(raw):
            _read_span(raw, record, found)
    return found


def _may_carry(raw: RawSpan) -> bool:
    attributes = raw.attributes
    if not _PLAIN_KEYS.issuperset(attributes):
        if any(isinstance(key, str) and key.startswith(_PREFIXES) for key in attributes):
            return True
        if len(_PLAIN_KEYS) >= _MAX_PLAIN_KEYS:
            _PLAIN_KEYS.clear()
        _PLAIN_KEYS.update(attributes)
    return any(event.name == EVENT for event in raw.events)


@dataclass(frozen=True, slots=True)
class _Result:
    """One evaluation result as sent, before it is checked."""

    key: tuple[str, ...]  # where it sits in the carrying span: makes the score id
    trace_id: str
    span_id: str | None
    name: Any
    value: Any
    label: Any
    explanation: Any
    source: str | None = None


def _read_span(raw: RawSpan, record: SpanRecord, found: SpanScores) -> None:
    source = "llm_judge" if record.model is not None else "code"
    author = raw.name[:MAX_AUTHOR] or None
    scores: list[NewScore] = []
    skipped = 0
    try:
        for result in _results(raw, record):
            score = _score(raw, result, result.source if result is not None and result.source else source, author)
            if score is None:
                skipped += 1
            else:
                scores.append(score)
    except Exception:  # a sender's garbage must never cost the request its spans
        logger.debug("reading evaluations of span %s failed", raw.span_id, exc_info=True)
        found.skipped += 1
        return
    found.scores.extend(scores)
    found.skipped += skipped


def _results(raw: RawSpan, record: SpanRecord) -> Iterable[_Result | None]:
    """Every result in the span; None for one that has no target here (counted as skipped)."""
    attributes = raw.attributes
    genai: dict[str, Any] = {}
    named: dict[str, dict[str, Any]] = {}  # eval.<name>.<field>
    items: dict[tuple[str, str, int], dict[str, Any]] = {}  # OpenInference, by (collection, index)
    for key, value in attributes.items():
        if not isinstance(key, str):
            continue
        if key.startswith(_GENAI):
            genai[key[len(_GENAI) :]] = value
        elif key.startswith(_EVAL):
            name, _, part = key[len(_EVAL) :].rpartition(".")
            if name and part in _EVAL_FIELDS:
                named.setdefault(name, {})[part] = value
        else:
            for prefix, (_, inner) in _OPENINFERENCE.items():
                if key.startswith(prefix):
                    position, _, rest = key[len(prefix) :].partition(".")
                    if position.isdigit() and rest.startswith(inner):
                        items.setdefault((prefix, inner, int(position)), {})[rest[len(inner) :]] = value
                    break

    trace_id, span_id = raw.trace_id, raw.span_id
    if genai:
        # An evaluator span's own result is about what it evaluated: its parent.
        target = raw.parent_span_id if record.kind == "evaluator" else span_id
        yield _genai(("gen_ai",), trace_id, target, genai)
    for index, event in enumerate(raw.events):
        if event.name == EVENT:
            result = {key[len(_GENAI) :]: value for key, value in event.attributes.items() if key.startswith(_GENAI)}
            yield _genai(("gen_ai.event", str(index)), trace_id, span_id, result)
    for name, parts in named.items():
        yield _Result(
            ("eval", name), trace_id, span_id, name, parts.get("score"), parts.get("label"), parts.get("explanation")
        )
    if items:
        yield from _openinference(raw, record, items)


def _genai(key: tuple[str, ...], trace_id: str, span_id: str | None, fields: Mapping[str, Any]) -> _Result:
    return _Result(
        key,
        trace_id,
        span_id,
        fields.get("name"),
        fields.get("score.value"),
        fields.get("score.label"),
        fields.get("explanation"),
    )


def _openinference(
    raw: RawSpan, record: SpanRecord, items: Mapping[tuple[str, str, int], Mapping[str, Any]]
) -> Iterable[_Result | None]:
    # A post-hoc carrier names its target with its one link; parentage does not say (spec).
    linked = _linked(raw) if record.kind == "evaluator" else None
    trace_id, span_id = linked or (raw.trace_id, raw.span_id)
    for (prefix, inner, index), fields in sorted(items.items()):
        scope = _OPENINFERENCE[prefix][0]
        if scope == "session":  # a session is no score target
            yield None
            continue
        identifier = as_str(fields.get("identifier"))
        # The identifier, when given, names the result (spec); else its place in the list.
        place = ("id", identifier) if identifier else (inner, str(index))
        yield _Result(
            ("openinference", scope, *place),
            trace_id,
            span_id if scope == "span" else None,
            fields.get("name"),
            fields.get("score"),
            fields.get("label"),
            fields.get("explanation"),
            _SOURCES.get(as_str(fields.get("annotator_kind")) or ""),
        )


def _linked(raw: RawSpan) -> tuple[str, str] | None:
    if len(raw.links) != 1:
        return None
    trace_id, span_id = raw.links[0].get("trace_id"), raw.links[0].get("span_id")
    if (
        not (isinstance(trace_id, str) and isinstance(span_id, str))
        or not trace_id.strip("0")
        or not span_id.strip("0")
    ):
        return None  # an invalid (zero) context
    return trace_id, span_id


def _score(raw: RawSpan, result: _Result | None, source: str, author: str | None) -> NewScore | None:
    if result is None:
        return None
    name = as_str(result.name)
    name = name.strip() if name is not None else None
    if not name or len(name) > MAX_NAME:
        return None
    typed = _typed(result.value, result.label)
    if typed is None:
        return None
    data_type, value, label = typed
    comment = as_str(result.explanation)
    return NewScore(
        trace_id=result.trace_id,
        span_id=result.span_id,
        name=name,
        data_type=data_type,
        value=value,
        label=label,
        source=source,
        comment=comment[:MAX_COMMENT] if comment is not None else None,
        author=author,
        id=_score_id(raw, result.key, name),
    )


def _typed(value: Any, label: Any) -> tuple[str, float | None, str | None] | None:
    """(data type, value, label); None when the result has no usable value."""
    text = as_str(label)
    text = text[:MAX_LABEL] if text is not None else None
    if isinstance(value, bool):
        return "boolean", float(value), "true" if value else "false"
    if value is not None:
        number = as_float(value)  # NaN, infinity and garbage give None: skipped
        return None if number is None else ("numeric", number, text)
    return None if text is None else ("categorical", None, text)


def _score_id(raw: RawSpan, key: tuple[str, ...], name: str) -> str:
    """32 hex digits from the carrying span and the result's place in it."""
    text = "\x1f".join((raw.trace_id, raw.span_id, *key, name))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
