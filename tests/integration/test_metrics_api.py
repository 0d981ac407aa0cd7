"""GET /api/v1/metrics over real sockets, on DuckDB and Postgres: known traces in, exact figures out
(counts, sums, interpolated percentiles worked out by hand, bucket boundaries to the microsecond,
the split by model, the top span names), ranges, the default bucket size, and 400s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.integration.collector_helpers import (
    T0_NS,
    RunningCollector,
    new_trace_id,
    running_collector,
    span,
    traces_request,
)
from tests.integration.conftest import Backend

T0 = datetime.fromtimestamp(T0_NS / 1e9, timezone.utc)  # midnight: every bucket size aligns to it
SECOND_NS = 1_000_000_000


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url) as running:
        yield running


def llm_call(model: str, offset_ms: float, duration_ms: float, tokens: tuple[int, int], **extra: Any) -> dict[str, Any]:
    return {"model": model, "offset_ms": offset_ms, "duration_ms": duration_ms, "tokens": tokens, **extra}


def a_trace(
    start_ns: int, duration_ms: float, *calls: dict[str, Any], error: bool = False, name: str = "pipeline"
) -> list[dict[str, Any]]:
    """A chain root of ``duration_ms`` with one LLM child per call (which must end inside it)."""
    trace_id = new_trace_id()
    root = span(
        trace_id,
        name,
        start_ns=start_ns,
        duration_ms=duration_ms,
        attributes={"openinference.span.kind": "CHAIN"},
        error="failed" if error else None,
    )
    spans = [root]
    for call in calls:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": call["model"],
            "gen_ai.usage.input_tokens": call["tokens"][0],
            "gen_ai.usage.output_tokens": call["tokens"][1],
        }
        if "cost" in call:
            attributes["llm.cost.total"] = call["cost"]
        spans.append(
            span(
                trace_id,
                "chat",
                parent=root["spanId"],
                start_ns=start_ns + int(call["offset_ms"] * 1_000_000),
                duration_ms=call["duration_ms"],
                attributes=attributes,
                error="rate limited" if call.get("error") else None,
            )
        )
    return spans


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def dataset(collector: RunningCollector) -> None:
    """Six traces. With 60 s buckets: three in [0, 60) (the last 1 us before the boundary), two in
    [60, 120) (the first exactly on it), none in [120, 180), one at 200 s. "house-model" has no
    price, so its calls have no cost."""
    spans = [
        # A: two gpt-4o calls (10 and 30 ms) with costs.
        *a_trace(
            T0_NS,
            100,
            llm_call("gpt-4o", 1, 10, (100, 20), cost=0.01),
            llm_call("gpt-4o", 20, 30, (50, 10), cost=0.02),
        ),
        # B: failed, with a failed gpt-4o-mini call.
        *a_trace(
            T0_NS + 30 * SECOND_NS, 200, llm_call("gpt-4o-mini", 1, 20, (7, 3), cost=0.004, error=True), error=True
        ),
        *a_trace(T0_NS + 60 * SECOND_NS - 1_000, 300),  # C: 1 us before the 60 s boundary
        *a_trace(T0_NS + 60 * SECOND_NS, 400),  # D: on the boundary
        *a_trace(T0_NS + 90 * SECOND_NS, 1000, llm_call("house-model", 1, 30, (10, 10))),  # E
        *a_trace(T0_NS + 200 * SECOND_NS, 50),  # F
    ]
    response = collector.post_json(traces_request(*spans))
    assert response.status_code == 200, response.text


def metrics(collector: RunningCollector, **params: Any) -> dict[str, Any]:
    response = collector.client.get("/api/v1/metrics", params=params)
    assert response.status_code == 200, f"GET metrics {params}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    for row in body["timeline"] + body["by_model"]:
        row["bucket_start"] = datetime.fromisoformat(row["bucket_start"])
    for key in ("start", "end"):
        body[key] = body[key] and datetime.fromisoformat(body[key])
    return body


def approx(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {key: pytest.approx(value) if isinstance(value, float) else value for key, value in row.items()} for row in rows
    ]


TIMELINE_60 = [
    {
        "bucket_start": at(0),
        "traces": 3,
        "error_traces": 1,
        "error_rate": 1 / 3,
        # Durations 100, 200, 300: p95 sits at 0.95 * 2 = 1.9 ranks, 90% of the way from 200 to 300.
        "p50_ms": 200.0,
        "p95_ms": 290.0,
        "p99_ms": 298.0,
        "input_tokens": 157,
        "output_tokens": 33,
        "cost_usd": 0.034,
    },
    {
        "bucket_start": at(60),
        "traces": 2,
        "error_traces": 0,
        "error_rate": 0.0,
        "p50_ms": 700.0,  # 400 and 1000
        "p95_ms": 970.0,
        "p99_ms": 994.0,
        "input_tokens": 10,
        "output_tokens": 10,
        "cost_usd": None,
    },
    {
        "bucket_start": at(180),
        "traces": 1,
        "error_traces": 0,
        "error_rate": 0.0,
        "p50_ms": 50.0,
        "p95_ms": 50.0,
        "p99_ms": 50.0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": None,
    },
]
BY_MODEL_60 = [
    {
        "bucket_start": at(0),
        "model": "gpt-4o",
        "calls": 2,
        "errors": 0,
        "input_tokens": 150,
        "output_tokens": 30,
        "cost_usd": 0.03,
        "p50_ms": 20.0,  # 10 and 30
        "p95_ms": 29.0,
    },
    {
        "bucket_start": at(0),
        "model": "gpt-4o-mini",
        "calls": 1,
        "errors": 1,
        "input_tokens": 7,
        "output_tokens": 3,
        "cost_usd": 0.004,
        "p50_ms": 20.0,
        "p95_ms": 20.0,
    },
    {
        "bucket_start": at(60),
        "model": "house-model",
        "calls": 1,
        "errors": 0,
        "input_tokens": 10,
        "output_tokens": 10,
        "cost_usd": None,
        "p50_ms": 30.0,
        "p95_ms": 30.0,
    },
]
BY_SPAN_NAME = [
    {
        "name": "pipeline",
        "kind": "chain",
        "count": 6,
        "errors": 1,
        # Sorted: 50, 100, 200, 300, 400, 1000. p50 at rank 2.5; p95 at 4.75: 400 + 0.75 * 600.
        "p50_ms": 250.0,
        "p95_ms": 850.0,
        "p99_ms": 970.0,
        "total_duration_ms": 2050.0,
        "total_tokens": 0,
        "cost_usd": None,
    },
    {
        "name": "chat",
        "kind": "llm",
        "count": 4,
        "errors": 1,
        # Sorted: 10, 20, 30, 30.
        "p50_ms": 25.0,
        "p95_ms": 30.0,
        "p99_ms": 30.0,
        "total_duration_ms": 90.0,
        "total_tokens": 210,
        "cost_usd": 0.034,
    },
]


def test_sixty_second_buckets_give_exact_figures(collector: RunningCollector, dataset: None) -> None:
    found = metrics(collector, bucket_seconds=60)
    assert (found["bucket_seconds"], found["start"], found["end"]) == (60, at(0), at(200))
    assert found["timeline"] == approx(TIMELINE_60)
    assert found["by_model"] == approx(BY_MODEL_60)
    assert found["by_span_name"] == approx(BY_SPAN_NAME)


def test_the_default_bucket_cuts_the_data_into_at_most_sixty(collector: RunningCollector, dataset: None) -> None:
    # 200 s of data / 60 = 3.3 s: the next friendly size is 5 s, so every trace has a bucket.
    found = metrics(collector)
    assert (found["bucket_seconds"], found["start"], found["end"]) == (5, at(0), at(200))
    assert [(row["bucket_start"], row["traces"]) for row in found["timeline"]] == [
        (at(0), 1),
        (at(30), 1),
        (at(55), 1),
        (at(60), 1),
        (at(90), 1),
        (at(200), 1),
    ]
    assert [(row["bucket_start"], row["model"]) for row in found["by_model"]] == [
        (at(0), "gpt-4o"),
        (at(30), "gpt-4o-mini"),
        (at(90), "house-model"),
    ]
    # A day asked for: 1,440 s a bucket wanted, one hour given.
    day = metrics(collector, start_after=iso(at(0)), start_before=iso(at(86400)))
    assert (day["bucket_seconds"], day["start"], day["end"]) == (3600, at(0), at(86400))
    assert [(row["bucket_start"], row["traces"]) for row in day["timeline"]] == [(at(0), 6)]


def test_a_range_keeps_what_starts_inside_it(collector: RunningCollector, dataset: None) -> None:
    # [60 s, 200 s): D (on the lower bound) and E; C is 1 us short of it, F is on the upper one.
    found = metrics(collector, start_after=iso(at(60)), start_before=iso(at(200)), bucket_seconds=60)
    assert (found["start"], found["end"]) == (at(60), at(200))
    assert found["timeline"] == approx(TIMELINE_60[1:2])
    assert found["by_model"] == approx(BY_MODEL_60[2:])
    assert found["by_span_name"] == approx(
        [
            {
                **BY_SPAN_NAME[0],
                "count": 2,
                "errors": 0,
                "p50_ms": 700.0,
                "p95_ms": 970.0,
                "p99_ms": 994.0,
                "total_duration_ms": 1400.0,
            },
            {
                **BY_SPAN_NAME[1],
                "count": 1,
                "errors": 0,
                "p50_ms": 30.0,
                "p95_ms": 30.0,
                "p99_ms": 30.0,
                "total_duration_ms": 30.0,
                "total_tokens": 20,
                "cost_usd": None,
            },
        ]
    )
    # One bound: the other is the data's (the last trace start after it).
    found = metrics(collector, start_after=iso(at(60)), bucket_seconds=60)
    assert (found["start"], found["end"]) == (at(60), at(200))
    assert [row["traces"] for row in found["timeline"]] == [2, 1]
    found = metrics(collector, start_before=iso(at(60)), bucket_seconds=60)
    assert (found["start"], found["end"]) == (at(0), at(60))
    assert found["timeline"] == approx(TIMELINE_60[:1])
    # A range with no traces: its own bounds, nothing in it.
    empty = metrics(collector, start_after=iso(at(1000)))
    assert (empty["start"], empty["end"], empty["bucket_seconds"]) == (at(1000), at(1000), 1)
    assert empty["timeline"] == empty["by_model"] == empty["by_span_name"] == []


def test_the_top_span_names_are_the_fifty_longest_in_total(collector: RunningCollector) -> None:
    # 55 names, name number n taking n ms in all (two spans of n/2 ms for odd n, one otherwise).
    spans = []
    for number in range(1, 56):
        halves = 2 if number % 2 else 1
        for _ in range(halves):
            spans += a_trace(T0_NS + number * SECOND_NS, number / halves, name=f"step {number:02d}")
    assert collector.post_json(traces_request(*spans)).status_code == 200
    top = metrics(collector)["by_span_name"]
    assert [(row["name"], row["count"]) for row in top] == [
        (f"step {number:02d}", 2 if number % 2 else 1) for number in range(55, 5, -1)
    ]
    assert [row["total_duration_ms"] for row in top] == pytest.approx([float(number) for number in range(55, 5, -1)])


def test_no_data_gives_empty_lists(collector: RunningCollector) -> None:
    found = metrics(collector)
    assert found == {
        "bucket_seconds": 1,
        "start": None,
        "end": None,
        "timeline": [],
        "by_model": [],
        "by_span_name": [],
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_after": iso(at(60)), "start_before": iso(at(60))}, "must be before start_before"),
        ({"start_after": iso(at(61)), "start_before": iso(at(60))}, "must be before start_before"),
        ({"bucket_seconds": 0}, "bucket_seconds must be from 1"),
        ({"bucket_seconds": -60}, "bucket_seconds must be from 1"),
        ({"bucket_seconds": 10**12}, "bucket_seconds must be from 1"),
        # A day in seconds: 86,401 buckets (both ends count).
        ({"start_after": iso(at(0)), "start_before": iso(at(86400)), "bucket_seconds": 1}, "into 86401 buckets"),
        ({"start_after": iso(at(0)), "start_before": iso(at(86400)), "bucket_seconds": 8}, "more than 10000"),
    ],
)
def test_bad_ranges_and_bucket_sizes_are_400(
    collector: RunningCollector, dataset: None, params: dict[str, Any], message: str
) -> None:
    response = collector.client.get("/api/v1/metrics", params=params)
    assert response.status_code == 400, f"{params}: {response.status_code} {response.text}"
    assert message in response.json()["detail"], response.text


def test_the_data_range_counts_against_the_bucket_limit(collector: RunningCollector) -> None:
    spans = a_trace(T0_NS, 1) + a_trace(T0_NS + 20_000 * SECOND_NS, 1)
    assert collector.post_json(traces_request(*spans)).status_code == 200
    response = collector.client.get("/api/v1/metrics", params={"bucket_seconds": 1})
    assert response.status_code == 400 and "into 20001 buckets" in response.json()["detail"], response.text
    assert [row["traces"] for row in metrics(collector, bucket_seconds=3)["timeline"]] == [1, 1]


@pytest.mark.parametrize(
    ("params", "named"), [({"bucket_seconds": "a minute"}, "bucket_seconds"), ({"step": 5}, "step")]
)
def test_malformed_parameters_are_422(collector: RunningCollector, params: dict[str, Any], named: str) -> None:
    response = collector.client.get("/api/v1/metrics", params=params)
    assert response.status_code == 422 and named in response.json()["detail"], response.text
