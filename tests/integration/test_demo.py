"""The demo application against a real collector on DuckDB: what someone exploring its traces,
its dataset, its two runs and its human scores would see, that the same seed sends the same
traces, and the ``spanscope demo`` command."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import demo
from tests.integration.collector_helpers import RunningCollector, all_spans, running_collector

# With six sessions about half the seeds include a failed answer; seed 10 has two. A change to
# the demo that changes its random draws may move them: then pick another seed.
SEED = 10
SMALL = {"seed": SEED, "sessions": 6, "long_traces": 1, "pace": 0.1}
SPANSCOPE = Path(sys.executable).parent / "spanscope"


def run_demo(collector_url: str, **options: Any) -> demo.DemoStats:
    """``demo.run`` in its own process, as an application runs apart from its collector (here
    the collector runs in the test process, where the demo's global tracer would trace it too)."""
    call = f"demo.run({collector_url!r}, **{options!r})"
    code = f"import dataclasses, json, demo; print(json.dumps(dataclasses.asdict({call})))"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("SPANSCOPE_", "OTEL_"))}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr
    return demo.DemoStats(**json.loads(result.stdout.splitlines()[-1]))


class DemoRun(NamedTuple):
    stats: demo.DemoStats
    traces: list[dict[str, Any]]  # the customers' traces (tag demo), each with its spans
    collector: RunningCollector


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    with running_collector(f"duckdb:///{tmp_path_factory.mktemp('demo') / 's.duckdb'}") as collector:
        stats = run_demo(collector.url, **SMALL)
        yield DemoRun(stats, _traces_with_spans(collector), collector)


def _traces_with_spans(collector: RunningCollector, tag: str = "demo") -> list[dict[str, Any]]:
    """The collector's traces with ``tag``: each its summary and its spans in tree order."""
    listed = collector.traces(tag=tag, limit=500)["traces"]
    return [{**summary, "spans": all_spans(collector.trace(summary["trace_id"])["spans"])} for summary in listed]


def _get(collector: RunningCollector, path: str, **params: Any) -> Any:
    response = collector.client.get(path, params=params)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


def _spans(traces: list[dict[str, Any]], kind: str, failed: bool = False) -> list[dict[str, Any]]:
    """The spans of one kind that succeeded (or failed)."""
    return [
        span
        for trace in traces
        for span in trace["spans"]
        if span["kind"] == kind and (span["status"] == "error") == failed
    ]


def test_the_collector_has_every_trace_and_span_it_was_sent(first_run: DemoRun) -> None:
    stats, traces = first_run.stats, first_run.traces
    assert stats.acknowledged
    assert stats.traces == len(traces) >= 15
    assert {trace["name"] for trace in traces} == {"handle_message"}
    everything = first_run.collector.traces(limit=500)["traces"]  # customers' and the evaluation's
    assert stats.spans == sum(trace["span_count"] for trace in everything)
    assert all(("demo" in trace["tags"]) != ("evaluation" in trace["tags"]) for trace in everything)


def test_every_kind_of_step_is_traced(first_run: DemoRun) -> None:
    kinds = {kind for trace in first_run[1] for kind in trace["kinds"]}
    assert kinds >= {"llm", "retriever", "reranker", "tool", "agent", "guardrail", "evaluator", "chain"}


def test_llm_calls_have_model_tokens_cost_and_messages(first_run: DemoRun) -> None:
    calls = _spans(first_run[1], "llm")
    assert len(calls) > 100
    for call in calls:
        assert call["model"], call["name"]
        assert call["input_tokens"] > 0 and call["output_tokens"] > 0, call["name"]
        assert call["cost_usd"] is not None and call["cost_usd"] > 0, call["model"]
        assert call["input_messages"] and call["output_messages"], call["name"]
    answers = [call for call in calls if call["name"] == "write_answer"]
    assert answers and all(call["attributes"]["spanscope.stream.completed"] for call in answers)
    assert all("Simulated answer" in call["output"] for call in answers)
    models = {call["model"] for call in calls}
    assert {"gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14", "claude-3-5-haiku-20241022"} <= models


def test_retrievals_and_reranks_return_ranked_documents(first_run: DemoRun) -> None:
    for kind in ("retriever", "reranker"):
        spans = _spans(first_run[1], kind)
        assert spans, kind
        for span in spans:
            documents = span["documents"]
            assert documents, span["input"]
            assert all(doc["id"].startswith("kb-") and doc["content"] and doc["metadata"]["title"] for doc in documents)
            scores = [doc["score"] for doc in documents]
            assert scores == sorted(scores, reverse=True)
    assert all(0 < doc["score"] < 1 for span in _spans(first_run[1], "reranker") for doc in span["documents"])


def test_tool_calls_have_name_arguments_and_result(first_run: DemoRun) -> None:
    calls = _spans(first_run[1], "tool")
    assert {call["tool_name"] for call in calls} >= {"lookup_order", "list_orders", "estimate_shipping"}
    for call in calls:
        assert call["tool_arguments"].startswith("{") and call["tool_result"], call["tool_name"]


