"""Writing spans and reading them back: every field round-trips, resending changes nothing, and
projects never see each other's rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from server.model import SpanRecord
from server.storage import Store, TraceFilter

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MakeSpan = Callable[..., SpanRecord]


def expected_row(span: SpanRecord) -> dict[str, Any]:
    """What a span row must read back as: the record's fields, times as aware datetimes."""
    row = dataclasses.asdict(span)
    for name in ("start_time", "end_time"):
        row[name] = EPOCH + timedelta(microseconds=row.pop(f"{name}_ns") // 1000)
    row["duration_ms"] = span.duration_ms
    return row


def full_span(make_span: MakeSpan, **fields: Any) -> SpanRecord:
    """A span with every field set, including unicode and nested JSON."""
    values: dict[str, Any] = {
        "kind": "llm",
        "status": "error",
        "status_message": "rate limited ⚠",
        "start_time_ns": 1_767_225_600_123_456_789,
        "end_time_ns": 1_767_225_601_123_456_000,
        "service_name": "rag-api",
        "scope_name": "openinference.instrumentation.openai",
        "model": "gpt-4o-mini",
        "provider": "openai",
        "input_tokens": 1200,
        "output_tokens": 80,
        "total_tokens": 1280,
        "cache_read_tokens": 1024,
        "cache_write_tokens": 0,
        "reasoning_tokens": 12,
        "cost_usd": 0.000228,
        "cost_source": "span",
        "input": '{"question": "Où est la gare? 東京"}',
        "input_mime_type": "application/json",
        "output": "À gauche 🚉",
        "output_mime_type": "text/plain",
        "input_messages": [{"role": "user", "parts": [{"type": "text", "content": "Où est la gare?"}]}],
        "output_messages": [{"role": "assistant", "parts": [{"type": "text", "content": "À gauche"}]}],
        "documents": [{"id": "d1", "content": "gare", "score": 0.91, "metadata": {"page": 3, "tags": ["a", None]}}],
        "tool_name": "search",
        "tool_arguments": '{"q": "gare"}',
        "tool_result": "[]",
        "session_id": "session-1",
        "user_id": "user-1",
        "tags": ["prod", "beta"],
        "metadata": {"nested": {"list": [1, 2.5, True, None, {"deep": "ok"}]}, "empty": {}},
        "attributes": {"llm.model_name": "gpt-4o-mini", "count": 3, "ratio": 0.5, "flag": False},
        "resource_attributes": {"service.name": "rag-api", "host": {"name": "h1"}},
        "events": [{"name": "exception", "time_ns": 1_767_225_600_500_000_000, "attributes": {"type": "E"}}],
        "links": [{"trace_id": "ab" * 16, "span_id": "cd" * 8, "attributes": {}}],
        "dialects": ["openinference"],
        "unmapped_keys": ["custom.key"],
    }
    values.update(fields)
    return make_span(**values)


def test_every_field_round_trips(store: Store, make_span: MakeSpan) -> None:
    span = full_span(make_span)
    assert store.write([span]) == 1
    row = store.get_span("default", span.trace_id, span.span_id)
    assert row == expected_row(span)
    assert row is not None and row["start_time"].tzinfo is not None


def test_none_fields_and_empty_json_round_trip(store: Store, make_span: MakeSpan) -> None:
    span = make_span()  # every optional field at its default
    store.write([span])
    assert store.get_span("default", span.trace_id, span.span_id) == expected_row(span)


def test_nul_is_replaced_everywhere_on_both_backends(store: Store, make_span: MakeSpan) -> None:
    span = full_span(
        make_span,
        name="a\x00b",
        input="in\x00put",
        output="\x00",
        tags=["t\x00"],
        metadata={"k\x00ey": "va\x00lue", "list": ["\x00", {"deep\x00": "x\x00"}], "literal": "\\u0000"},
        attributes={"nul": "\x00\x00"},
    )
    store.write([span])
    row = store.get_span("default", span.trace_id, span.span_id)
    assert row is not None
    assert row["name"] == "a\ufffdb"
    assert row["input"] == "in\ufffdput"
    assert row["output"] == "\ufffd"
    assert row["tags"] == ["t\ufffd"]
    # A backslash followed by "u0000" is text, not a NUL: it is kept as it was.
    assert row["metadata"] == {
        "k\ufffdey": "va\ufffdlue",
        "list": ["\ufffd", {"deep\ufffd": "x\ufffd"}],
        "literal": "\\u0000",
    }
    assert row["attributes"] == {"nul": "\ufffd\ufffd"}


def test_resending_a_batch_changes_nothing(store: Store, make_span: MakeSpan) -> None:
    root = make_span(trace=1, kind="chain", input_tokens=None)
    batch = [root, make_span(trace=1, parent=root.span_id, kind="llm", input_tokens=10, cost_usd=0.5)]
    assert store.write(batch) == 2
    before = store.get_trace("default", root.trace_id)
    assert store.write(batch) == 0
    assert store.write(batch + batch) == 0  # duplicates inside one batch too
    assert store.get_trace("default", root.trace_id) == before
    page = store.list_traces("default", TraceFilter(), limit=10, cursor=None)
    assert [trace["span_count"] for trace in page.traces] == [2]


def test_get_trace_returns_summary_and_spans_in_start_order(store: Store, make_span: MakeSpan) -> None:
    root = make_span(trace=7, name="root", start_time_ns=1_767_225_600_000_000_000)
    late = make_span(trace=7, parent=root.span_id, start_time_ns=1_767_225_600_300_000_000)
    early = make_span(trace=7, parent=root.span_id, start_time_ns=1_767_225_600_100_000_000)
    store.write([late, root, early])
    trace = store.get_trace("default", root.trace_id)
    assert trace is not None
    assert trace["name"] == "root" and trace["root_span_id"] == root.span_id
    assert [span["span_id"] for span in trace["spans"]] == [root.span_id, early.span_id, late.span_id]
    assert trace["spans"][0] == expected_row(root)


def test_missing_ids_return_none(store: Store, make_span: MakeSpan) -> None:
    span = make_span(trace=3)
    store.write([span])
    assert store.get_trace("default", "f" * 32) is None
    assert store.get_span("default", span.trace_id, "f" * 16) is None
    assert store.get_span("default", "f" * 32, span.span_id) is None


def test_projects_are_isolated(store: Store, make_span: MakeSpan) -> None:
    # The same trace and span IDs in two projects are two different spans.
    a = make_span(trace=5, project_id="a", name="in a", session_id="s", user_id="u", tags=["t"])
    b = dataclasses.replace(a, project_id="b", name="in b")
    assert store.write([a, b]) == 2
    assert store.get_span("b", a.trace_id, a.span_id) == expected_row(b)
    trace = store.get_trace("b", a.trace_id)
    assert trace is not None and [span["name"] for span in trace["spans"]] == ["in b"]
    assert store.get_trace("c", a.trace_id) is None
    assert store.get_span("c", a.trace_id, a.span_id) is None
    for project, name in (("a", "in a"), ("b", "in b")):
        page = store.list_traces(project, TraceFilter(), limit=10, cursor=None)
        assert [trace["name"] for trace in page.traces] == [name]
    assert store.list_traces("c", TraceFilter(), limit=10, cursor=None).traces == []


def test_health_passes_on_a_reachable_database(store: Store) -> None:
    store.health()
