"""The read API over real sockets, on DuckDB and Postgres: the trace list (order, every filter,
cursor paging, bad parameters), one trace as a span tree, one span, /health and /openapi.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.integration.collector_helpers import (
    T0_NS,
    RunningCollector,
    all_spans,
    new_span_id,
    new_trace_id,
    running_collector,
    span,
    text_message,
    traces_request,
)
from tests.integration.conftest import Backend

T0 = datetime.fromtimestamp(T0_NS / 1e9, timezone.utc)
MINUTE_NS = 60 * 1_000_000_000


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url) as running:
        yield running


@dataclass
class Sent:
    """What a trace of the dataset was built with, to compute what each filter must return."""

    trace_id: str
    index: int
    name: str
    start: datetime
    duration_ms: float
    error: bool
    kinds: set[str]
    model: str | None
    total_tokens: int | None
    cost: float | None
    session_id: str
    user_id: str
    tags: set[str]
    texts: list[str] = field(default_factory=list)


def build_dataset(count: int = 25) -> tuple[list[Sent], dict[str, Any]]:
    """``count`` traces of 2 or 3 spans, two by two with the same start time (the cursor must
    break ties), with every filtered field varying."""
    sent: list[Sent] = []
    spans: list[dict[str, Any]] = []
    for index in range(count):
        trace_id = new_trace_id()
        start_ns = T0_NS + (index // 2) * MINUTE_NS
        duration_ms = 100.0 * (index + 1)
        name = f"pipeline {index % 3}"
        session_id, user_id = f"session-{index % 4}", f"user-{index % 2}"
        tags = {"even" if index % 2 == 0 else "odd"} | ({"special"} if index == 7 else set())
        error = index % 5 == 0
        root = span(
            trace_id,
            name,
            start_ns=start_ns,
            duration_ms=duration_ms,
            attributes={
                "openinference.span.kind": "CHAIN",
                "session.id": session_id,
                "user.id": user_id,
                "tag.tags": sorted(tags),
            },
            error="boom" if error else None,
        )
        spans.append(root)
        kinds = {"chain"}
        model = total = cost = None
        texts = []
        if index % 3 == 0:
            kinds.add("retriever")
            spans.append(
                span(
                    trace_id,
                    "retrieve",
                    parent=root["spanId"],
                    start_ns=start_ns + 1_000_000,
                    attributes={"openinference.span.kind": "RETRIEVER", "input.value": f"lookup {index}"},
                )
            )
            texts.append(f"lookup {index}")
        else:
            kinds.add("llm")
            model = "gpt-4o" if index % 2 else "gpt-4o-mini"
            total, cost = 100 + index, round(0.01 * index, 2)
            texts += [f"question number {index}", f"answer {index}"]
            spans.append(
                span(
                    trace_id,
                    f"chat {model}",
                    parent=root["spanId"],
                    start_ns=start_ns + 1_000_000,
                    attributes={
                        "gen_ai.operation.name": "chat",
                        "gen_ai.request.model": model,
                        "gen_ai.usage.input_tokens": 100,
                        "gen_ai.usage.output_tokens": index,
                        "llm.cost.total": cost,
                        "input.value": texts[0],
                        "output.value": texts[1],
                    },
                )
            )
        if index % 4 == 1:
            kinds.add("tool")
            spans.append(
                span(
                    trace_id,
                    "execute_tool lookup",
                    parent=root["spanId"],
                    start_ns=start_ns + 2_000_000,
                    attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"},
                )
            )
        start = T0 + timedelta(minutes=index // 2)
        sent.append(
            Sent(trace_id, index, name, start, duration_ms, error, kinds, model, total, cost, session_id, user_id, tags)
        )
        sent[-1].texts = texts
    return sent, traces_request(*spans)


@pytest.fixture
def dataset(collector: RunningCollector) -> list[Sent]:
    sent, payload = build_dataset()
    response = collector.post_json(payload)
    assert response.status_code == 200, response.text
    assert response.json() == {}
    return sent


def every_page(collector: RunningCollector, **params: Any) -> list[dict[str, Any]]:
    """The trace list, following next_cursor to the end."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = collector.traces(**params, **({"cursor": cursor} if cursor else {}))
        found += page["traces"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("paging does not end")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- the trace list --------------------------------------------------------------------------------


def test_the_list_is_newest_first_with_right_summaries(collector: RunningCollector, dataset: list[Sent]) -> None:
    listed = collector.traces(limit=500)
    assert listed["next_cursor"] is None
    traces = listed["traces"]
    assert sorted(item["trace_id"] for item in traces) == sorted(sent.trace_id for sent in dataset)
    starts = [datetime.fromisoformat(item["start_time"]) for item in traces]
    assert starts == sorted(starts, reverse=True)
    assert traces[0]["start_time"] == iso(dataset[-1].start)
    by_id = {sent.trace_id: sent for sent in dataset}
    for item in traces:
        sent = by_id[item["trace_id"]]
        assert item["name"] == sent.name
        assert item["duration_ms"] == pytest.approx(sent.duration_ms)
        assert item["span_count"] == 2 + ("tool" in sent.kinds)
        assert item["error_count"] == int(sent.error)
        assert set(item["kinds"]) == sent.kinds
        assert item["models"] == ([sent.model] if sent.model else [])
        assert item["total_tokens"] == sent.total_tokens
        assert item["cost_usd"] == pytest.approx(sent.cost)
        assert (item["session_id"], item["user_id"], set(item["tags"])) == (sent.session_id, sent.user_id, sent.tags)


FILTERS: list[tuple[dict[str, Any], Callable[[Sent], bool]]] = [
    ({"start_after": iso(T0 + timedelta(minutes=5))}, lambda s: s.start >= T0 + timedelta(minutes=5)),
    ({"start_before": iso(T0 + timedelta(minutes=5))}, lambda s: s.start < T0 + timedelta(minutes=5)),
    (
        {"start_after": iso(T0 + timedelta(minutes=2)), "start_before": "2026-01-01T00:06:00+00:00"},
        lambda s: T0 + timedelta(minutes=2) <= s.start < T0 + timedelta(minutes=6),
    ),
    ({"name": "pipeline 1"}, lambda s: s.name == "pipeline 1"),
    ({"name": "pipeline"}, lambda s: False),  # the exact name
    ({"status": "error"}, lambda s: s.error),
    ({"status": "ok"}, lambda s: not s.error),
    ({"kind": "tool"}, lambda s: "tool" in s.kinds),
    ({"kind": "retriever"}, lambda s: "retriever" in s.kinds),
    ({"kind": "agent"}, lambda s: False),
    ({"model": "gpt-4o"}, lambda s: s.model == "gpt-4o"),
    ({"model": "gpt-4o-mini"}, lambda s: s.model == "gpt-4o-mini"),
    ({"session_id": "session-2"}, lambda s: s.session_id == "session-2"),
    ({"user_id": "user-1"}, lambda s: s.user_id == "user-1"),
    ({"tag": "special"}, lambda s: "special" in s.tags),
    ({"tag": "even"}, lambda s: "even" in s.tags),
    ({"min_duration_ms": 1000}, lambda s: s.duration_ms >= 1000),
    ({"max_duration_ms": 1000}, lambda s: s.duration_ms <= 1000),
    ({"min_duration_ms": 550, "max_duration_ms": 1250.5}, lambda s: 550 <= s.duration_ms <= 1250.5),
    ({"min_tokens": 110}, lambda s: s.total_tokens is not None and s.total_tokens >= 110),
    ({"max_tokens": 110}, lambda s: s.total_tokens is not None and s.total_tokens <= 110),
    ({"min_cost": 0.1}, lambda s: s.cost is not None and s.cost >= 0.1),
    ({"max_cost": 0.1}, lambda s: s.cost is not None and s.cost <= 0.1),
    ({"min_cost": 0.05, "max_cost": 0.15}, lambda s: s.cost is not None and 0.05 <= s.cost <= 0.15),
    ({"text": "NUMBER 7"}, lambda s: any("number 7" in text for text in s.texts)),
    ({"text": "lookup"}, lambda s: any("lookup" in text for text in s.texts)),
    ({"text": "answer 1"}, lambda s: any("answer 1" in text for text in s.texts)),
    ({"text": "50%_"}, lambda s: False),  # LIKE wildcards are plain characters
    (
        {"model": "gpt-4o", "status": "ok", "user_id": "user-1", "min_tokens": 105},
        lambda s: s.model == "gpt-4o" and not s.error and s.user_id == "user-1" and (s.total_tokens or 0) >= 105,
    ),
]


def test_every_filter_narrows_the_list_correctly(collector: RunningCollector, dataset: list[Sent]) -> None:
    problems = []
    for params, keep in FILTERS:
        expected = [sent.trace_id for sent in sorted(dataset, key=lambda s: (s.start, s.trace_id), reverse=True)]
        expected = [trace_id for trace_id in expected if keep(next(s for s in dataset if s.trace_id == trace_id))]
        got = [item["trace_id"] for item in every_page(collector, **params, limit=500)]
        if sorted(got) != sorted(expected):
            names = {sent.trace_id: sent.index for sent in dataset}
            problems.append(
                f"{params}: expected traces {sorted(names[t] for t in expected)}, got {sorted(names[t] for t in got)}"
            )
    assert not problems, "\n".join(problems)
    # Sanity of the table: the filters are not all trivially empty or full.
    assert 0 < len([1 for s in dataset if s.error]) < len(dataset)


@pytest.mark.parametrize("params", [{}, {"status": "ok"}, {"kind": "llm"}])
def test_cursor_paging_returns_every_trace_once_in_order(
    collector: RunningCollector, dataset: list[Sent], params: dict[str, Any]
) -> None:
    whole = [item["trace_id"] for item in collector.traces(limit=500, **params)["traces"]]
    pages = []
    cursor = None
    while True:
        page = collector.traces(limit=10, **params, **({"cursor": cursor} if cursor else {}))
        pages.append([item["trace_id"] for item in page["traces"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "paging does not end"
    paged = [trace_id for page in pages for trace_id in page]
    assert paged == whole, "paging skipped, repeated or reordered traces"
    assert len(set(paged)) == len(paged)
    assert [len(page) for page in pages[:-1]] == [10] * (len(pages) - 1)
    if not params:
        assert len(paged) == 25 and [len(page) for page in pages] == [10, 10, 5]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "maybe"}, "status"),
        ({"kind": "robot"}, "kind"),
        ({"colour": "blue"}, "colour"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJ4IjogMX0"}, "cursor"),  # base64 of JSON that is not one of ours
        ({"start_after": "yesterday"}, "start_after"),
        ({"min_tokens": -1}, "min_tokens"),
        ({"max_cost": "cheap"}, "max_cost"),
        ({"text": "x" * 501}, "text"),
    ],
)
def test_invalid_list_parameters_are_refused_naming_the_parameter(
    collector: RunningCollector, params: dict[str, Any], named: str
) -> None:
    response = collector.client.get("/api/v1/traces", params=params)
    assert 400 <= response.status_code < 500, f"{params}: {response.status_code} {response.text}"
    assert named in response.json()["detail"], response.text


# -- one trace, one span ---------------------------------------------------------------------------


@dataclass
class Rich:
    trace_id: str
    root: dict[str, Any]
    retrieve: dict[str, Any]
    chat: dict[str, Any]
    tool: dict[str, Any]
    orphan: dict[str, Any]


def rich_trace() -> tuple[Rich, dict[str, Any]]:
    trace_id = new_trace_id()
    root = span(
        trace_id,
        "rag pipeline",
        duration_ms=50,
        attributes={"openinference.span.kind": "CHAIN", "input.value": "Where is my order?", "tag.tags": ["prod"]},
    )
    retrieve = span(
        trace_id,
        "retrieve",
        parent=root["spanId"],
        start_ns=T0_NS + 1_000_000,
        attributes={
            "openinference.span.kind": "RETRIEVER",
            "retrieval.documents.0.document.id": "doc-1",
            "retrieval.documents.0.document.content": "Order 42 shipped.",
            "retrieval.documents.0.document.score": 0.9,
            "retrieval.documents.1.document.id": "doc-2",
            "retrieval.documents.1.document.content": "Returns take 30 days.",
        },
    )
    chat = span(
        trace_id,
        "chat gpt-4o",
        parent=root["spanId"],
        start_ns=T0_NS + 2_000_000,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 200,
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "Where is my order?"}]}]
            ),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "It shipped."}]}]
            ),
            "vendor.custom": "kept",
        },
    )
    tool = span(
        trace_id,
        "execute_tool order_status",
        parent=chat["spanId"],
        start_ns=T0_NS + 3_000_000,
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "order_status",
            "gen_ai.tool.call.arguments": '{"order": "42"}',
            "gen_ai.tool.call.result": '{"status": "shipped"}',
        },
    )
    orphan = span(trace_id, "late child", parent=new_span_id(), start_ns=T0_NS + 4_000_000)
    return Rich(trace_id, root, retrieve, chat, tool, orphan), traces_request(root, retrieve, chat, tool, orphan)


