"""``RunSummary``: what ``tracer.evaluate`` returns, and the statistics behind it.

The per-scorer means, intervals and latency percentiles are computed here from what the
SDK measured, with the same definitions as the collector's run aggregates
(docs/evaluation.md): a 95% confidence interval of the mean by the normal approximation,
mean ± 1.96·s/√n with the sample standard deviation, except for pass rates (every value a
bool), whose interval is Wilson's, and percentiles by linear interpolation between closest
ranks (SQL's ``percentile_cont``). Tokens and cost come from
the collector, which reads them from the run's traces.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

Z_95 = 1.96  # as docs/evaluation.md and the collector's aggregates


def mean_and_interval(
    values: Sequence[float], *, pass_rate: bool = False
) -> tuple[float | None, float | None, float | None]:
    """Mean and its 95% interval (low, high); no interval for fewer than two values.

    A ``pass_rate`` (values 0 and 1) gets Wilson's score interval, which stays within 0..1
    and is not empty when every value is the same, where the normal one is (1 to 1, or past 1).
    """
    if not values:
        return None, None, None
    count = len(values)
    mean = math.fsum(values) / count
    if count < 2:
        return mean, None, None
    if pass_rate:
        shrink = 1 + Z_95**2 / count
        centre = (mean + Z_95**2 / (2 * count)) / shrink
        half = Z_95 * math.sqrt(mean * (1 - mean) / count + Z_95**2 / (4 * count**2)) / shrink
        return mean, centre - half, centre + half
    variance = math.fsum((value - mean) ** 2 for value in values) / (count - 1)
    half = Z_95 * math.sqrt(variance / count)
    return mean, mean - half, mean + half


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile by linear interpolation (``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class ScoreSummary:
    """One scorer over a run: numbers and bools (as 1/0) get a mean and 95% interval (for
    bools alone, a pass rate, Wilson's); categories get their counts. ``errors`` counts
    examples where the scorer raised."""

    name: str
    count: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    labels: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    @classmethod
    def of(cls, name: str, values: Sequence[float | bool | str], errors: int = 0) -> ScoreSummary:
        numbers = [float(value) for value in values if not isinstance(value, str)]
        labels = Counter(value for value in values if isinstance(value, str))
        pass_rate = bool(numbers) and all(isinstance(value, bool) for value in values if not isinstance(value, str))
        mean, low, high = mean_and_interval(numbers, pass_rate=pass_rate)
        return cls(name, len(values), mean, low, high, dict(labels), errors)

    def __str__(self) -> str:
        if self.mean is None and self.labels:
            shown = ", ".join(f"{label} {count}" for label, count in sorted(self.labels.items()))
        elif self.mean is None:
            shown = "no scores"
        elif self.ci_low is None or self.ci_high is None:
            shown = f"{self.mean:.3f}"
        else:
            shown = f"{self.mean:.3f} (95% CI {self.ci_low:.3f} to {self.ci_high:.3f})"
        failed = f", {self.errors} error(s)" if self.errors else ""
        return f"{self.name}: {shown}, n={self.count}{failed}"


@dataclass(frozen=True)
class ExampleError:
    """An example whose task (``scorer`` None) or one of its scorers raised."""

    example_id: str
    message: str
    scorer: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """The outcome of ``tracer.evaluate``; ``print(summary)`` shows it as a small report.

    ``scores`` maps each score name to its ScoreSummary; latencies are the task's, in
    seconds; ``total_tokens`` and ``cost`` are those of the run's traces as the collector
    computed them (None when it had none), and ``models`` the models their spans name;
    ``errors`` lists every task and scorer error.
    """

    run_id: str
    name: str
    dataset_id: str
    dataset_version: int | None
    examples: int
    failed: int
    scores: dict[str, ScoreSummary]
    latency_p50: float | None
    latency_p95: float | None
    total_tokens: int | None
    cost: float | None
    errors: list[ExampleError]
    metadata: dict[str, object] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"run {self.name!r} ({self.run_id}): {self.examples} examples, {self.failed} failed"]
        lines += [f"  {summary}" for summary in self.scores.values()]
        if self.latency_p50 is not None and self.latency_p95 is not None:
            lines.append(f"  latency: p50 {self.latency_p50:.3f}s, p95 {self.latency_p95:.3f}s")
        tokens = "unknown" if self.total_tokens is None else f"{self.total_tokens:,}"
        cost = "unknown" if self.cost is None else f"${self.cost:.4f}"
        lines.append(f"  tokens: {tokens}, cost: {cost}")
        if self.models:
            lines.append(f"  models: {', '.join(self.models)}")
        for error in self.errors[:5]:
            where = f"scorer {error.scorer}" if error.scorer else "task"
            lines.append(f"  error in {where} on example {error.example_id}: {error.message}")
        if len(self.errors) > 5:
            lines.append(f"  ... and {len(self.errors) - 5} more error(s)")
        return "\n".join(lines)
