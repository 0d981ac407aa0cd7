"""Comparing two runs: the statistics against published values, and each example's verdict."""

from __future__ import annotations

from typing import Any

import pytest

from server.diff import diff_runs
from server.diff.stats import compare_paired, mean_interval, rate_p, two_sample_p


def test_paired_mean_interval_uses_students_t() -> None:
    # Differences 1, 2, 3, 4: mean 2.5, s = 1.2910, t(0.975, 3) = 3.1824 (the t table):
    # half-width 3.1824 x 1.2910 / 2 = 2.0543.
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert (low, high) == (pytest.approx(0.4457, abs=1e-4), pytest.approx(4.5543, abs=1e-4))
    assert mean_interval([0.5]) == (0.5, None, None)


def test_a_pass_rate_is_compared_with_mcnemars_exact_test() -> None:
    # 8 examples pass only in B, 2 only in A, 5 the same: the sign test on 8 of 10, p = 0.1094.
    pairs = [(0.0, 1.0)] * 8 + [(1.0, 0.0)] * 2 + [(1.0, 1.0)] * 5
    compared = compare_paired("passed", pairs, pass_rate=True)
    assert (compared.wins, compared.losses, compared.ties, compared.test) == (8, 2, 5, "mcnemar")
    assert compared.p_value == pytest.approx(0.109375)
    assert (compared.mean_a, compared.mean_b) == (pytest.approx(7 / 15), pytest.approx(13 / 15))


def test_other_scores_are_compared_with_wilcoxons_signed_rank_test() -> None:
    # Darwin's maize data as Fisher reported it (scipy.stats.wilcoxon's own example): p = 0.0413.
    differences = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
    compared = compare_paired("height", [(0.0, float(d)) for d in differences], pass_rate=False)
    assert (compared.test, compared.wins, compared.losses) == ("wilcoxon", 13, 2)
    assert compared.p_value == pytest.approx(0.041259765625)


def test_no_difference_has_no_p_value() -> None:
    same = compare_paired("correctness", [(0.5, 0.5), (1.0, 1.0)], pass_rate=False)
    assert (same.delta, same.ci_low, same.ci_high, same.p_value, same.ties) == (0.0, 0.0, 0.0, None, 2)


def test_two_sample_and_rate_tests() -> None:
    # Mann-Whitney, 3 against 3 with no overlap: exact two-sided p = 2 / C(6, 3) = 0.1.
    assert two_sample_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == pytest.approx(0.1)
    assert two_sample_p([2.0, 2.0], [2.0]) is None
    # Fisher's lady tasting tea, 3 of 4 right: two-sided p = 0.4857.
    assert rate_p(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-4)
    assert rate_p(0, 0, 1, 4) is None


def result(example_id: str, output: Any, **scores: float | bool) -> dict[str, Any]:
    return {
        "example_id": example_id,
        "input": {"q": example_id},
        "expected_output": "x",
        "output": output,
        "error": None,
        "trace_id": f"trace-{example_id}-{output}",
        "latency_ms": 100.0,
        "total_tokens": 10,
        "cost_usd": 0.001,
        "scores": [
            {"name": name, "span_id": None, "data_type": "boolean" if isinstance(value, bool) else "numeric",
             "value": float(value), "label": None}
            for name, value in scores.items()
        ],
    }  # fmt: skip


def test_each_example_is_regressed_improved_mixed_or_the_same() -> None:
    run_a, run_b = {"id": "A", "dataset_id": "D"}, {"id": "B", "dataset_id": "D"}
    results_a = [
        result("q1", "yes", correct=True, judge=0.8),
        result("q2", "no", correct=False, judge=0.2),
        result("q3", "maybe", correct=True, judge=0.2),
        result("q4", "same", correct=True, judge=0.5),
        result("q5", "gone", correct=True),
    ]
    failed = {**result("q4", "same", correct=True, judge=0.5), "error": "TimeoutError: slow", "output": None}
    results_b = [
        result("q1", "nope", correct=False, judge=0.6),
        result("q2", "yes", correct=True, judge=0.9),
        result("q3", "perhaps", correct=False, judge=0.9),
        failed,
        result("q6", "new", correct=True),
    ]
    diff = diff_runs(run_a, run_b, results_a, results_b)
    verdicts = {row["example_id"]: row["verdict"] for row in diff["examples"]}
    assert verdicts == {
        "q1": "regressed",
        "q2": "improved",
        "q3": "mixed",
        "q4": "regressed",
        "q5": "only_a",
        "q6": "only_b",
    }
    q1 = next(row for row in diff["examples"] if row["example_id"] == "q1")
    assert q1["scores"]["judge"] == {
        "a": 0.8, "b": 0.6, "label_a": None, "label_b": None, "delta": pytest.approx(-0.2), "outcome": "loss"
    }  # fmt: skip
    assert (q1["output_a"], q1["output_b"], q1["output_changed"], q1["trace_id_b"]) == (
        "yes",
        "nope",
        True,
        "trace-q1-nope",
    )
    correct = next(scorer for scorer in diff["scorers"] if scorer["name"] == "correct")
    assert (correct["pairs"], correct["wins"], correct["losses"], correct["ties"], correct["test"]) == (
        4,
        1,
        2,
        1,
        "mcnemar",
    )
    summary = diff["summary"]
    assert (summary["regressed"], summary["improved"], summary["mixed"], summary["only_a"], summary["only_b"]) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert (summary["failed_a"], summary["failed_b"], summary["examples_in_both"]) == (0, 1, 4)
