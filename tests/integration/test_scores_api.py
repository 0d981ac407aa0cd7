"""/api/v1/scores and /api/v1/score-configs on both backends, over real sockets: the three
types, resends by id, batches all or nothing, configs enforced, a score before its trace,
listing and paging, another project's scores unseen, bad input refused with its reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.storage import open_store
from server.storage.scores import NewScore, ScoreFilter
from tests.integration.collector_helpers import (
    RunningCollector,
    new_span_id,
    new_trace_id,
    running_collector,
    traces_request,
    wait_until,
)
from tests.integration.collector_helpers import span as otlp_span
from tests.integration.conftest import Backend


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url, ingest_workers=0) as running:
        yield running


def post(collector: RunningCollector, path: str, body: Any, status: int = 201) -> Any:
    response = collector.client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def detail(collector: RunningCollector, path: str, body: Any, status: int) -> str:
    message: str = post(collector, path, body, status)["detail"]
    return message


def test_each_type_is_stored_with_value_and_label_agreeing(collector: RunningCollector) -> None:
    trace, span = new_trace_id(), new_span_id()
    numeric = post(collector, "/api/v1/scores", {"trace_id": trace, "name": "relevance", "value": 0.75})
    boolean = post(
        collector,
        "/api/v1/scores",
        {"trace_id": trace, "span_id": span, "name": "helpful", "value": True, "source": "human", "author": "ada"},
    )
    category = post(
        collector, "/api/v1/scores", {"trace_id": trace, "name": "tone", "value": "friendly", "comment": "warm"}
    )
    as_text = post(
        collector, "/api/v1/scores", {"trace_id": trace, "name": "ok", "value": "false", "data_type": "boolean"}
    )
    one = post(collector, "/api/v1/scores", {"trace_id": trace, "name": "ok2", "value": 1, "data_type": "boolean"})
    found = [
        (row["name"], row["data_type"], row["value"], row["label"])
        for row in (numeric, boolean, category, as_text, one)
    ]
    assert found == [
        ("relevance", "numeric", 0.75, None),
        ("helpful", "boolean", 1.0, "true"),
        ("tone", "categorical", None, "friendly"),
        ("ok", "boolean", 0.0, "false"),
        ("ok2", "boolean", 1.0, "true"),
    ]
    assert (boolean["span_id"], boolean["source"], boolean["author"]) == (span, "human", "ada")
    assert numeric["source"] == "sdk" and numeric["span_id"] is None and len(numeric["id"]) == 32
    assert category["comment"] == "warm"


def test_a_score_may_come_before_its_trace_and_is_listed_with_it(collector: RunningCollector) -> None:
    trace = new_trace_id()
    score = post(collector, "/api/v1/scores", {"trace_id": trace.upper(), "name": "correct", "value": False})
    assert score["trace_id"] == trace
    assert collector.post_json(traces_request(otlp_span(trace, "answer"))).status_code == 200
    wait_until(lambda: collector.client.get(f"/api/v1/traces/{trace}").status_code == 200, "the trace")
    listed = collector.client.get("/api/v1/scores", params={"trace_id": trace}).json()["scores"]
    assert [row["id"] for row in listed] == [score["id"]]


def test_a_resend_with_the_same_id_is_harmless_and_a_different_one_conflicts(collector: RunningCollector) -> None:
    body = {"id": "eval-7:correct", "trace_id": new_trace_id(), "name": "correct", "value": 1.0}
    first = post(collector, "/api/v1/scores", body)
    again = post(collector, "/api/v1/scores", body, status=200)
    assert again == first
    message = detail(collector, "/api/v1/scores", {**body, "value": 0.0}, 409)
    assert message == "a score with id 'eval-7:correct' exists with different content"
    assert len(collector.client.get("/api/v1/scores").json()["scores"]) == 1


def test_a_batch_is_stored_whole_or_not_at_all(collector: RunningCollector) -> None:
    trace = new_trace_id()
    good = [{"trace_id": trace, "name": f"check {index}", "value": index} for index in range(3)]
    stored = post(collector, "/api/v1/scores/batch", {"scores": good})["scores"]
    assert [row["name"] for row in stored] == ["check 0", "check 1", "check 2"]
    bad = [*good, {"trace_id": trace, "name": "typed", "value": "yes", "data_type": "numeric"}]
    bad[0] = {**bad[0], "id": "new-one"}
    assert detail(collector, "/api/v1/scores/batch", {"scores": bad}, 400) == (
        "scores[3]: value 'yes' is text, not numeric"
    )
    assert len(collector.client.get("/api/v1/scores").json()["scores"]) == 3, "nothing of the bad batch"
    too_many = {"scores": [good[0]] * 1001}
    assert "at most 1000" in detail(collector, "/api/v1/scores/batch", too_many, 422)


def test_scores_follow_their_config(collector: RunningCollector) -> None:
    rating = post(
        collector,
        "/api/v1/score-configs",
        {"name": "rating", "data_type": "numeric", "min_value": 1, "max_value": 5, "description": "1 to 5 stars"},
    )
    tone = post(
        collector,
        "/api/v1/score-configs",
        {"name": "tone", "data_type": "categorical", "categories": ["friendly", "neutral", "rude"]},
    )
    trace = new_trace_id()

    def score(name: str, value: Any, config: dict[str, Any]) -> dict[str, Any]:
        return {"trace_id": trace, "name": name, "value": value, "config_id": config["id"], "source": "human"}

    assert post(collector, "/api/v1/scores", score("rating", 4, rating))["config_id"] == rating["id"]
    assert post(collector, "/api/v1/scores", score("tone", "rude", tone))["label"] == "rude"
    refused = {
        "value 6 is above 'rating''s maximum 5": score("rating", 6, rating),
        "value 0 is below 'rating''s minimum 1": score("rating", 0, rating),
        "'sarcastic' is not one of 'tone''s categories: friendly, neutral, rude": score("tone", "sarcastic", tone),
        f"score config {rating['id']!r} is for 'rating', not 'stars'": score("stars", 3, rating),
        "score config 'tone' wants a categorical value, not numeric": score("tone", 3, tone),
        "no score config 'missing'": {**score("rating", 3, rating), "config_id": "missing"},
    }
    for message, body in refused.items():
        assert detail(collector, "/api/v1/scores", body, 400) == message
    configs = collector.client.get("/api/v1/score-configs").json()["score_configs"]
    assert [config["name"] for config in configs] == ["rating", "tone"]
    assert configs[1]["categories"] == ["friendly", "neutral", "rude"]
    assert detail(collector, "/api/v1/score-configs", {"name": "rating", "data_type": "boolean"}, 409) == (
        "a score config named 'rating' exists already"
    )
    assert collector.client.delete(f"/api/v1/score-configs/{tone['id']}").status_code == 204
    assert collector.client.delete(f"/api/v1/score-configs/{tone['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "n", "data_type": "numeric", "min_value": 5, "max_value": 1}, "min_value 5.0 is above max_value 1.0"),
        ({"name": "n", "data_type": "categorical"}, "categories are needed for a categorical score"),
        ({"name": "n", "data_type": "boolean", "categories": ["a"]}, "categories are needed"),
        ({"name": "n", "data_type": "boolean", "max_value": 1}, "min_value and max_value are for numeric scores only"),
        ({"name": "n", "data_type": "categorical", "categories": ["a", "a"]}, "categories must be distinct"),
        ({"name": "n", "data_type": "stars"}, "body.data_type"),
    ],
)
def test_a_config_that_contradicts_itself_is_refused(
    collector: RunningCollector, body: dict[str, Any], message: str
) -> None:
    assert message in detail(collector, "/api/v1/score-configs", body, 422)


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"value": float("nan")}, 422, "body.value"),
        ({"value": float("inf")}, 422, "body.value"),
        ({"trace_id": "not-a-trace"}, 422, "body.trace_id: String should match pattern"),
        ({"span_id": "abc"}, 422, "body.span_id: String should match pattern"),
        ({"name": ""}, 422, "body.name: String should have at least 1 character"),
        ({"comment": "x" * 10_001}, 422, "body.comment: String should have at most 10000 characters"),
        ({"source": "oracle"}, 422, "body.source"),
        ({"extra": 1}, 422, "body.extra: Extra inputs are not permitted"),
        ({"value": 0.5, "data_type": "boolean"}, 400, "value 0.5 is not a boolean (1 or 0)"),
        ({"value": True, "data_type": "numeric"}, 400, "value True is a boolean, not numeric"),
    ],
)
def test_bad_scores_are_refused_with_the_reason(
    collector: RunningCollector, change: dict[str, Any], status: int, message: str
) -> None:
    body = {"trace_id": new_trace_id(), "name": "n", "value": 1.0, **change}
    # NaN and infinity are not JSON; Python's encoder writes them anyway, as some clients do.
    response = collector.client.post(
        "/api/v1/scores", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert collector.client.get("/api/v1/scores").json()["scores"] == []


def test_the_list_filters_and_pages_newest_first(collector: RunningCollector) -> None:
    trace, other = new_trace_id(), new_trace_id()
    for index in range(5):
        post(collector, "/api/v1/scores", {"trace_id": trace, "name": "step", "value": index, "run_id": "run-1"})
    post(collector, "/api/v1/scores", {"trace_id": other, "name": "other", "value": True, "source": "human"})
    seen, cursor = [], None
    while True:
        params = {"trace_id": trace, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = collector.client.get("/api/v1/scores", params=params).json()
        seen += [row["value"] for row in page["scores"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [0, 1, 2, 3, 4] and len(seen) == 5
    listed = collector.client.get("/api/v1/scores").json()["scores"]
    assert listed[0]["name"] == "other", "newest first"
    assert [
        row["name"] for row in collector.client.get("/api/v1/scores", params={"source": "human"}).json()["scores"]
    ] == ["other"]
    assert len(collector.client.get("/api/v1/scores", params={"run_id": "run-1"}).json()["scores"]) == 5
    bad = collector.client.get("/api/v1/scores", params={"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("bad cursor")


def test_another_projects_scores_are_unseen(backend: Backend, collector: RunningCollector) -> None:
    store = open_store(backend.url)
    try:
        ((theirs, _),) = store.scores.add(
            "other", [NewScore(new_trace_id(), None, "secret", "numeric", 1.0, None, "human", id="shared-id")]
        )
    finally:
        store.close()
    assert collector.client.get("/api/v1/scores").json()["scores"] == []
    assert collector.client.delete("/api/v1/scores/shared-id").status_code == 404
    # The same id in this project is a score of its own.
    mine = post(collector, "/api/v1/scores", {"id": "shared-id", "trace_id": new_trace_id(), "name": "n", "value": 2})
    assert mine["name"] == "n"
    assert collector.client.delete("/api/v1/scores/shared-id").status_code == 204
    store = open_store(backend.url)
    try:
        rows, _ = store.scores.find("other", ScoreFilter(), 10, None)
    finally:
        store.close()
    assert [row["id"] for row in rows] == [theirs["id"]]


def test_the_trace_list_shows_scores_and_filters_by_them(collector: RunningCollector) -> None:
    good, bad, unscored = new_trace_id(), new_trace_id(), new_trace_id()
    request = traces_request(*(otlp_span(trace, "answer") for trace in (good, bad, unscored)))
    assert collector.post_json(request).status_code == 200
    wait_until(lambda: len(collector.traces()["traces"]) == 3, "three traces")
    for trace, helpful, rating, tone in ((good, True, 5, "friendly"), (bad, False, 2, "rude")):
        post(collector, "/api/v1/scores", {"trace_id": trace, "name": "helpful", "value": helpful})
        post(collector, "/api/v1/scores", {"trace_id": trace, "name": "rating", "value": rating})
        post(collector, "/api/v1/scores", {"trace_id": trace, "name": "rating", "value": rating - 1})
        post(collector, "/api/v1/scores", {"trace_id": trace, "name": "tone", "value": tone})
    post(collector, "/api/v1/scores", {"trace_id": good, "name": "tone", "value": "neutral"})

    def listed(**filters: Any) -> set[str]:
        return {row["trace_id"] for row in collector.traces(**filters)["traces"]}

    assert listed(score_name="helpful", min_score=1) == {good}
    assert listed(score_name="helpful", max_score=0) == {bad}
    assert listed(score_name="rating", min_score=4.5) == {good}, "one score of the name must match"
    assert listed(score_label="rude") == {bad}
    assert listed(score_name="tone") == {good, bad}
    assert listed(without_score="helpful") == {unscored}
    assert listed(score_name="nothing") == set()
    rows = {row["trace_id"]: row["scores"] for row in collector.traces()["traces"]}
    assert rows[unscored] == []
    assert rows[good] == [
        {"name": "helpful", "data_type": "boolean", "count": 1, "mean": 1.0, "label": "true"},
        {"name": "rating", "data_type": "numeric", "count": 2, "mean": 4.5, "label": None},
        {"name": "tone", "data_type": "categorical", "count": 2, "mean": None, "label": "neutral"},
    ]
    assert collector.client.get("/api/v1/traces", params={"min_score": "nan"}).status_code == 422


def test_the_trace_list_orders_by_a_score_across_pages(collector: RunningCollector) -> None:
    traces = [new_trace_id() for _ in range(5)]
    assert collector.post_json(traces_request(*(otlp_span(trace, "answer") for trace in traces))).status_code == 200
    wait_until(lambda: len(collector.traces()["traces"]) == 5, "five traces")
    values = {traces[0]: [3.0], traces[1]: [5.0, 1.0], traces[2]: [4.0], traces[3]: [3.0]}  # traces[4]: none
    for trace, given in values.items():
        for value in given:
            post(collector, "/api/v1/scores", {"trace_id": trace, "name": "rating", "value": value})

    def walk(order: str) -> list[str]:
        seen, cursor = [], None
        while True:
            params = {"score_name": "rating", "order_by_score": order, "limit": 2} | (
                {"cursor": cursor} if cursor else {}
            )
            page = collector.traces(**params)
            seen += [row["trace_id"] for row in page["traces"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    ties = sorted([traces[0], traces[1], traces[3]], reverse=True)  # mean 3: ties by trace ID, descending
    assert walk("desc") == [traces[2], *ties]
    assert walk("asc") == [*reversed(ties), traces[2]]
    assert len(set(walk("desc"))) == 4, "each trace once, the unscored one left out"
    refused = collector.client.get("/api/v1/traces", params={"order_by_score": "desc"})
    assert refused.status_code == 422 and "order_by_score needs score_name" in refused.json()["detail"]
    bad = collector.client.get(
        "/api/v1/traces", params={"score_name": "rating", "order_by_score": "asc", "cursor": "x"}
    )
    assert bad.status_code == 400
