"""A run's aggregates, computed in the database (docs/evaluation.md "Runs"): one query per kind
of figure, each grouped by run, for any number of runs at once.

- ``result_figures``: examples run and failed, latency p50/p95 (``percentile_cont``, as both
  databases compute it; see ``server.storage.metrics``).
- ``trace_figures``: tokens and cost summed over the distinct traces of the run's results.
- ``model_lists``: the distinct model lists of those traces, for the models the run used.
- ``score_figures``: per score name, the count, the mean and a 95% confidence interval of the
  mean by the normal approximation, mean ± 1.96·s/√n with s the sample standard deviation of
  the n numeric values, or for a pass rate (only boolean values) Wilson's score interval,
  which stays within 0..1; NULL when n < 2, where s is undefined.
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


def _run_traces(project_id: str, run_ids: list[str]) -> tuple[sa.Subquery, sa.Join]:
    """The distinct traces of the runs' results, joined to their summaries."""
    r, t = run_results.c, traces.c
    # Distinct: two results naming one trace must not count its tokens twice.
    run_traces = (
        sa.select(r.run_id, r.trace_id)
        .where(r.project_id == project_id, r.run_id.in_(run_ids), r.trace_id.is_not(None))
        .distinct()
        .subquery("run_traces")
    )
    return run_traces, run_traces.join(traces, sa.and_(t.project_id == project_id, t.trace_id == run_traces.c.trace_id))


def trace_figures(project_id: str, run_ids: list[str]) -> sa.Select[Any]:
    t = traces.c
    run_traces, joined = _run_traces(project_id, run_ids)
    return (
        sa.select(
            run_traces.c.run_id,
            sum_int(t.total_tokens).label("total_tokens"),
            sa.func.sum(t.cost_usd).label("cost_usd"),  # NULL when no trace has a cost
        )
        .select_from(joined)
        .group_by(run_traces.c.run_id)
    )


def model_lists(project_id: str, run_ids: list[str]) -> sa.Select[Any]:
    """Each run's distinct ``traces.models`` lists as JSON text (a run's traces mostly share
    one list, so these are few rows): their union is the models the run used."""
    run_traces, joined = _run_traces(project_id, run_ids)
    models = sa.cast(traces.c.models, sa.Text).label("models")
    return sa.select(run_traces.c.run_id, models).select_from(joined).where(traces.c.models.is_not(None)).distinct()


def score_figures(project_id: str, run_ids: list[str]) -> sa.Select[Any]:
    s = scores.c
    numeric = sa.func.count(s.value)  # categorical scores have no value: they count, but not here
    n = sa.cast(numeric, sa.Double)
    mean = sa.cast(sa.func.avg(s.value), sa.Double)
    half_width = Z_95 * sa.func.stddev_samp(s.value) / sa.func.sqrt(n)
    # Wilson's interval for a pass rate, as tracer/_internal/summary.py computes it.
    pass_rate = sa.func.count(s.value).filter(s.data_type != "boolean") == 0
    shrink = 1 + Z_95**2 / n
    centre = (mean + Z_95**2 / (2 * n)) / shrink
    wilson_half = Z_95 * sa.func.sqrt(mean * (1 - mean) / n + Z_95**2 / (4 * n * n)) / shrink
    return (
        sa.select(
            s.run_id,
            s.name,
            sa.func.count().label("count"),
            mean.label("mean"),
            sa.case((numeric < 2, None), (pass_rate, centre - wilson_half), else_=mean - half_width).label("ci_low"),
            sa.case((numeric < 2, None), (pass_rate, centre + wilson_half), else_=mean + half_width).label("ci_high"),
        )
        .where(s.project_id == project_id, s.run_id.in_(run_ids))
        .group_by(s.run_id, s.name)
        .order_by(s.run_id, s.name)
    )