def test_a_trace_is_a_tree_of_normalized_spans(collector: RunningCollector) -> None:
    rich, payload = rich_trace()
    assert collector.post_json(payload).status_code == 200
    detail = collector.trace(rich.trace_id.upper())  # IDs are case-insensitive
    summary = detail["trace"]
    assert (summary["trace_id"], summary["name"], summary["root_span_id"]) == (
        rich.trace_id,
        "rag pipeline",
        rich.root["spanId"],
    )
    assert summary["span_count"] == 5
    assert (summary["input_tokens"], summary["output_tokens"], summary["total_tokens"]) == (1000, 200, 1200)
    assert summary["models"] == ["gpt-4o"]
    assert summary["cost_usd"] and summary["cost_usd"] > 0

    # The tree: the root with two children, the tool under the chat, the orphan as a second root.
    roots = detail["spans"]
    assert [node["name"] for node in roots] == ["rag pipeline", "late child"]
    assert [node["name"] for node in roots[0]["children"]] == ["retrieve", "chat gpt-4o"]
    chat = roots[0]["children"][1]
    assert [node["name"] for node in chat["children"]] == ["execute_tool order_status"]
    assert roots[1]["parent_span_id"] == rich.orphan["parentSpanId"] and roots[1]["children"] == []

    by_name = {node["name"]: node for node in all_spans(roots)}
    assert by_name["rag pipeline"]["kind"] == "chain"
    assert by_name["rag pipeline"]["input"] == "Where is my order?"
    assert by_name["rag pipeline"]["tags"] == ["prod"]
    assert by_name["rag pipeline"]["dialects"] == ["openinference"]
    documents = by_name["retrieve"]["documents"]
    assert [(doc.get("id"), doc.get("content")) for doc in documents] == [
        ("doc-1", "Order 42 shipped."),
        ("doc-2", "Returns take 30 days."),
    ]
    assert documents[0].get("score") == pytest.approx(0.9)
    assert by_name["retrieve"]["kind"] == "retriever"
    assert (chat["kind"], chat["model"], chat["provider"]) == ("llm", "gpt-4o", "openai")
    assert (chat["input_tokens"], chat["output_tokens"], chat["total_tokens"]) == (1000, 200, 1200)
    assert chat["cost_usd"] == pytest.approx(summary["cost_usd"]) and chat["cost_source"]
    assert chat["input_messages"] == [text_message("user", "Where is my order?")]
    assert chat["output_messages"] == [text_message("assistant", "It shipped.")]
    assert chat["dialects"] == ["genai"]
    assert chat["unmapped_keys"] == ["vendor.custom"]
    assert chat["attributes"]["vendor.custom"] == "kept"
    tool = by_name["execute_tool order_status"]
    assert (tool["kind"], tool["tool_name"]) == ("tool", "order_status")
    assert json.loads(tool["tool_arguments"]) == {"order": "42"}
    assert json.loads(tool["tool_result"]) == {"status": "shipped"}
    assert chat["duration_ms"] == pytest.approx(10.0)


