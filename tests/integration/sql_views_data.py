"""Known spans for the sql_v1 view tests: four traces of a support assistant, times relative to
today (UTC) so that the documented "today" and "this week" examples find rows, and one span of
another project."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from server.model import LogMessages, SpanRecord
from server.storage import migrate, open_store, tables
from server.storage.urls import engine_url
from tests.integration.conftest import DATA_TABLES

OTHER_PROJECT = "other"
DAY_NS = 86_400 * 10**9
MS_NS = 10**6


def today_ns() -> int:
    """Midnight UTC today, in nanoseconds."""
    midnight = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp()) * 10**9


def _messages(role: str, text: str) -> list[dict[str, Any]]:
    return [{"role": role, "parts": [{"type": "text", "content": text}]}]


def _documents(*documents: tuple[str, float, str]) -> list[dict[str, Any]]:
    return [
        {"id": identifier, "score": score, "content": content, "metadata": {"source": f"kb/{identifier}"}}
        for identifier, score, content in documents
    ]


class _Trace:
    """Spans of one trace: each starts ``offset_ms`` after the trace's start and lasts ``ms``."""

    def __init__(self, numbers: itertools.count[int], number: int, start_ns: int, **shared: Any) -> None:
        self.numbers = numbers
        self.trace_id = f"{number:032x}"
        self.start_ns = start_ns
        self.shared = shared
        self.spans: list[SpanRecord] = []

    def span(self, name: str, kind: str, offset_ms: float, ms: float, parent: str | None, **fields: Any) -> str:
        span_id = f"{next(self.numbers):016x}"
        start = self.start_ns + int(offset_ms * MS_NS)
        values: dict[str, Any] = {
            "project_id": "default",
            "trace_id": self.trace_id,
            "span_id": span_id,
            "parent_span_id": parent,
            "name": name,
            "kind": kind,
            "status": "ok",
            "status_message": None,
            "start_time_ns": start,
            "end_time_ns": start + int(ms * MS_NS),
            "service_name": "support",
            **self.shared,
            **fields,
        }
        self.spans.append(SpanRecord(**values))
        return span_id


def _llm(
    model: str, provider: str, tokens: tuple[int, int], cost: float, *, asked: str, answered: str
) -> dict[str, Any]:
    return {
        "model": model,
        "provider": provider,
        "input_tokens": tokens[0],
        "output_tokens": tokens[1],
        "total_tokens": sum(tokens),
        "cost_usd": cost,
        "input": asked,
        "output": answered,
        "input_messages": _messages("user", asked),
        "output_messages": _messages("assistant", answered),
    }


def _tool(name: str, arguments: str, result: str | None) -> dict[str, Any]:
    return {"tool_name": name, "tool_arguments": arguments, "tool_result": result}


