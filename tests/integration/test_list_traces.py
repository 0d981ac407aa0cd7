"""The trace list: newest first, every filter, and keyset paging without duplicates or gaps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from server.model import SpanRecord
from server.storage import Store, TraceFilter

MakeSpan = Callable[..., SpanRecord]
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
T0_NS = 1_767_225_600_000_000_000
SECOND = 1_000_000_000


@pytest.fixture
def seeded(store: Store, make_span: MakeSpan) -> Store:
    """Four traces, one second apart (trace 1 oldest), each with something to filter on."""
    spans = []
    # 1: an ok chain, tagged, on session s1 for user u1, a 2 s trace.
    root = make_span(trace=1, name="plan", kind="chain", start_time_ns=T0_NS, end_time_ns=T0_NS + 2 * SECOND)
    spans += [
        root,
        make_span(
            trace=1,
            parent=root.span_id,
            kind="llm",
            model="gpt-4o",
            total_tokens=1000,
            cost_usd=0.5,
            start_time_ns=T0_NS + 1,
            session_id="s1",
            user_id="u1",
            tags=["prod"],
            input="Tell me about 50% OFF_sales",
        ),
    ]
    # 2: a failed tool trace, 10 ms.
    spans.append(
        make_span(
            trace=2,
            name="lookup",
            kind="tool",
            status="error",
            start_time_ns=T0_NS + SECOND,
            end_time_ns=T0_NS + SECOND + 10_000_000,
        )
    )
    # 3: an LLM trace with another model, on session s2, no cost.
    spans.append(
        make_span(
            trace=3,
            name="chat",
            kind="llm",
            model="claude-sonnet",
            total_tokens=50,
            start_time_ns=T0_NS + 2 * SECOND,
            session_id="s2",
            user_id="u2",
            tags=["beta"],
            output="The Answer is 42",
        )
    )
    # 4: a retriever trace with no tokens.
    spans.append(make_span(trace=4, name="search", kind="retriever", start_time_ns=T0_NS + 3 * SECOND))
    store.write(spans)
    return store


def ids(store: Store, filters: TraceFilter) -> list[int]:
    page = store.list_traces("default", filters, limit=100, cursor=None)
    assert page.next_cursor is None
    return [int(trace["trace_id"], 16) for trace in page.traces]


def test_newest_first(seeded: Store) -> None:
    assert ids(seeded, TraceFilter()) == [4, 3, 2, 1]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (TraceFilter(start_after=T0 + timedelta(seconds=1)), [4, 3, 2]),
        (TraceFilter(start_before=T0 + timedelta(seconds=1)), [1]),
        (TraceFilter(start_after=(T0 + timedelta(seconds=1)).replace(tzinfo=None)), [4, 3, 2]),  # naive = UTC
        (TraceFilter(name="chat"), [3]),
        (TraceFilter(name="cha"), []),
        (TraceFilter(status="error"), [2]),
        (TraceFilter(status="ok"), [4, 3, 1]),
        (TraceFilter(kind="llm"), [3, 1]),
        (TraceFilter(kind="retriever"), [4]),
        (TraceFilter(model="gpt-4o"), [1]),
        (TraceFilter(model="gpt"), []),
        (TraceFilter(session_id="s1"), [1]),
        (TraceFilter(user_id="u2"), [3]),
        (TraceFilter(tag="prod"), [1]),
        (TraceFilter(tag="nope"), []),
        (TraceFilter(min_duration_ms=1000), [1]),
        (TraceFilter(max_duration_ms=10), [4, 3, 2]),
        (TraceFilter(min_duration_ms=5, max_duration_ms=10), [2]),
        (TraceFilter(min_tokens=100), [1]),
        (TraceFilter(max_tokens=100), [3]),
        (TraceFilter(min_cost=0.1), [1]),
        (TraceFilter(max_cost=0.1), []),  # traces without a cost never match a cost bound
        (TraceFilter(text="answer IS"), [3]),
        (TraceFilter(text="50% off_"), [1]),
        (TraceFilter(text="50%_OFF"), []),  # % and _ are literal characters
        (TraceFilter(kind="llm", min_tokens=10, max_tokens=60), [3]),
    ],
)
def test_filter(seeded: Store, filters: TraceFilter, expected: list[int]) -> None:
    assert ids(seeded, filters) == expected


def test_paging_visits_every_trace_once(store: Store, make_span: MakeSpan) -> None:
    # 25 traces, with ties on start_time (five traces per instant) to exercise the tie-break.
    store.write([make_span(trace=trace, start_time_ns=T0_NS + (trace // 5) * SECOND) for trace in range(1, 26)])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.list_traces("default", TraceFilter(), limit=10, cursor=cursor)
        seen += [trace["trace_id"] for trace in page.traces]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    ordered = sorted(seen, key=lambda trace_id: (trace_id_start(trace_id), trace_id), reverse=True)
    assert seen == ordered


def test_paging_with_a_filter_and_an_exact_last_page(store: Store, make_span: MakeSpan) -> None:
    store.write([make_span(trace=trace, kind="tool" if trace % 2 else "llm") for trace in range(1, 21)])
    first = store.list_traces("default", TraceFilter(kind="tool"), limit=5, cursor=None)
    second = store.list_traces("default", TraceFilter(kind="tool"), limit=5, cursor=first.next_cursor)
    assert second.next_cursor is None  # exactly 10 tool traces: no empty third page
    assert [int(t["trace_id"], 16) for t in first.traces + second.traces] == list(range(19, 0, -2))


def test_a_bad_cursor_is_a_value_error(store: Store) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        store.list_traces("default", TraceFilter(), limit=10, cursor="not-a-cursor")


def trace_id_start(trace_id: str) -> int:
    return int(trace_id, 16) // 5
