"""Scoring traces in the UI (AppTest, real collector): thumbs, score configs, free-form
scores, deleting, the Traces list's Scores column and filters, and hostile score text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sample import HOSTILE
from streamlit.testing.v1 import AppTest
from ui_world import UiWorld, markdown_sources


@pytest.fixture
def clean(world: UiWorld) -> Iterator[UiWorld]:
    """The world with no scores or score configs before and after the test."""
    api = world.collector.client

    def delete_all() -> None:
        for score in api.get("/api/v1/scores", params={"limit": 1000}).json()["scores"]:
            api.delete(f"/api/v1/scores/{score['id']}")
        for config in api.get("/api/v1/score-configs").json()["score_configs"]:
            api.delete(f"/api/v1/score-configs/{config['id']}")

    delete_all()
    yield world
    delete_all()


def scores(world: UiWorld, trace_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = world.collector.client.get("/api/v1/scores", params={"trace_id": trace_id}).json()[
        "scores"
    ]
    return found


def click(app: AppTest, label: str) -> AppTest:
    found = [item for item in app.button if item.label == label or item.label.startswith(label + " ")]
    assert found, f"no button {label!r} among {[item.label for item in app.button]}"
    return found[0].click().run()


def labelled(widgets: Any, label: str) -> Any:
    """The one widget of ``widgets`` labelled ``label``."""
    [found] = [widget for widget in widgets if widget.label == label]
    return found


def no_errors(app: AppTest) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]


def test_thumbs_score_the_trace_and_show_in_the_list(clean: UiWorld) -> None:
    world = clean
    trace_id = world.sample.support[0]
    app = world.page("trace", id=trace_id)
    assert [expander.label for expander in app.expander if expander.label.startswith("Scores")] == ["Scores · 0"]
    app.text_input(key="reviewer").set_value("ada")
    app = click(app, "👍")
    no_errors(app)
    [given] = scores(world, trace_id)
    assert (given["name"], given["value"], given["label"], given["source"], given["author"], given["span_id"]) == (
        "thumbs_up",
        1.0,
        "true",
        "human",
        "ada",
        None,
    )
    assert any(expander.label == "Scores · 1" for expander in app.expander)

    listed = world.page("traces").dataframe[0].value
    row = listed[listed["Link"].str.endswith(trace_id)]
    assert list(row["Scores"]) == ["thumbs_up ✓"]
    only_good = world.page("traces", score_name="thumbs_up", min_score="1").dataframe[0].value
    assert len(only_good) == 1
    not_reviewed = world.page("traces", without_score="thumbs_up").dataframe[0].value
    assert len(not_reviewed) == len(listed) - 1


def test_a_span_is_scored_against_a_score_config(clean: UiWorld) -> None:
    world = clean
    api = world.collector.client
    rating = api.post(
        "/api/v1/score-configs",
        json={"name": "rating", "data_type": "numeric", "min_value": 1, "max_value": 5, "description": "Stars"},
    ).json()
    api.post(
        "/api/v1/score-configs", json={"name": "tone", "data_type": "categorical", "categories": ["warm", "cold"]}
    ).raise_for_status()
    trace_id = world.sample.support[0]
    span_id = world.span_id(trace_id, "chat")
    app = world.page("trace", id=trace_id, span=span_id)
    app.radio(key=f"score_target_{trace_id}").set_value("span")
    app.selectbox(key=f"score_config_{trace_id}").set_value(rating["id"])
    app = app.run()
    app.slider[0].set_value(4.0)
    labelled(app.text_area, "Comment").set_value("Good, but long.")
    app = click(app, "Add score")
    no_errors(app)
    [given] = scores(world, trace_id)
    assert (given["span_id"], given["name"], given["value"], given["config_id"], given["comment"]) == (
        span_id,
        "rating",
        4.0,
        rating["id"],
        "Good, but long.",
    )
    tables = [table.value for table in app.dataframe if "On" in getattr(table.value, "columns", [])]
    assert tables and list(tables[0]["On"]) == ["chat"] and list(tables[0]["Value"]) == ["4"]


def test_a_free_form_score_and_deleting_it(clean: UiWorld) -> None:
    world = clean
    trace_id = world.sample.support[1]
    app = world.page("trace", id=trace_id)
    app.selectbox(key=f"score_config_{trace_id}").set_value("")
    app = app.run()
    labelled(app.text_input, "Name").set_value("tone")
    labelled(app.text_input, "Value").set_value("friendly")
    app = click(app, "Add score")
    no_errors(app)
    [given] = scores(world, trace_id)
    assert (given["data_type"], given["label"]) == ("categorical", "friendly")
    app = world.page("trace", id=trace_id)
    app = click(app, "Delete")
    no_errors(app)
    assert scores(world, trace_id) == []


def test_a_score_the_api_refuses_shows_why(clean: UiWorld) -> None:
    world = clean
    trace_id = world.sample.support[1]
    app = world.page("trace", id=trace_id)
    app.selectbox(key=f"score_config_{trace_id}").set_value("")
    app = app.run()
    labelled(app.text_input, "Name").set_value("x" * 200)
    labelled(app.text_input, "Value").set_value("1")
    labelled(app.text_area, "Comment").set_value("fine")
    app = click(app, "Add score")
    assert not app.error
    labelled(app.text_input, "Name").set_value("")
    labelled(app.text_input, "Value").set_value("1")
    app = click(app, "Add score")
    assert [error.value for error in app.error] == ["Give the score a name and a value."]


def test_hostile_score_text_never_reaches_markdown(clean: UiWorld) -> None:
    world = clean
    trace_id = world.sample.hostile
    api = world.collector.client
    for index, payload in enumerate(HOSTILE[:4]):
        api.post(
            "/api/v1/scores",
            json={"trace_id": trace_id, "name": payload[:200], "value": HOSTILE[index + 4][:200], "comment": payload},
        ).raise_for_status()
    api.post(
        "/api/v1/score-configs",
        json={"name": HOSTILE[0][:200], "data_type": "categorical", "categories": [p[:200] for p in HOSTILE[1:3]]},
    ).raise_for_status()
    pages = [world.page("trace", id=trace_id), world.page("traces")]
    config_id = api.get("/api/v1/score-configs").json()["score_configs"][0]["id"]
    pages[0].selectbox(key=f"score_config_{trace_id}").set_value(config_id)
    pages.append(pages[0].run())
    for app in pages:
        assert not app.exception
        for source in markdown_sources(app) + [str(radio.options) for radio in app.radio]:
            for payload in HOSTILE:
                assert payload not in source, f"{payload!r} reached Markdown: {source!r}"


def test_the_review_queue_walks_unscored_traces_one_by_one(clean: UiWorld) -> None:
    world = clean
    app = world.page("review", status="error", without_score="thumbs_up")
    no_errors(app)
    failing = {row["trace_id"] for row in world.collector.traces(status="error")["traces"]}
    assert len(failing) == 2
    assert "Trace 1 of 2" in app.markdown[0].value
    app = click(app, "👎")
    no_errors(app)
    assert len([trace for trace in failing if scores(world, trace)]) == 1
    app = click(app, "Next")
    assert "Trace 2 of 2" in app.markdown[0].value, "the queue keeps its order while scoring"
    app = click(app, "👎")
    assert all(scores(world, trace) for trace in failing)
    app = click(app, "Reload")
    assert [info.value for info in app.info] == ["No traces match: nothing to review."]


def test_traces_are_ordered_by_a_score_from_the_url(clean: UiWorld) -> None:
    world = clean
    api = world.collector.client
    low, high = world.sample.support
    for trace, value in ((low, 2), (high, 5)):
        api.post("/api/v1/scores", json={"trace_id": trace, "name": "rating", "value": value}).raise_for_status()
    app = world.page("traces", score_name="rating", order_by_score="desc")
    no_errors(app)
    links = list(app.dataframe[0].value["Link"])
    assert [link.rsplit("=", 1)[1] for link in links] == [high, low]
    assert [item.value for item in app.selectbox if item.label == "Order"] == ["desc"]