def test_one_span_and_the_404s(collector: RunningCollector) -> None:
    rich, payload = rich_trace()
    assert collector.post_json(payload).status_code == 200
    span_detail = collector.span(rich.trace_id, rich.chat["spanId"].upper())
    tree_node = next(
        node for node in all_spans(collector.trace(rich.trace_id)["spans"]) if node["span_id"] == rich.chat["spanId"]
    )
    assert span_detail == {key: value for key, value in tree_node.items() if key != "children"}
    assert span_detail["parent_span_id"] == rich.root["spanId"]
    assert span_detail["resource_attributes"] == {"service.name": "svc"}

    for path in (
        f"/api/v1/traces/{new_trace_id()}",
        f"/api/v1/spans/{rich.trace_id}/{new_span_id()}",
        f"/api/v1/spans/{new_trace_id()}/{rich.chat['spanId']}",
        "/api/v1/traces/not-an-id",
    ):
        response = collector.client.get(path)
        assert response.status_code == 404, f"{path}: {response.status_code} {response.text}"
        assert "no such" in response.json()["detail"]


def test_health_answers_with_counters(collector: RunningCollector) -> None:
    _, payload = rich_trace()
    assert collector.post_json(payload).status_code == 200
    response = collector.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["queued_spans"]) == ("ok", "ok", 0)
    assert body["counters"]["spans_received"] == 5


def test_openapi_lists_every_route(collector: RunningCollector) -> None:
    response = collector.client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/v1/traces": "post",
        "/api/public/otel/v1/traces": "post",
        "/v1/logs": "post",
        "/v1/metrics": "post",
        "/api/v1/traces": "get",
        "/api/v1/traces/{trace_id}": "get",
        "/api/v1/spans/{trace_id}/{span_id}": "get",
        "/health": "get",
    }
    for path, method in expected.items():
        assert method in paths.get(path, {}), f"{method.upper()} {path} is missing from /openapi.json"
    parameters = {parameter["name"] for parameter in paths["/api/v1/traces"]["get"]["parameters"]}
    assert {"limit", "cursor", "start_after", "min_cost", "text", "kind", "status"} <= parameters
