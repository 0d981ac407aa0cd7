"""The SDK's scores, datasets and runs against a live collector (real HTTP, DuckDB): what a
user of ``tracer.score``, ``tracer.datasets`` and ``tracer.evaluate`` finds stored."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

import tracer
from tests.integration.collector_helpers import RunningCollector, all_spans, running_collector
from tracer.datasets import CollectorError
from tracer.scorers import Score

QUESTIONS = [
    {"input": {"question": "Where is my order?"}, "expected_output": "It ships tomorrow.", "id": "order"},
    {"input": {"question": "Can I return shoes?"}, "expected_output": "Yes, within 30 days.", "id": "returns"},
    {"input": {"question": "Do you ship to Mars?"}, "expected_output": "No.", "id": "mars"},
    {"input": {"question": "What is your phone number?"}, "expected_output": "We have none.", "id": "phone"},
]
ANSWERS = {
    "Where is my order?": "It ships tomorrow.",
    "Can I return shoes?": "Yes, within 30 days!",
    "What is your phone number?": "We have none.",
}


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    with running_collector(f"duckdb:///{tmp_path_factory.mktemp('evaluation') / 's.duckdb'}") as running:
        yield running


@pytest.fixture
def configured(collector: RunningCollector) -> Iterator[RunningCollector]:
    # Our own provider: the collector runs in this process and must not be traced itself.
    tracer.configure(endpoint=collector.url + "/v1/traces", tracer_provider=TracerProvider(), export_interval=0.05)
    try:
        yield collector
    finally:
        tracer.shutdown()


def unique(name: str) -> str:
    return f"{name}-{secrets.token_hex(3)}"


def get(collector: RunningCollector, path: str, **params: Any) -> Any:
    response = collector.client.get(path, params=params)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


@tracer.llm
def call_model(question: str) -> str:
    span = tracer.current_span()
    span.set_model("gpt-4o-mini", "openai")
    span.set_usage(input_tokens=100, output_tokens=20)
    if question not in ANSWERS:
        raise TimeoutError("the model did not answer")
    return ANSWERS[question]


def answer_question(example_input: dict[str, str]) -> str:
    return call_model(example_input["question"])


def picky(input: Any, output: str, expected: str) -> Score:
    """A scorer that fails on one example, to check that the run still completes."""
    if input["question"].startswith("What"):
        raise KeyError("no rule for this question")
    return Score(len(output) < 30, explanation=f"{len(output)} characters", name="short")


def test_scores_reach_the_collector(configured: RunningCollector) -> None:
    with tracer.start_span("support_bot", kind="chain") as span:
        helpful_id = tracer.score("helpful", True, comment="solved it")
        tone_id = tracer.score("tone", "friendly", span_id=None, author="ada")
        tracer.score("correctness", 0.75)
    assert tracer.flush(30)
    listed = get(configured, "/api/v1/scores", trace_id=span.trace_id)["scores"]
    by_name = {score["name"]: score for score in listed}
    assert set(by_name) == {"helpful", "tone", "correctness"}
    helpful = by_name["helpful"]
    assert (helpful["id"], helpful["span_id"], helpful["data_type"], helpful["value"], helpful["label"]) == (
        helpful_id,
        span.span_id,
        "boolean",
        1.0,
        "true",
    )
    assert (helpful["source"], helpful["comment"]) == ("sdk", "solved it")
    tone = by_name["tone"]
    assert (tone["id"], tone["span_id"], tone["data_type"], tone["label"], tone["author"]) == (
        tone_id,
        None,
        "categorical",
        "friendly",
        "ada",
    )
    assert (by_name["correctness"]["data_type"], by_name["correctness"]["value"]) == ("numeric", 0.75)


def test_a_score_resent_with_its_id_is_stored_once(configured: RunningCollector) -> None:
    trace_id = secrets.token_hex(16)  # a trace that has not arrived: scores may come first
    for _ in range(2):
        tracer.score("correctness", 1, trace_id=trace_id, id=f"resend-{trace_id}")
        assert tracer.flush(30)
    assert [score["id"] for score in get(configured, "/api/v1/scores", trace_id=trace_id)["scores"]] == [
        f"resend-{trace_id}"
    ]


def test_a_score_the_collector_refuses_is_logged_not_raised(
    configured: RunningCollector, caplog: pytest.LogCaptureFixture
) -> None:
    trace_id = secrets.token_hex(16)
    tracer.score("correctness", 1, trace_id=trace_id, config_id="no-such-config")
    assert tracer.flush(30) is False
    assert "score(s) not sent" in caplog.text and "HTTP 400" in caplog.text
    assert get(configured, "/api/v1/scores", trace_id=trace_id)["scores"] == []


def test_datasets_create_get_add(configured: RunningCollector) -> None:
    name = unique("support-questions")
    created = tracer.datasets.create(name, QUESTIONS[:2], description="FAQ", metadata={"owner": "support"})
    assert (created.name, created.version, created.description, created.metadata) == (
        name,
        1,
        "FAQ",
        {"owner": "support"},
    )
    assert [(example.id, example.input, example.expected_output) for example in created.examples] == [
        ("order", {"question": "Where is my order?"}, "It ships tomorrow."),
        ("returns", {"question": "Can I return shoes?"}, "Yes, within 30 days."),
    ]
    found = tracer.datasets.get(name)
    assert (found.id, found.version) == (created.id, 1)
    found.add([{"input": "plain text works too", "metadata": {"from": "a trace"}}])
    assert found.version == 2 and len(found.examples) == 3
    assert found.examples[-1].metadata == {"from": "a trace"} and found.examples[-1].id  # the collector picked it
    assert len(created.examples) == 2  # an object keeps the version it read
    assert tracer.datasets.get(created.id).version == 2  # by id as well


def test_dataset_errors_name_what_is_wrong(configured: RunningCollector) -> None:
    name = unique("taken")
    tracer.datasets.create(name, QUESTIONS[:1])
    with pytest.raises(CollectorError) as taken:
        tracer.datasets.create(name, QUESTIONS[:1])
    assert taken.value.status == 409 and name in str(taken.value)
    with pytest.raises(CollectorError) as missing:
        tracer.datasets.get(unique("nothing"))
    assert missing.value.status == 404 and "no dataset named" in str(missing.value)
    with pytest.raises(ValueError, match="example 1: unknown key"):
        tracer.datasets.create(unique("typo"), [QUESTIONS[0], {"input": "x", "expected": "y"}])
    with pytest.raises(ValueError, match="example 0: no 'input'"):
        tracer.datasets.create(unique("typo"), [{"expected_output": "y"}])


def test_evaluate_records_a_run_with_results_traces_scores_and_errors(configured: RunningCollector) -> None:
    dataset = tracer.datasets.create(unique("faq"), QUESTIONS)

    def judge_llm(prompt: str) -> str:
        return '{"score": 5, "explanation": "matches"}' if "tomorrow" in prompt else "Score: 3/5\nReasoning: vague"

    judge = tracer.scorers.llm_judge(llm=judge_llm, rubric="Does the answer match the reference?", name="judge")
    summary = tracer.evaluate(
        dataset,
        answer_question,
        scorers=[tracer.scorers.exact_match, picky, judge],
        name="prompt v2",
        metadata={"prompt_version": "v2", "model": "gpt-4o-mini"},
        concurrency=3,
        progress=False,
    )

    # The summary: 4 examples, "mars" failed in the task; "phone" in the scorer "picky".
    assert (summary.name, summary.examples, summary.failed, summary.dataset_version) == ("prompt v2", 4, 1, 1)
    assert summary.scores["exact_match"].count == 3
    assert summary.scores["exact_match"].mean == pytest.approx(2 / 3)
    assert (summary.scores["short"].count, summary.scores["short"].mean) == (2, 1.0)
    assert summary.scores["picky"].errors == 1 and summary.scores["picky"].count == 0
    assert summary.scores["judge"].mean == pytest.approx((1.0 + 0.5 + 0.5) / 3)
    assert sorted((error.example_id, error.scorer) for error in summary.errors) == [
        ("mars", None),
        ("phone", "picky"),
    ]
    assert "TimeoutError: the model did not answer" in next(e.message for e in summary.errors if e.scorer is None)
    assert summary.latency_p50 is not None and summary.latency_p95 is not None
    assert summary.total_tokens == 4 * 120  # every example's LLM span, the failed one included

    run = get(configured, f"/api/v1/runs/{summary.run_id}")
    assert run["status"] == "completed" and run["ended_at"] is not None
    assert run["metadata"]["prompt_version"] == "v2" and run["metadata"]["model"] == "gpt-4o-mini"
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=Path.cwd())
    assert run["metadata"]["git_commit"] == head.stdout.strip()
    assert (run["examples_run"], run["examples_failed"], run["total_tokens"]) == (4, 1, 480)
    figures = {figure["name"]: figure for figure in run["scores"]}  # the collector's own statistics agree
    for name, ours in summary.scores.items():
        if name != "picky":
            theirs = figures[name]
            assert (theirs["count"], theirs["mean"]) == (ours.count, pytest.approx(ours.mean)), name
            assert (theirs["ci_low"], theirs["ci_high"]) == (pytest.approx(ours.ci_low), pytest.approx(ours.ci_high))
    assert "picky" not in figures
    assert summary.cost == run["cost_usd"]
    assert summary.models == run["models"] == ["gpt-4o-mini"]  # read from the traces, not the metadata

    listed = get(configured, f"/api/v1/runs/{summary.run_id}/results")["results"]
    results = {result["example_id"]: result for result in listed}
    assert set(results) == {"order", "returns", "mars", "phone"}
    assert results["order"]["output"] == "It ships tomorrow." and results["order"]["error"] is None
    assert "TimeoutError" in results["mars"]["error"] and results["mars"]["output"] is None
    assert {score["name"] for score in results["order"]["scores"]} == {"exact_match", "short", "judge"}
    assert {score["name"] for score in results["phone"]["scores"]} == {"exact_match", "judge"}
    judged = next(score for score in results["returns"]["scores"] if score["name"] == "judge")
    assert (judged["source"], judged["value"], judged["comment"]) == ("llm_judge", 0.5, "vague")
    short = next(score for score in results["order"]["scores"] if score["name"] == "short")
    assert (short["source"], short["comment"]) == ("code", "18 characters")

    # Each example is one trace: a root span linked to the run and the example, the task's spans below.
    for example_id, result in results.items():
        detail = configured.trace(result["trace_id"])
        (root,) = detail["spans"]
        assert (root["name"], root["kind"], root["parent_span_id"]) == ("answer_question", "chain", None)
        attributes = root["attributes"]
        assert attributes["spanscope.run.id"] == summary.run_id
        assert attributes["spanscope.dataset.example.id"] == example_id
        assert attributes["spanscope.dataset.id"] == dataset.id
        assert [span["name"] for span in all_spans(root["children"])] == ["call_model"]
        assert (root["status"] == "error") == (example_id == "mars")


def test_evaluate_by_dataset_name_with_an_async_task_keeps_to_its_concurrency(configured: RunningCollector) -> None:
    name = unique("many")
    tracer.datasets.create(name, [{"input": number, "expected_output": number * 2} for number in range(12)])
    running, most = 0, 0
    lock = threading.Lock()

    async def double(number: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        await asyncio.sleep(0.02)
        with lock:
            running -= 1
        return number * 2

    async def close_enough(input: int, output: int, expected: int) -> float:
        await asyncio.sleep(0)
        return 1.0 - abs(output - expected)

    summary = tracer.evaluate(name, double, scorers=[close_enough], concurrency=4, progress=False)
    assert most == 4
    assert (summary.examples, summary.failed, summary.scores["close_enough"].mean) == (12, 0, 1.0)
    assert summary.total_tokens == 0 and summary.cost is None  # no LLM spans in this task
    assert summary.name.startswith("double ")  # the default name: the task's and the time


def test_sync_tasks_run_in_threads_up_to_the_concurrency(configured: RunningCollector) -> None:
    dataset = tracer.datasets.create(unique("threads"), [{"input": number} for number in range(8)])
    threads: set[str] = set()
    barrier = threading.Barrier(2, timeout=10)

    def task(number: int) -> int:
        threads.add(threading.current_thread().name)
        barrier.wait()  # two examples must be running at once, or this times out
        return number

    summary = tracer.evaluate(dataset, task, concurrency=2, progress=False)
    assert (summary.examples, summary.failed) == (8, 0)
    assert len(threads) == 2


def test_each_example_is_a_new_trace_even_inside_a_span(configured: RunningCollector) -> None:
    dataset = tracer.datasets.create(unique("nested"), QUESTIONS[:1])
    with tracer.start_span("notebook cell") as outer:
        summary = tracer.evaluate(dataset, answer_question, progress=False)
    (result,) = get(configured, f"/api/v1/runs/{summary.run_id}/results")["results"]
    assert result["trace_id"] != outer.trace_id
    assert configured.trace(result["trace_id"])["spans"][0]["parent_span_id"] is None


async def test_evaluate_inside_an_event_loop_points_to_aevaluate(configured: RunningCollector) -> None:
    dataset = await asyncio.to_thread(tracer.datasets.create, unique("loop"), QUESTIONS[:2])
    with pytest.raises(RuntimeError, match=r"await tracer\.aevaluate"):
        tracer.evaluate(dataset, answer_question)
    summary = await tracer.aevaluate(dataset, answer_question, scorers=[tracer.scorers.contains], progress=False)
    assert (summary.examples, summary.scores["contains"].mean) == (2, 0.5)


def test_evaluate_shows_progress_on_stderr(configured: RunningCollector, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tracer.datasets.create(unique("progress"), QUESTIONS)
    tracer.evaluate(dataset, answer_question, name="with a bar")
    err = capsys.readouterr().err
    assert "with a bar [" in err and "4/4, 1 failed" in err


def test_evaluate_needs_tracing_on(collector: RunningCollector) -> None:
    tracer.shutdown()
    with pytest.raises(RuntimeError, match=r"tracer\.configure"):
        tracer.evaluate("anything", answer_question)


def test_evaluate_on_a_missing_dataset_raises(configured: RunningCollector) -> None:
    with pytest.raises(CollectorError, match="no dataset named"):
        tracer.evaluate(unique("missing"), answer_question, progress=False)