def test_failures_show_as_errors_and_retries(first_run: DemoRun) -> None:
    stats, traces = first_run.stats, first_run.traces
    failed = [trace for trace in traces if trace["spans"][0]["status"] == "error"]
    assert stats.failed_traces == len(failed) >= 1
    assert sum(trace["error_count"] > 0 for trace in traces) > len(failed)  # retried calls leave error spans
    rate_limited = [span for span in _spans(traces, "llm", failed=True) if "429" in span["status_message"]]
    assert rate_limited and stats.retried_calls >= len(rate_limited) - len(failed)


def test_the_judge_scores_answers(first_run: DemoRun) -> None:
    scores = [span["metadata"]["evaluation"] for span in _spans(first_run[1], "evaluator")]
    assert scores and all(score["name"] == "groundedness" and 0 <= score["score.value"] <= 1 for score in scores)


def test_sessions_users_and_prompt_versions(first_run: DemoRun) -> None:
    traces = first_run[1]
    per_session: dict[str, int] = {}
    for trace in traces:
        per_session[trace["session_id"]] = per_session.get(trace["session_id"], 0) + 1
    assert max(per_session.values()) >= 3
    assert len({trace["user_id"] for trace in traces}) == 7  # six shoppers and one club
    assert {tag for trace in traces for tag in trace["tags"] if tag.startswith("prompt:")} == {"prompt:v1", "prompt:v2"}
    follow_up = next(
        span for span in _spans(traces, "llm") if span["name"] == "rewrite_query" and len(span["input_messages"]) > 2
    )
    assert [message["role"] for message in follow_up["input_messages"][:3]] == ["system", "user", "assistant"]


def test_a_bulk_order_review_is_one_long_trace(first_run: DemoRun) -> None:
    (long_trace,) = [trace for trace in first_run[1] if trace["span_count"] > 100]
    assert long_trace["user_id"] == "boulder.youth"
    lookups = [span for span in long_trace["spans"] if span["name"] == "lookup_order" and span["status"] != "error"]
    assert len(lookups) >= 100
    assert long_trace["output_preview"].startswith("I checked all 110 of your orders")


def test_the_dataset_holds_thirty_support_questions_with_expected_answers(first_run: DemoRun) -> None:
    (dataset,) = _get(first_run.collector, "/api/v1/datasets")["datasets"]
    assert (dataset["name"], dataset["example_count"]) == ("northpeak-support-questions", 30)
    examples = _get(first_run.collector, f"/api/v1/datasets/{dataset['id']}/examples")["examples"]
    assert len({example["input"]["question"] for example in examples}) == 30 == first_run.stats.dataset_examples
    assert all(example["expected_output"] and example["metadata"]["article"].startswith("kb-") for example in examples)


def test_both_prompts_ran_over_the_dataset_with_code_and_judge_scores(first_run: DemoRun) -> None:
    collector = first_run.collector
    runs = {run["name"]: run for run in _get(collector, "/api/v1/runs")["runs"]}
    assert set(runs) == {"prompt v1", "prompt v2"} == set(first_run.stats.runs)
    for name, run in runs.items():
        assert run["status"] == "completed" and run["examples_run"] == 30, name
        assert run["metadata"]["prompt_version"] == name[-2:] and run["cost_usd"] > 0, name
        means = {score["name"]: score["mean"] for score in run["scores"]}
        assert set(means) == {"mentions_expected", "concise", "correctness"}, name
        assert means == pytest.approx(first_run.stats.runs[name]), name
    v1, v2 = (first_run.stats.runs[f"prompt {version}"] for version in ("v1", "v2"))
    assert v2["correctness"] > v1["correctness"]  # v2 answers only from its sources: the judge sees it
    results = _get(collector, f"/api/v1/runs/{runs['prompt v2']['id']}/results")["results"]
    example = next(result for result in results if result["error"] is None)
    trace = collector.trace(example["trace_id"])
    root = trace["spans"][0]
    assert (root["name"], root["attributes"]["spanscope.run.name"]) == ("answer_question", "prompt v2")
    assert {"evaluation", "prompt:v2"} <= set(trace["trace"]["tags"])
    scores = _get(collector, "/api/v1/scores", trace_id=example["trace_id"])["scores"]
    sources = {score["name"]: score["source"] for score in scores if score["run_id"] == runs["prompt v2"]["id"]}
    assert sources == {"mentions_expected": "code", "concise": "code", "correctness": "llm_judge"}
    graded = _traces_with_spans(collector, tag="evaluation")
    judged = [span for trace in graded for span in trace["spans"] if span["name"] == "ask_grader" and span["output"]]
    assert len(judged) >= 59 and all(span["cost_usd"] > 0 for span in judged)


