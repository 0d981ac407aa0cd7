"""The statistics of a run summary, against values worked out by hand, and how it prints."""

from __future__ import annotations

import pytest

from tracer._internal.summary import mean_and_interval, percentile
from tracer.scorers import ExampleError, RunSummary, ScoreSummary


def test_mean_and_95_percent_interval_by_hand() -> None:
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, s² = 32/7,
    # standard error = sqrt(32/7/8) = sqrt(4/7) = 0.7559289, half-width 1.96 x that = 1.4816207
    # (1.96: the contract's normal approximation, docs/evaluation.md).
    mean, low, high = mean_and_interval([2, 4, 4, 4, 5, 5, 7, 9])
    assert mean == 5.0
    assert low == pytest.approx(5 - 1.4816207, abs=1e-6)
    assert high == pytest.approx(5 + 1.4816207, abs=1e-6)


def test_a_pass_rate_gets_wilsons_interval_within_0_and_1() -> None:
    # 3 of 4 true: Wilson's 95% interval is 0.3006 to 0.9544 (the published tables); the
    # normal one, 0.75 ± 1.96·0.25, would end past 1.
    summary = ScoreSummary.of("helpful", [True, True, False, True])
    assert (summary.count, summary.mean) == (4, 0.75)
    assert (summary.ci_low, summary.ci_high) == (pytest.approx(0.3006, abs=1e-4), pytest.approx(0.9544, abs=1e-4))
    # 30 of 30: not the empty interval 1 to 1, but 0.8865 to 1.
    all_passed = ScoreSummary.of("helpful", [True] * 30)
    assert (all_passed.ci_low, all_passed.ci_high) == (pytest.approx(0.8865, abs=1e-4), pytest.approx(1.0))


def test_ones_and_zeros_as_numbers_keep_the_normal_interval() -> None:
    # 3 of 4 ones: mean 0.75, s² = (3·0.0625 + 0.5625)/3 = 0.25, SE = sqrt(0.25/4) = 0.25.
    summary = ScoreSummary.of("accuracy", [1, 1, 0, 1])
    assert summary.ci_low == pytest.approx(0.75 - 1.96 * 0.25)
    assert summary.ci_high == pytest.approx(0.75 + 1.96 * 0.25)


def test_no_interval_under_two_values_and_nothing_for_none() -> None:
    assert mean_and_interval([0.4]) == (0.4, None, None)
    assert mean_and_interval([]) == (None, None, None)
    same = mean_and_interval([3.0, 3.0, 3.0])
    assert same == (3.0, 3.0, 3.0)


def test_categories_are_counted_not_averaged() -> None:
    summary = ScoreSummary.of("tone", ["friendly", "curt", "friendly"], errors=1)
    assert summary.mean is None and summary.labels == {"friendly": 2, "curt": 1}
    assert str(summary) == "tone: curt 1, friendly 2, n=3, 1 error(s)"


def test_percentiles_interpolate_like_percentile_cont() -> None:
    values = [0.1, 0.2, 0.3, 0.4, 1.0]
    # p50: position 0.5·4 = 2 -> 0.3; p95: position 3.8 -> 0.4 + 0.8·(1.0 - 0.4) = 0.88.
    assert percentile(values, 0.5) == pytest.approx(0.3)
    assert percentile(values, 0.95) == pytest.approx(0.88)
    assert percentile([2.0, 1.0], 0.5) == pytest.approx(1.5)  # unsorted input
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_summary_prints_a_small_report() -> None:
    summary = RunSummary(
        run_id="r1",
        name="prompt v2",
        dataset_id="d1",
        dataset_version=3,
        examples=4,
        failed=1,
        scores={"exact_match": ScoreSummary.of("exact_match", [True, False, True])},
        latency_p50=0.25,
        latency_p95=1.5,
        total_tokens=1234,
        cost=0.01234,
        errors=[ExampleError("e4", "TimeoutError: slow")],
    )
    text = str(summary)
    assert text.splitlines()[0] == "run 'prompt v2' (r1): 4 examples, 1 failed"
    assert "exact_match: 0.667 (95% CI" in text
    assert "latency: p50 0.250s, p95 1.500s" in text
    assert "tokens: 1,234, cost: $0.0123" in text
    assert "error in task on example e4: TimeoutError: slow" in text
