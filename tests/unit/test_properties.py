"""Property tests: serialization never raises and always yields JSON; the one-step
sampler decides exactly as the stock ParentBased(TraceIdRatioBased) pair."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

from tracer._internal.configure import RatioSampler
from tracer._internal.serialize import to_json, to_text


@dataclasses.dataclass
class Point:
    x: float
    label: str


class Opaque:
    def __init__(self, payload: Any) -> None:
        self.payload = payload


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # including ints orjson cannot encode (over 64 bits)
    st.floats(),  # including NaN and infinities
    st.text(),
    st.binary(max_size=64),
    st.datetimes(),
    st.uuids(),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.tuples(children, children),
        st.frozensets(st.integers(), max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=5),
        st.builds(Point, st.floats(), st.text(max_size=8)),
        st.builds(Opaque, children),
    ),
    max_leaves=20,
)


@given(values)
@settings(max_examples=300, deadline=None)
def test_to_json_never_raises_and_is_always_json(value: Any) -> None:
    text = to_json(value)
    orjson.loads(text)  # raises if it is not JSON


@given(values, st.integers(min_value=1, max_value=200))
@settings(max_examples=200, deadline=None)
def test_to_text_respects_the_limit_and_labels_the_type(value: Any, limit: int) -> None:
    text, mime = to_text(value, limit)
    marker = len("...[truncated  chars]") + 20
    assert len(text) <= limit + marker
    if mime == "application/json":
        orjson.loads(text)
    else:
        assert mime == "text/plain"


def test_known_types_serialize_readably() -> None:
    moment = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
    identifier = uuid.UUID(int=1)
    assert orjson.loads(to_json({"when": moment, "id": identifier, "p": Point(1.5, "a"), "b": b"abc", "s": {3}})) == {
        "when": "2026-11-24T12:00:00+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "p": {"x": 1.5, "label": "a"},
        "b": "<3 bytes>",
        "s": [3],
    }


def _parent_context(sampled: bool | None, remote: bool) -> Any:
    if sampled is None:
        return None
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else 0)
    context = SpanContext(0xABC, 0xDEF, is_remote=remote, trace_flags=flags, trace_state=TraceState([("k", "v")]))
    return otel_trace.set_span_in_context(NonRecordingSpan(context))


@given(
    rate=st.floats(min_value=0.0, max_value=1.0),
    trace_id=st.integers(min_value=1, max_value=2**128 - 1),
    parent_sampled=st.one_of(st.none(), st.booleans()),
    remote=st.booleans(),
)
@settings(max_examples=500, deadline=None)
def test_ratio_sampler_matches_the_stock_pair(
    rate: float, trace_id: int, parent_sampled: bool | None, remote: bool
) -> None:
    parent = _parent_context(parent_sampled, remote)
    attributes = {"a": 1}
    ours = RatioSampler(rate).should_sample(parent, trace_id, "span", attributes=attributes)
    stock = ParentBased(TraceIdRatioBased(rate)).should_sample(parent, trace_id, "span", attributes=attributes)
    assert ours.decision == stock.decision
    assert dict(ours.attributes) == dict(stock.attributes)
    assert ours.trace_state == stock.trace_state