def test_a_reviewer_scored_answers_by_hand(first_run: DemoRun) -> None:
    collector = first_run.collector
    human = _get(collector, "/api/v1/scores", source="human")["scores"]
    thumbs = [score for score in human if score["name"] == "thumbs_up"]
    assert len(thumbs) == first_run.stats.reviewed_answers >= 3
    assert {score["author"] for score in human} == {"maya.lead"}
    customers = {trace["trace_id"] for trace in first_run.traces}
    assert {score["trace_id"] for score in human} <= customers
    configs = {config["name"]: config["id"] for config in _get(collector, "/api/v1/score-configs")["score_configs"]}
    for down in (score for score in thumbs if score["value"] == 0):
        issue = [score for score in human if score["trace_id"] == down["trace_id"] and score["name"] == "answer_issue"]
        assert [(score["label"], score["config_id"]) for score in issue] == [("made_up_fact", configs["answer_issue"])]
        judged = collector.traces(score_name="groundedness", max_score=0.89, limit=500)["traces"]
        assert down["trace_id"] in {trace["trace_id"] for trace in judged}
    assert any(score["value"] == 1 for score in thumbs)


def _fingerprint(traces: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What must not change between two runs with the same seed: every span but its IDs and times
    (an LLM span's output is the API response, whose ``created`` is a time: its messages must match)."""
    return sorted(
        (
            trace["session_id"],
            trace["input_preview"],
            tuple(
                (span["name"], span["status"], span["input"], span["output_messages"] or span["output"])
                for span in trace["spans"]
            ),
        )
        for trace in traces
    )


def test_the_same_seed_sends_the_same_traces(first_run: DemoRun, tmp_path: Path) -> None:
    with running_collector(f"duckdb:///{tmp_path / 's.duckdb'}") as collector:
        stats = run_demo(collector.url, **SMALL)
        again = _traces_with_spans(collector)
    assert (stats.traces, stats.spans, stats.failed_traces, stats.reviewed_answers, stats.runs) == (
        first_run.stats.traces,
        first_run.stats.spans,
        first_run.stats.failed_traces,
        first_run.stats.reviewed_answers,
        first_run.stats.runs,
    )
    assert _fingerprint(again) == _fingerprint(first_run.traces)


def test_spanscope_demo_sends_to_a_running_collector(tmp_path: Path) -> None:
    with running_collector(f"duckdb:///{tmp_path / 's.duckdb'}") as collector:
        command = [str(SPANSCOPE), "demo", "--endpoint", collector.url, "--sessions", "2", "--long-traces", "0"]
        result = subprocess.run([*command, "--pace", "0.05"], capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        sent = re.search(r"Sent (\d+) traces from 2 sessions .*\((\d+) spans in all\)", result.stdout)
        assert sent, result.stdout
        assert re.search(r"prompt v1: mentions_expected \d\.\d\d, concise \d\.\d\d, correctness", result.stdout)
        listed = collector.traces(tag="demo", limit=500)["traces"]
        assert len(listed) == int(sent[1]) > 0
        assert sum(trace["span_count"] for trace in collector.traces(limit=500)["traces"]) == int(sent[2])

        # Again on the same database: the dataset and score configs are there already, and reused.
        again = [*command, "--pace", "0.05", "--seed", "8", "--sessions", "1"]
        result = subprocess.run(again, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert len(_get(collector, "/api/v1/datasets")["datasets"]) == 1
        assert len(_get(collector, "/api/v1/runs")["runs"]) == 4
        assert len(_get(collector, "/api/v1/score-configs")["score_configs"]) == 2


def test_spanscope_demo_without_the_evaluation_sends_only_customer_traces(tmp_path: Path) -> None:
    with running_collector(f"duckdb:///{tmp_path / 's.duckdb'}") as collector:
        command = [str(SPANSCOPE), "demo", "--endpoint", collector.url, "--sessions", "1", "--long-traces", "0"]
        result = subprocess.run(
            [*command, "--pace", "0.05", "--no-evaluate"], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "Runs over the dataset" not in result.stdout
        assert collector.traces(limit=500)["traces"] == collector.traces(tag="demo", limit=500)["traces"]
        assert _get(collector, "/api/v1/runs")["runs"] == []


def test_spanscope_demo_refuses_when_no_collector_listens() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [str(SPANSCOPE), "demo", "--endpoint", f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"no collector is listening at http://127.0.0.1:{port}" in result.stderr
    assert "Sent" not in result.stdout


def test_spanscope_demo_sends_with_an_api_key_when_the_collector_wants_one(tmp_path: Path) -> None:
    from server.storage import migrate, open_store

    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    migrate.upgrade(url)
    store = open_store(url)
    try:
        project = store.access.create_project("demo-team")["id"]
        key = store.access.create_key(project, "admin", "demo")[0]
    finally:
        store.close()
    with running_collector(url, auth=True) as collector:
        command = [str(SPANSCOPE), "demo", "--endpoint", collector.url, "--sessions", "1", "--long-traces", "0"]
        environment = {**os.environ, "SPANSCOPE_API_KEY": key}
        result = subprocess.run(
            [*command, "--pace", "0.05"], capture_output=True, text=True, timeout=120, env=environment, check=False
        )
        assert result.returncode == 0, result.stderr
        headers = {"authorization": f"Bearer {key}"}
        listed = collector.client.get("/api/v1/traces", params={"tag": "demo"}, headers=headers).json()["traces"]
        assert listed, "the demo's traces are in the key's project"
        runs = collector.client.get("/api/v1/runs", headers=headers).json()["runs"]
        assert len(runs) == 2
