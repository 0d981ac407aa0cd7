"""A run's aggregates, computed in the database (docs/evaluation.md "Runs"): one query per kind
of figure, each grouped by run, for any number of runs at once.

- ``result_figures``: examples run and failed, latency p50/p95 (``percentile_cont``, as both
  databases compute it; see ``server.storage.metrics``).
- ``trace_figures``: tokens and cost summed over the distinct traces of the run's results.
- ``score_figures``: per score name, the count, the mean and a 95% confidence interval of the
  mean by the normal approximation, mean ± 1.96·s/√n with s the sample standard deviation of
  the n numeric values; NULL when n < 2, where s is undefined.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .metrics import percentile, sum_int
from .tables import run_results, scores, traces

Z_95 = 1.96  # the standard normal's 97.5th percentile: a two-sided 95% interval


def result_figures(project_id: str, run_ids: list[str]) -> sa.Select[Any]:
    r = run_results.c
    return (
        sa.select(
            r.run_id,
            sa.func.count().label("examples_run"),
            sa.func.count().filter(r.error.is_not(None)).label("examples_failed"),
            percentile(0.5, r.latency_ms).label("latency_p50_ms"),
            percentile(0.95, r.latency_ms).label("latency_p95_ms"),
        )
        .where(r.project_id == project_id, r.run_id.in_(run_ids))
        .group_by(r.run_id)
    )


def trace_figures(project_id: str, run_ids: list[str]) -> sa.Select[Any]:
    r, t = run_results.c, traces.c
    # Distinct: two results naming one trace must not count its tokens twice.
    run_traces = (
        sa.select(r.run_id, r.trace_id)
        .where(r.project_id == project_id, r.run_id.in_(run_ids), r.trace_id.is_not(None))
        .distinct()
        .subquery("run_traces")
    )
    joined = run_traces.join(traces, sa.and_(t.project_id == project_id, t.trace_id == run_traces.c.trace_id))
    return (
        sa.select(
            run_traces.c.run_id,
            sum_int(t.total_tokens).label("total_tokens"),
            sa.func.sum(t.cost_usd).label("cost_usd"),  # NULL when no trace has a cost
        )
        .select_from(joined)
        .group_by(run_traces.c.run_id)
    )


def score_figures(project_id: str, run_ids: list[str]) -> sa.Select[Any]:
    s = scores.c
    numeric = sa.func.count(s.value)  # categorical scores have no value: they count, but not here
    mean = sa.func.avg(s.value)
    half_width = Z_95 * sa.func.stddev_samp(s.value) / sa.func.sqrt(sa.cast(numeric, sa.Double))
    return (
        sa.select(
            s.run_id,
            s.name,
            sa.func.count().label("count"),
            sa.cast(mean, sa.Double).label("mean"),
            sa.case((numeric >= 2, mean - half_width)).label("ci_low"),
            sa.case((numeric >= 2, mean + half_width)).label("ci_high"),
        )
        .where(s.project_id == project_id, s.run_id.in_(run_ids))
        .group_by(s.run_id, s.name)
        .order_by(s.run_id, s.name)
    )
