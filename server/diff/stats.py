"""The statistics of a comparison, from scipy.stats: paired tests for two runs over the same
examples, and two-sample tests for two cohorts of traces.

- Paired differences get a mean and a 95% interval with Student's t (runs are often a few
  dozen examples, where 1.96 is too narrow).
- Pass rates (booleans) are compared with McNemar's exact test: a binomial test on the
  examples that changed, wins against losses. Other scores with Wilcoxon's signed-rank test,
  which assumes no normal distribution of judge scores.
- Cohorts: Mann-Whitney's U test for latency, tokens, cost and scores (long-tailed, never
  normal), Fisher's exact test for error rates.

Every p-value is two-sided; None where the test is undefined (no pairs, or no difference at
all, as when a run is compared with itself).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy import stats  # type: ignore[import-untyped]

CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedComparison:
    """One scorer over the examples both runs scored: B against A."""

    name: str
    pairs: int
    mean_a: float | None
    mean_b: float | None
    delta: float | None  # mean of b - a over the pairs
    ci_low: float | None
    ci_high: float | None
    wins: int  # b scored higher
    losses: int  # b scored lower
    ties: int
    test: str  # "mcnemar" or "wilcoxon"
    p_value: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def mean_interval(differences: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """Mean of paired differences and its 95% interval by Student's t; no interval under 2."""
    if not differences:
        return None, None, None
    mean = math.fsum(differences) / len(differences)
    if len(differences) < 2:
        return mean, None, None
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(differences) - 1)) * statistics.stdev(differences)
    half /= math.sqrt(len(differences))
    return mean, mean - half, mean + half


def compare_paired(name: str, pairs: Sequence[tuple[float, float]], *, pass_rate: bool) -> PairedComparison:
    """Scores of the same examples in run A and run B, higher being better."""
    differences = [b - a for a, b in pairs]
    wins = sum(difference > 0 for difference in differences)
    losses = sum(difference < 0 for difference in differences)
    mean, low, high = mean_interval(differences)
    p_value: float | None = None
    if pass_rate and wins + losses:
        p_value = float(stats.binomtest(wins, wins + losses, 0.5).pvalue)
    elif not pass_rate and wins + losses:
        p_value = float(stats.wilcoxon(differences, zero_method="wilcox").pvalue)
    return PairedComparison(
        name=name,
        pairs=len(pairs),
        mean_a=statistics.fmean(a for a, _ in pairs) if pairs else None,
        mean_b=statistics.fmean(b for _, b in pairs) if pairs else None,
        delta=mean,
        ci_low=low,
        ci_high=high,
        wins=wins,
        losses=losses,
        ties=len(pairs) - wins - losses,
        test="mcnemar" if pass_rate else "wilcoxon",
        p_value=p_value,
    )


def two_sample_p(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Mann-Whitney's U test: do values in B tend to be higher or lower than in A?"""
    if not a or not b or (len(set(a)) == 1 and set(a) == set(b)):
        return None
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def rate_p(failed_a: int, total_a: int, failed_b: int, total_b: int) -> float | None:
    """Fisher's exact test on two error rates."""
    if not total_a or not total_b:
        return None
    table = [[failed_a, total_a - failed_a], [failed_b, total_b - failed_b]]
    return float(stats.fisher_exact(table).pvalue)
