"""Run against run: the examples both ran, side by side, with score, latency and cost deltas,
and per scorer the paired statistics (``server.diff.stats``). Higher scores are better.

An example *regressed* when B scored it lower on some scorer and higher on none, or failed
where A did not; *improved* the other way round; *mixed* with both; *same* otherwise.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .spans import as_text
from .stats import compare_paired

Row = dict[str, Any]


def _numeric(score: Row) -> float | None:
    value = score.get("value")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _scores(result: Row | None) -> dict[str, Row]:
    """The result's trace-level scores by name (the last given, when a name repeats)."""
    if result is None:
        return {}
    return {score["name"]: score for score in result.get("scores") or [] if score.get("span_id") is None}


def _delta(a: Row | None, b: Row | None, field: str) -> float | None:
    before, after = (None if row is None else row.get(field) for row in (a, b))
    if not isinstance(before, (int, float)) or not isinstance(after, (int, float)):
        return None
    return round(float(after) - float(before), 9)


def _example(example_id: str, a: Row | None, b: Row | None, names: list[str]) -> Row:
    either = b if b is not None else a
    assert either is not None
    scores: dict[str, Row] = {}
    outcomes: Counter[str] = Counter()
    scores_a, scores_b = _scores(a), _scores(b)
    for name in names:
        before, after = scores_a.get(name), scores_b.get(name)
        value_a = None if before is None else _numeric(before)
        value_b = None if after is None else _numeric(after)
        outcome = None
        if value_a is not None and value_b is not None:
            outcome = "win" if value_b > value_a else "loss" if value_b < value_a else "tie"
            outcomes[outcome] += 1
        scores[name] = {
            "a": value_a,
            "b": value_b,
            "label_a": None if before is None else before.get("label"),
            "label_b": None if after is None else after.get("label"),
            "delta": None if value_a is None or value_b is None else round(value_b - value_a, 9),
            "outcome": outcome,
        }
    failed_a, failed_b = (row is not None and row.get("error") is not None for row in (a, b))
    worse = outcomes["loss"] > 0 or (failed_b and not failed_a)
    better = outcomes["win"] > 0 or (failed_a and not failed_b)
    if a is None or b is None:
        verdict = "only_b" if a is None else "only_a"
    else:
        verdict = "mixed" if worse and better else "regressed" if worse else "improved" if better else "same"
    return {
        "example_id": example_id,
        "input": either.get("input"),
        "expected_output": either.get("expected_output"),
        "output_a": None if a is None else a.get("output"),
        "output_b": None if b is None else b.get("output"),
        "error_a": None if a is None else a.get("error"),
        "error_b": None if b is None else b.get("error"),
        "trace_id_a": None if a is None else a.get("trace_id"),
        "trace_id_b": None if b is None else b.get("trace_id"),
        "output_changed": a is not None and b is not None and as_text(a.get("output")) != as_text(b.get("output")),
        "latency_ms_delta": _delta(a, b, "latency_ms"),
        "total_tokens_delta": _delta(a, b, "total_tokens"),
        "cost_usd_delta": _delta(a, b, "cost_usd"),
        "scores": scores,
        "verdict": verdict,
    }


def diff_runs(run_a: Row, run_b: Row, results_a: list[Row], results_b: list[Row]) -> Row:
    """Compare two runs (as ``GET /api/v1/runs/{id}`` gives them) and their results."""
    by_id_a = {row["example_id"]: row for row in results_a}
    by_id_b = {row["example_id"]: row for row in results_b}
    order = [*by_id_a, *(example_id for example_id in by_id_b if example_id not in by_id_a)]
    names = sorted({name for row in (*results_a, *results_b) for name in _scores(row)})
    examples = [_example(example_id, by_id_a.get(example_id), by_id_b.get(example_id), names) for example_id in order]
    scorers = []
    for name in names:
        pairs = [
            (row["scores"][name]["a"], row["scores"][name]["b"])
            for row in examples
            if row["scores"][name]["a"] is not None and row["scores"][name]["b"] is not None
        ]
        data_types = {
            score["data_type"]
            for row in (*results_a, *results_b)
            for score_name, score in _scores(row).items()
            if score_name == name and _numeric(score) is not None
        }
        scorers.append(compare_paired(name, pairs, pass_rate=data_types == {"boolean"}).as_dict())
    verdicts = Counter(row["verdict"] for row in examples)
    return {
        "a": run_a,
        "b": run_b,
        "scorers": scorers,
        "examples": examples,
        "summary": {
            "examples_in_both": sum(row["verdict"] not in ("only_a", "only_b") for row in examples),
            "only_a": verdicts["only_a"],
            "only_b": verdicts["only_b"],
            "regressed": verdicts["regressed"],
            "improved": verdicts["improved"],
            "mixed": verdicts["mixed"],
            "same": verdicts["same"],
            "outputs_changed": sum(row["output_changed"] for row in examples),
            "failed_a": sum(row["error_a"] is not None for row in examples),
            "failed_b": sum(row["error_b"] is not None for row in examples),
        },
    }
