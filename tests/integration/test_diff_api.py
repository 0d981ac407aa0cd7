"""``GET /api/v1/diff/traces`` on DuckDB and Postgres: two traces sent over OTLP, aligned span
by span, with hostile text returned as data; unknown and missing traces refused by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.collector_helpers import (
    T0_NS,
    RunningCollector,
    new_span_id,
    new_trace_id,
    running_collector,
    span,
    traces_request,
)
from tests.integration.conftest import Backend

KIND = "openinference.span.kind"
HOSTILE = '<img src=x onerror="window.__xss=1"> [link](http://example.invalid) \x1b[31m'


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url) as running:
        yield running


def agent_trace(tools: list[tuple[str, str]], answer: str, documents: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """A chain with a retrieval and an agent calling ``tools`` (name, arguments) in order."""
    trace_id, root, agent = new_trace_id(), new_span_id(), new_span_id()
    retrieval = {KIND: "RETRIEVER"}
    for rank, doc_id in enumerate(documents):
        retrieval[f"retrieval.documents.{rank}.document.id"] = doc_id
        retrieval[f"retrieval.documents.{rank}.document.score"] = 1 - rank / 10
    spans = [
        span(trace_id, "answer", span_id=root, attributes={KIND: "CHAIN", "output.value": answer}, duration_ms=900),
        span(trace_id, "search", parent=root, start_ns=T0_NS + 1_000_000, attributes=retrieval),
        span(trace_id, "agent", span_id=agent, parent=root, start_ns=T0_NS + 2_000_000, attributes={KIND: "AGENT"}),
    ]
    for step, (tool, arguments) in enumerate(tools):
        attributes = {KIND: "TOOL", "tool.name": tool, "input.value": arguments}
        spans.append(span(trace_id, tool, parent=agent, start_ns=T0_NS + (3 + step) * 1_000_000, attributes=attributes))
    return trace_id, spans


def test_two_traces_are_aligned_span_by_span(collector: RunningCollector) -> None:
    a, spans_a = agent_trace([("lookup_order", '{"id": 1}'), ("estimate_shipping", "{}")], "ok", ["kb-1", "kb-2"])
    b, spans_b = agent_trace(
        [("list_orders", "{}"), ("lookup_order", '{"id": 2}'), ("estimate_shipping", "{}")], HOSTILE, ["kb-2", "kb-3"]
    )
    assert collector.post_json(traces_request(*spans_a, *spans_b)).status_code == 200

    response = collector.client.get("/api/v1/diff/traces", params={"a": a, "b": b.upper()})
    assert response.status_code == 200, response.text
    diff = response.json()
    assert (diff["a"]["trace_id"], diff["b"]["trace_id"]) == (a, b)
    rows = [(row["depth"], row["name"], row["change"]) for row in diff["spans"]]
    assert rows == [
        (0, "answer", "changed"),
        (1, "search", "changed"),
        (1, "agent", "same"),
        (2, "list_orders", "added"),
        (2, "lookup_order", "changed"),
        (2, "estimate_shipping", "same"),
    ]
    answer, search, _, _, lookup, _ = diff["spans"]
    assert answer["texts"]["output"]["b"] == HOSTILE  # data, as it was: the UI shows it as text
    assert [doc["id"] for doc in search["documents"]["dropped"]] == ["kb-1"]
    assert lookup["values"]["tool_arguments"] == {"a": '{"id": 1}', "b": '{"id": 2}'}
    assert diff["summary"]["text"].startswith("1 more tool call, retrieval lost kb-1")
    assert diff["summary"]["answer_changed"] is True


def test_unknown_or_missing_traces_are_refused_by_name(collector: RunningCollector) -> None:
    a, spans = agent_trace([], "ok", [])
    assert collector.post_json(traces_request(*spans)).status_code == 200
    unknown = new_trace_id()
    response = collector.client.get("/api/v1/diff/traces", params={"a": a, "b": unknown})
    assert (response.status_code, response.json()["detail"]) == (404, f"no trace '{unknown}' (b) in this project")
    missing = collector.client.get("/api/v1/diff/traces", params={"a": a})
    assert (missing.status_code, missing.json()["detail"]) == (422, "query.b: Field required")
    itself = collector.client.get("/api/v1/diff/traces", params={"a": a, "b": a}).json()
    assert {row["change"] for row in itself["spans"]} == {"same"} and itself["summary"]["text"] == "no difference"


def _answer(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_two_runs_are_compared_example_by_example(collector: RunningCollector) -> None:
    client = collector.client
    examples = [{"id": f"q{number}", "input": {"question": f"q{number}"}} for number in range(4)]
    dataset = _answer(client.post("/api/v1/datasets", json={"name": "faq", "examples": examples}), 201)
    outcomes = {"v1": [True, True, False, True], "v2": [True, False, True, True]}
    runs = {}
    for name, passed in outcomes.items():
        run = _answer(client.post("/api/v1/runs", json={"dataset_id": dataset["id"], "name": name}), 201)
        traces = [new_trace_id() for _ in examples]
        results = [
            {
                "example_id": f"q{number}",
                "trace_id": traces[number],
                "output": f"{name} says {number}",
                "latency_ms": 10,
            }
            for number in range(4)
        ]
        _answer(client.post(f"/api/v1/runs/{run['id']}/results", json={"results": results}), 201)
        scores = [
            {"name": "correct", "value": ok, "trace_id": traces[number], "run_id": run["id"], "source": "code"}
            for number, ok in enumerate(passed)
        ]
        _answer(client.post("/api/v1/scores/batch", json={"scores": scores}), 201)
        runs[name] = run["id"]

    diff = _answer(client.get("/api/v1/diff/runs", params={"a": runs["v1"], "b": runs["v2"]}))
    assert (diff["a"]["name"], diff["b"]["name"]) == ("v1", "v2")
    assert [(row["example_id"], row["verdict"]) for row in diff["examples"]] == [
        ("q0", "same"),
        ("q1", "regressed"),
        ("q2", "improved"),
        ("q3", "same"),
    ]
    assert diff["examples"][1]["output_b"] == "v2 says 1" and diff["examples"][1]["output_changed"]
    (correct,) = diff["scorers"]
    assert (correct["wins"], correct["losses"], correct["ties"], correct["test"]) == (1, 1, 2, "mcnemar")
    assert correct["p_value"] == 1.0  # one win, one loss: no evidence either way

    other = _answer(client.post("/api/v1/datasets", json={"name": "other", "examples": examples[:1]}), 201)
    elsewhere = _answer(client.post("/api/v1/runs", json={"dataset_id": other["id"], "name": "v3"}), 201)
    refused = client.get("/api/v1/diff/runs", params={"a": runs["v1"], "b": elsewhere["id"]})
    assert refused.status_code == 400 and "over different datasets" in refused.json()["detail"]
    missing = client.get("/api/v1/diff/runs", params={"a": runs["v1"], "b": "nope"})
    assert (missing.status_code, missing.json()["detail"]) == (404, "no run 'nope'")


def _cohort_trace(tag: str, tool_ms: float, failed: bool, start_ns: int) -> list[dict[str, Any]]:
    trace_id, root = new_trace_id(), new_span_id()
    return [
        span(
            trace_id,
            "answer",
            span_id=root,
            start_ns=start_ns,
            duration_ms=100 + tool_ms,
            attributes={KIND: "CHAIN", "tag.tags": [tag]},
            error="boom" if failed else None,
        ),
        span(
            trace_id, "lookup_order", parent=root, start_ns=start_ns + 1, duration_ms=tool_ms, attributes={KIND: "TOOL"}
        ),
        span(trace_id, "plan", parent=root, start_ns=start_ns + 2, duration_ms=50, attributes={KIND: "LLM"}),
    ]


def test_two_cohorts_are_compared_by_distribution(collector: RunningCollector) -> None:
    spans = []
    for number in range(12):  # v2's tool call is 200 ms slower, and a third of its traces fail
        spans += _cohort_trace("prompt:v1", 100 + number, False, T0_NS + number * 10**9)
        spans += _cohort_trace("prompt:v2", 300 + number, number % 3 == 0, T0_NS + (50 + number) * 10**9)
    assert collector.post_json(traces_request(*spans)).status_code == 200

    diff = _answer(collector.client.get("/api/v1/diff/cohorts", params={"a.tag": "prompt:v1", "b.tag": "prompt:v2"}))
    a, b = diff["a"], diff["b"]
    assert (a["traces"], b["traces"], a["failed"], b["failed"], a["truncated"]) == (12, 12, 0, 4, False)
    assert b["duration_ms"]["p50"] - a["duration_ms"]["p50"] == pytest.approx(200)
    assert diff["tests"]["duration_ms"] < 0.001  # every B trace is slower than every A trace
    assert diff["tests"]["error_rate"] == pytest.approx(0.0932, abs=1e-4)  # Fisher: 0 of 12 against 4 of 12
    top = diff["span_names"][0]
    assert (top["name"], top["kind"], top["ms_per_trace_delta"]) == ("lookup_order", "tool", pytest.approx(200))
    assert next(row for row in diff["span_names"] if row["name"] == "plan")["ms_per_trace_delta"] == pytest.approx(0)
    root = next(row for row in diff["span_names"] if row["name"] == "answer")
    assert root["ms_per_trace_delta"] == pytest.approx(200)  # its children's time...
    assert root["self_ms_per_trace_delta"] == pytest.approx(0)  # ...not its own: it ranks below lookup_order

    small = _answer(collector.client.get("/api/v1/diff/cohorts", params={"a.tag": "prompt:v1", "limit": 5}))
    assert (small["a"]["traces"], small["a"]["truncated"], small["b"]["traces"]) == (5, True, 5)


def test_a_cohort_filter_that_is_not_one_is_refused_by_name(collector: RunningCollector) -> None:
    cases = {
        "tag=prompt:v1": "tag: not a cohort filter",
        "a.colour=red": "a.colour: Extra inputs are not permitted",
        "b.min_duration_ms=-1": "b.min_duration_ms: Input should be greater than or equal to 0",
        "limit=0": "limit: a whole number from 1 to 20,000",
    }
    for query, message in cases.items():
        response = collector.client.get(f"/api/v1/diff/cohorts?{query}")
        assert response.status_code == 422 and response.json()["detail"].startswith(message), (query, response.text)
