"""The per-trace summary stays right however spans arrive: children before their root, one trace
over several batches, duplicates, and across many traces in one batch."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from server.model import SpanRecord
from server.storage import Store

MakeSpan = Callable[..., SpanRecord]
T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z in ns
MS = 1_000_000


def utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1000 / 1e6, tz=timezone.utc)


def one_trace(make_span: MakeSpan) -> list[SpanRecord]:
    """A root (chain) with a retriever, two LLM calls (one failed) and a tool; the tool starts
    first by clock skew and the second LLM call ends last."""
    root = make_span(
        trace=42,
        name="answer question",
        kind="chain",
        start_time_ns=T0,
        end_time_ns=T0 + 900 * MS,
        input="What is the capital of France? " * 20,
        output="Paris",
        tags=["prod"],
        user_id="user-root",
    )
    parent = root.span_id
    return [
        root,
        make_span(trace=42, parent=parent, kind="retriever", start_time_ns=T0 + 10 * MS, tags=["rag", "prod"]),
        make_span(
            trace=42,
            parent=parent,
            kind="llm",
            model="gpt-4o",
            input_tokens=100,
            output_tokens=20,
            total_tokens=120,
            cost_usd=0.25,
            start_time_ns=T0 + 100 * MS,
            session_id="session-1",
        ),
        make_span(
            trace=42,
            parent=parent,
            kind="llm",
            model="claude-sonnet",
            status="error",
            input_tokens=50,
            output_tokens=None,
            total_tokens=50,
            start_time_ns=T0 + 200 * MS,
            end_time_ns=T0 + 1500 * MS,
            tags=["beta"],
            user_id="user-child",
        ),
        make_span(trace=42, parent=parent, kind="tool", name="search", start_time_ns=T0 - 5 * MS),
    ]


EXPECTED: dict[str, Any] = {
    "name": "answer question",
    "start_time": utc(T0 - 5 * MS),
    "end_time": utc(T0 + 1500 * MS),
    "duration_ms": 1505.0,
    "span_count": 5,
    "error_count": 1,
    "input_tokens": 150,
    "output_tokens": 20,
    "total_tokens": 170,
    "cost_usd": 0.25,
    "session_id": "session-1",  # the root has none: any span's
    "user_id": "user-root",  # the root's wins over a child's
    "tags": ["beta", "prod", "rag"],
    "models": ["claude-sonnet", "gpt-4o"],
    "kinds": ["chain", "llm", "retriever", "tool"],
    "input_preview": ("What is the capital of France? " * 20)[:300],
    "output_preview": "Paris",
}


def summary(store: Store, trace_id: str) -> dict[str, Any]:
    trace = store.get_trace("default", trace_id)
    assert trace is not None
    return {key: trace[key] for key in (*EXPECTED, "root_span_id")}


def test_one_batch(store: Store, make_span: MakeSpan) -> None:
    spans = one_trace(make_span)
    store.write(spans)
    assert summary(store, spans[0].trace_id) == {**EXPECTED, "root_span_id": spans[0].span_id}


def test_children_before_root_across_three_batches_with_duplicates(store: Store, make_span: MakeSpan) -> None:
    root, retriever, llm, failed_llm, tool = one_trace(make_span)
    store.write([tool, failed_llm])
    early = store.get_trace("default", root.trace_id)
    assert early is not None
    # No root yet: no root_span_id, and the earliest span names the trace.
    assert early["root_span_id"] is None
    assert early["name"] == "search"
    assert early["span_count"] == 2
    assert early["cost_usd"] is None  # no span with a cost yet: NULL, not 0
    store.write([llm, failed_llm])
    store.write([retriever, root, tool])
    assert summary(store, root.trace_id) == {**EXPECTED, "root_span_id": root.span_id}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_gives_the_same_summary(store: Store, make_span: MakeSpan, seed: int) -> None:
    spans = one_trace(make_span) * 2  # every span sent twice
    random.Random(seed).shuffle(spans)
    for start in range(0, len(spans), 3):
        store.write(spans[start : start + 3])
    assert summary(store, spans[0].trace_id) == {
        **EXPECTED,
        "root_span_id": next(s.span_id for s in spans if s.parent_span_id is None),
    }


@pytest.mark.parametrize("seed", [4, 5, 6, 7])
def test_a_trace_split_over_batches_read_only_at_the_end(store: Store, make_span: MakeSpan, seed: int) -> None:
    # No resends, no read in between: on DuckDB every batch's change to the summary waits in one
    # queue, and one fold must combine them as if they had come together.
    spans = one_trace(make_span)
    random.Random(seed).shuffle(spans)
    for start in range(0, len(spans), 2):
        store.write(spans[start : start + 2])
    root = next(span for span in spans if span.parent_span_id is None)
    assert summary(store, root.trace_id) == {**EXPECTED, "root_span_id": root.span_id}


def test_many_traces_in_one_batch_are_summarized_separately(store: Store, make_span: MakeSpan) -> None:
    batch = []
    for trace in range(1, 21):
        root = make_span(trace=trace, kind="agent", cost_usd=float(trace))
        batch += [root] + [make_span(trace=trace, parent=root.span_id, total_tokens=trace) for _ in range(trace % 4)]
    store.write(batch)
    for trace in range(1, 21):
        row = store.get_trace("default", f"{trace:032x}")
        assert row is not None
        assert row["span_count"] == 1 + trace % 4
        assert row["cost_usd"] == float(trace)
        assert row["total_tokens"] == (trace * (trace % 4) or None)
        assert row["kinds"] == (["agent", "span"] if trace % 4 else ["agent"])


def test_a_trace_without_tags_models_or_costs(store: Store, make_span: MakeSpan) -> None:
    span = make_span(trace=9)
    store.write([span])
    row = store.get_trace("default", span.trace_id)
    assert row is not None
    assert (row["tags"], row["models"], row["kinds"]) == ([], [], ["span"])
    assert (row["input_tokens"], row["cost_usd"], row["input_preview"]) == (None, None, None)
    assert row["duration_ms"] == 0.5