def build() -> list[SpanRecord]:
    """Every span of the data set."""
    today = today_ns()
    numbers = itertools.count(1)  # span IDs, the same in every build
    # Trace 1, session s1 (user u1), prompt v1: retrieve, look up an order, answer.
    one = _Trace(numbers, 1, today + 60_000 * MS_NS, session_id="s1", user_id="u1", tags=["prompt:v1"])
    root = one.span("answer", "agent", 0, 900, None, metadata={"feature": "orders"}, input="Where is order 7?")
    one.span(
        "search",
        "retriever",
        10,
        40,
        root,
        input="order 7",
        documents=_documents(("doc-a", 0.9, "Orders ship in 2 days."), ("doc-b", 0.5, "Returns take 5 days.")),
    )
    one.span("lookup_order", "tool", 60, 30, root, **_tool("lookup_order", '{"order_id": 7}', '{"status": "shipped"}'))
    one.span(
        "chat",
        "llm",
        100,
        700,
        root,
        **_llm("gpt-4o", "openai", (100, 20), 0.01, asked="Where is order 7?", answered="It shipped."),
    )

    # Trace 2, session s1 (user u1), prompt v2: the first chat call fails and is retried; the
    # retry answers nothing; the tool is slow this week.
    two = _Trace(numbers, 2, today + 120_000 * MS_NS, session_id="s1", user_id="u1", tags=["prompt:v2"])
    root = two.span("answer", "agent", 0, 2000, None, metadata={"feature": "returns"}, input="Can I return it?")
    two.span(
        "search", "retriever", 5, 50, root, input="return", documents=_documents(("doc-b", 0.8, "Returns take 5 days."))
    )
    two.span(
        "lookup_order", "tool", 60, 300, root, **_tool("lookup_order", '{"order_id": 8}', '{"status": "delivered"}')
    )
    two.span(
        "chat",
        "llm",
        400,
        100,
        root,
        status="error",
        status_message="rate limited",
        **_llm("gpt-4o", "openai", (80, 0), 0.004, asked="Can I return it?", answered=""),
    )
    two.span(
        "chat", "llm", 600, 900, root, **_llm("gpt-4o", "openai", (90, 0), 0.005, asked="Can I return it?", answered="")
    )

    # Trace 3, session s2 (user u2), prompt v1: a reranker, another model, a failing tool.
    three = _Trace(numbers, 3, today + 180_000 * MS_NS, session_id="s2", user_id="u2", tags=["prompt:v1", "beta"])
    root = three.span("answer", "agent", 0, 1500, None, metadata={"feature": "orders"}, input="Cancel order 9")
    three.span(
        "rerank",
        "reranker",
        10,
        20,
        root,
        input="cancel",
        documents=_documents(("doc-c", 0.95, "Cancel within an hour."), ("doc-a", 0.2, "Orders ship in 2 days.")),
    )
    three.span(
        "cancel_order",
        "tool",
        40,
        60,
        root,
        status="error",
        status_message="too late",
        **_tool("cancel_order", '{"order_id": 9}', None),
    )
    three.span(
        "chat",
        "llm",
        200,
        1200,
        root,
        **_llm("claude-sonnet-4", "anthropic", (300, 40), 0.02, asked="Cancel order 9", answered="Too late to cancel."),
    )

    # Trace 4, eight days ago, no session: the tool was fast last week.
    four = _Trace(numbers, 4, today - 8 * DAY_NS, tags=["prompt:v1"])
    root = four.span("answer", "agent", 0, 500, None, input="Where is order 5?")
    four.span("lookup_order", "tool", 10, 20, root, **_tool("lookup_order", '{"order_id": 5}', '{"status": "late"}'))
    # Its chat call logged its messages as GenAI log events (see log_messages), not attributes.
    sent = _llm("gpt-4o", "openai", (50, 10), 0.003, asked="Where is order 5?", answered="Soon.")
    four.span("chat", "llm", 40, 400, root, **{**sent, "input_messages": None, "output_messages": None})

    other = _Trace(numbers, 5, today, project_id=OTHER_PROJECT)
    other.span("elsewhere", "span", 0, 10, None)
    return [*one.spans, *two.spans, *three.spans, *four.spans, *other.spans]


def log_messages() -> list[LogMessages]:
    """The messages trace 4's chat call (span 16) logged: three events, sent out of order."""
    trace_id, span_id = f"{4:032x}", f"{16:016x}"
    start = today_ns() - 8 * DAY_NS + 40 * MS_NS

    def event(key: str, time_ns: int, asked: list[dict[str, Any]], answered: list[dict[str, Any]]) -> LogMessages:
        return LogMessages("default", trace_id, span_id, key, time_ns, asked, answered, event_count=1)

    return [
        event("k1", start, _messages("user", "Where is order 5?"), []),
        event("k2", start + MS_NS, [], _messages("assistant", "Soon.")),
        event("k0", start - MS_NS, _messages("system", "Be brief."), []),
    ]


def stored_database(name: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """A database migrated to head holding exactly the spans of ``build()``."""
    if name == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('sql') / 'spanscope.duckdb'}"
        migrate.upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
        migrate.upgrade(url)
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f"TRUNCATE {', '.join(DATA_TABLES)}")
    store = open_store(url)
    try:
        store.write(build())
    finally:
        store.close()
    write_evaluation(url)
    return url


