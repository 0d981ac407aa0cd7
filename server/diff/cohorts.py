"""Cohort against cohort: two sets of production traces (each defined by a trace filter)
compared by distribution (latency, tokens, cost, errors, scores), each difference with a
two-sample test (``server.diff.stats``), and the span names that account for the change.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from .stats import rate_p, two_sample_p

Row = dict[str, Any]
FIGURES = ("duration_ms", "total_tokens", "cost_usd")
TOP_SPAN_NAMES = 15


def _values(traces: list[Row], figure: str) -> list[float]:
    return [float(trace[figure]) for trace in traces if isinstance(trace.get(figure), (int, float))]


def _distribution(values: list[float]) -> Row:
    if not values:
        return {"count": 0, "mean": None, "p50": None, "p95": None, "p99": None}
    # linear interpolation, as percentile_cont computes percentiles everywhere else
    p50, p95, p99 = (float(value) for value in np.percentile(values, [50, 95, 99]))
    return {"count": len(values), "mean": float(np.mean(values)), "p50": p50, "p95": p95, "p99": p99}


def _score_means(traces: list[Row]) -> dict[str, list[float]]:
    """Each trace's mean per score name (from the trace list's ``scores``)."""
    found: dict[str, list[float]] = defaultdict(list)
    for trace in traces:
        for score in trace.get("scores") or []:
            if score.get("mean") is not None:
                found[score["name"]].append(float(score["mean"]))
    return found


def _cohort(traces: list[Row], truncated: bool) -> Row:
    failed = sum(1 for trace in traces if trace.get("error_count"))
    return {
        "traces": len(traces),
        "truncated": truncated,
        "failed": failed,
        "error_rate": failed / len(traces) if traces else None,
        **{figure: _distribution(_values(traces, figure)) for figure in FIGURES},
        "scores": {name: _distribution(values) for name, values in sorted(_score_means(traces).items())},
        "values": {figure: _values(traces, figure) for figure in FIGURES},
    }


def _span_names(names_a: list[Row], names_b: list[Row], traces_a: int, traces_b: int) -> list[Row]:
    """Per span name, its time and cost per trace in each cohort; the largest changes of its
    own time first (a parent's time repeats its children's)."""
    keyed: dict[tuple[str, str], dict[str, Row]] = defaultdict(dict)
    for side, rows in (("a", names_a), ("b", names_b)):
        for row in rows:
            keyed[(row["name"], row["kind"])][side] = row
    compared = []
    for (name, kind), sides in keyed.items():
        entry: Row = {"name": name, "kind": kind}
        for side, total in (("a", traces_a), ("b", traces_b)):
            row = sides.get(side, {})
            entry[f"spans_{side}"] = int(row.get("spans") or 0)
            entry[f"errors_{side}"] = int(row.get("errors") or 0)
            entry[f"ms_per_trace_{side}"] = float(row.get("duration_ms") or 0) / total if total else None
            entry[f"self_ms_per_trace_{side}"] = float(row.get("self_ms") or 0) / total if total else None
            entry[f"cost_per_trace_{side}"] = float(row.get("cost_usd") or 0) / total if total else None
        for figure in ("ms_per_trace", "self_ms_per_trace", "cost_per_trace"):
            before, after = entry[f"{figure}_a"], entry[f"{figure}_b"]
            entry[f"{figure}_delta"] = None if before is None or after is None else after - before
        compared.append(entry)
    compared.sort(key=lambda entry: (-abs(entry["self_ms_per_trace_delta"] or 0), entry["name"], entry["kind"]))
    return compared[:TOP_SPAN_NAMES]


def compare_cohorts(
    traces_a: list[Row], traces_b: list[Row], names: tuple[list[Row], list[Row]], truncated: tuple[bool, bool]
) -> Row:
    """``traces_*``: the cohorts' trace summaries (as the trace list gives them); ``names``:
    their span names summed (``Store.span_names``); ``truncated``: whether a cohort had more."""
    a, b = _cohort(traces_a, truncated[0]), _cohort(traces_b, truncated[1])
    tests: Row = {figure: two_sample_p(a["values"][figure], b["values"][figure]) for figure in FIGURES}
    tests["error_rate"] = rate_p(a["failed"], a["traces"], b["failed"], b["traces"])
    means_a, means_b = _score_means(traces_a), _score_means(traces_b)
    tests["scores"] = {
        name: two_sample_p(means_a.get(name, []), means_b.get(name, [])) for name in sorted({*means_a, *means_b})
    }
    return {"a": a, "b": b, "tests": tests, "span_names": _span_names(*names, len(traces_a), len(traces_b))}