def evaluation() -> dict[str, list[dict[str, Any]]]:
    """Rows of the evaluation tables, by table: a reviewer's scores on traces 1 and 3, a
    dataset of two examples (the second changed in version 2), and a run on version 2 whose
    second example failed, with its scorer's scores; plus a score of another project."""
    at = dt.datetime.fromtimestamp(today_ns() / 1e9, dt.timezone.utc) + dt.timedelta(hours=2)
    trace = [f"{number:032x}" for number in range(6)]  # trace[1] is trace 1

    def score(score_id: str, trace_id: str, name: str, typed: tuple[str, float | None, str | None], **more: Any) -> Any:
        kind, value, label = typed
        fields = {"span_id": None, "comment": None, "author": None, "run_id": None, "config_id": None}
        return {
            "project_id": "default",
            "id": score_id,
            "trace_id": trace_id,
            "name": name,
            "data_type": kind,
            "value": value,
            "label": label,
            "source": "human",
            "created_at": at,
            **fields,
            **more,
        }

    def example(example_id: str, version: int, removed: int | None, question: str, answer: str) -> dict[str, Any]:
        return {
            "project_id": "default",
            "dataset_id": "d1",
            "id": example_id,
            "version_added": version,
            "version_removed": removed,
            "input": {"question": question},
            "expected_output": answer,
            "metadata": {},
            "source_trace_id": trace[1] if example_id == "e1" else None,
            "source_span_id": None,
            "created_at": at,
        }

    return {
        "score_configs": [
            {
                "project_id": "default",
                "id": "c1",
                "name": "helpful",
                "data_type": "boolean",
                "min_value": None,
                "max_value": None,
                "categories": None,
                "description": "Did it help?",
                "created_at": at,
            },
        ],
        "scores": [
            score(
                "s1",
                trace[1],
                "helpful",
                ("boolean", 0.0, "false"),
                comment="wrong order",
                author="ada",
                config_id="c1",
            ),
            score("s2", trace[3], "helpful", ("boolean", 1.0, "true"), author="ada", config_id="c1"),
            score("s3", trace[5], "helpful", ("boolean", 1.0, "true"), project_id=OTHER_PROJECT),
            score("s4", trace[2], "exact_match", ("numeric", 1.0, None), source="code", run_id="r1"),
            score("s5", trace[4], "exact_match", ("numeric", 0.0, None), source="code", run_id="r1"),
        ],
        "datasets": [
            {
                "project_id": "default",
                "id": "d1",
                "name": "orders",
                "description": "Order questions",
                "metadata": {},
                "version": 2,
                "created_at": at,
                "updated_at": at,
            },
        ],
        "dataset_examples": [
            example("e1", 1, None, "Where is order 7?", "It shipped."),
            example("e2", 1, 2, "Cancel order 9", "Cancelled."),
            example("e2", 2, None, "Cancel order 9", "Too late to cancel."),
        ],
        "runs": [
            {
                "project_id": "default",
                "id": "r1",
                "dataset_id": "d1",
                "dataset_version": 2,
                "name": "prompt v2",
                "metadata": {"prompt_version": "v2"},
                "status": "completed",
                "started_at": at,
                "ended_at": at,
            },
        ],
        "run_results": [
            {
                "project_id": "default",
                "run_id": "r1",
                "example_id": "e1",
                "trace_id": trace[2],
                "output": "It shipped.",
                "error": None,
                "latency_ms": 900.0,
                "created_at": at,
            },
            {
                "project_id": "default",
                "run_id": "r1",
                "example_id": "e2",
                "trace_id": trace[4],
                "output": None,
                "error": "TimeoutError: the model did not answer",
                "latency_ms": 30000.0,
                "created_at": at,
            },
        ],
    }


def write_evaluation(url: str) -> None:
    """Insert ``evaluation()`` into the database at ``url``."""
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            for name, rows in evaluation().items():
                connection.execute(sa.insert(tables.metadata.tables[name]), rows)
    finally:
        engine.dispose()
