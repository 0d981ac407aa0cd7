"""The SQL page in Streamlit's AppTest, against a real collector with the sample traces: run a
query from the editor, open an example, chart a result, save, reopen, update and delete a
query, and show hostile trace content only as text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sample import HOSTILE
from streamlit.testing.v1 import AppTest
from ui_world import UiWorld, markdown_sources

from server.sql.policy import VIEWS

SLOW_TOOLS = "SELECT tool_name, count(*) AS calls, max(duration_ms) AS slowest_ms FROM tool_calls GROUP BY tool_name"


@pytest.fixture
def clean(world: UiWorld) -> Iterator[UiWorld]:
    """The world with no saved queries before and after the test."""

    def delete_all() -> None:
        for saved in world.collector.client.get("/api/v1/saved-queries").json()["saved_queries"]:
            world.collector.client.delete(f"/api/v1/saved-queries/{saved['id']}")

    delete_all()
    yield world
    delete_all()


def button(app: AppTest, label: str) -> AppTest:
    """Click the button labelled ``label`` and rerun."""
    found = [item for item in app.button if item.label == label]
    assert found, f"no button {label!r} among {[item.label for item in app.button]}"
    return found[0].click().run()


def run_query(app: AppTest, query: str) -> AppTest:
    app.text_area(key="sql_text").set_value(query)
    return button(app, "Run")


def errors(app: AppTest) -> list[str]:
    return [item.value for item in app.error]


def test_the_page_runs_a_first_query_and_lists_the_views(world: UiWorld) -> None:
    app = world.page("sql")
    assert [title.value for title in app.title] == ["SQL"]
    assert not errors(app)
    result = app.dataframe[0].value
    assert list(result.columns) == ["name", "kind", "spans"]
    stored = world.collector.client.post("/api/v1/sql", json={"query": "SELECT count(*) FROM spans"}).json()
    assert result["spans"].sum() == stored["rows"][0][0] > 100
    assert [expander.label for expander in app.expander] == list(VIEWS)
    spans_view = app.dataframe[1].value
    assert list(spans_view["column"][:3]) == ["project_id", "trace_id", "span_id"]


def test_run_shows_rows_puts_the_query_in_the_url_and_links_traces(world: UiWorld) -> None:
    app = run_query(world.page("sql"), "SELECT trace_id, span_count FROM traces ORDER BY span_count DESC")
    assert not errors(app)
    assert app.query_params["q"] == "SELECT trace_id, span_count FROM traces ORDER BY span_count DESC"
    result = app.dataframe[0].value
    assert len(result) == 5
    assert all(link.startswith("./trace?id=") for link in result["trace_id"]), "each trace ID opens its trace"
    assert result["span_count"].iloc[0] == max(trace["span_count"] for trace in world.collector.traces()["traces"])
    assert "5 rows in" in app.caption[0].value


def test_a_shared_url_runs_its_query(world: UiWorld) -> None:
    app = world.page("sql", q="SELECT count(*) AS traces FROM traces")
    assert app.text_area(key="sql_text").value == "SELECT count(*) AS traces FROM traces"
    assert app.dataframe[0].value["traces"].tolist() == [5]


def test_an_example_opens_and_runs(world: UiWorld) -> None:
    app = world.page("sql")
    examples = app.selectbox(key="sql_example")
    question = "Which tools are slowest (p95)?"
    app = examples.set_value(question).run()
    assert not errors(app)
    assert app.text_area(key="sql_text").value.startswith("SELECT tool_name,")
    assert "lookup_order" in set(app.dataframe[0].value["tool_name"])


def test_refused_and_broken_queries_show_the_precise_error(world: UiWorld) -> None:
    app = run_query(world.page("sql"), "DELETE FROM spans")
    assert errors(app) and "DELETE is not allowed" in errors(app)[0].replace("\\", "")
    app = run_query(app, "SELECT\n  nme FROM spans")
    assert errors(app) and "nme" in errors(app)[0].replace("\\", "")
    app = run_query(app, "SELECT count(*) AS spans FROM spans")
    assert not errors(app), "a good query after a bad one runs"


def test_a_truncated_result_says_so(world: UiWorld) -> None:
    app = world.page("sql")
    app.number_input(key="sql_limit").set_value(3)
    app = run_query(app, "SELECT span_id FROM spans")
    assert len(app.dataframe[0].value) == 3
    assert app.warning and "only the first 3 are shown" in app.warning[0].value


def test_a_result_is_charted_and_the_chart_can_change(world: UiWorld) -> None:
    app = run_query(world.page("sql"), SLOW_TOOLS)
    assert len(app.get("vega_lite_chart")) == 1
    assert app.selectbox[2].label == "X" and app.selectbox[2].value == "tool_name"
    assert app.multiselect[0].value == ["calls"]  # the guess: the first number, as bars
    app = app.multiselect[0].set_value(["calls", "slowest_ms"]).run()
    app = app.get("button_group")[0].set_value("line").run()
    assert not app.exception and len(app.get("vega_lite_chart")) == 1
    app = run_query(app, "SELECT name FROM spans LIMIT 2")
    assert [info.value for info in app.info] == ["No numeric column to chart."]


def test_save_reopen_update_and_delete_a_query(clean: UiWorld) -> None:
    world = clean
    app = run_query(world.page("sql"), SLOW_TOOLS)
    app.text_input[0].set_value("Slow tools")
    app.text_area[1].set_value("Slowest call of each tool")
    app.checkbox[0].check()
    app = button(app, "Save as a new query")
    assert not errors(app)
    saved = world.collector.client.get("/api/v1/saved-queries").json()["saved_queries"]
    assert [(row["name"], row["query"], row["description"]) for row in saved] == [
        ("Slow tools", SLOW_TOOLS, "Slowest call of each tool")
    ]
    assert saved[0]["chart"] == {"type": "bar", "x": "tool_name", "y": ["calls"], "color": None}
    assert app.query_params["saved"] == saved[0]["id"]

    # Opened from its link: the query, its chart, and its name.
    reopened = world.page("sql", saved=saved[0]["id"])
    assert reopened.text_area(key="sql_text").value == SLOW_TOOLS
    assert "lookup_order" in set(reopened.dataframe[0].value["tool_name"])
    assert any("Slow tools" in caption.value for caption in reopened.caption)
    assert "Slow tools" in reopened.selectbox(key="sql_pick_saved").options

    # A second save under the same name is refused with the API's reason.
    reopened.text_input[0].set_value("Slow tools")
    refused = button(reopened, "Save as a new query")
    assert errors(refused) and "exists already" in errors(refused)[0]

    edited = run_query(world.page("sql", saved=saved[0]["id"]), SLOW_TOOLS + " ORDER BY calls DESC")
    edited = button(edited, "Update “Slow tools”")
    assert not errors(edited)
    assert world.collector.client.get(f"/api/v1/saved-queries/{saved[0]['id']}").json()["query"].endswith("DESC")

    deleted = button(world.page("sql", saved=saved[0]["id"]), "Delete this saved query")
    assert not errors(deleted)
    assert world.collector.client.get("/api/v1/saved-queries").json()["saved_queries"] == []


def test_an_unknown_saved_query_says_so(world: UiWorld) -> None:
    app = world.page("sql", saved="no-such-query")
    assert errors(app) and "no saved query" in errors(app)[0].replace("\\", "")


def test_hostile_content_in_results_and_names_never_reaches_markdown(clean: UiWorld) -> None:
    world = clean
    hostile_name = HOSTILE[0]
    world.collector.client.post(
        "/api/v1/saved-queries", json={"name": hostile_name, "query": "SELECT name, input, output FROM spans"}
    ).raise_for_status()
    saved_id = world.collector.client.get("/api/v1/saved-queries").json()["saved_queries"][0]["id"]
    pages = [
        run_query(world.page("sql"), "SELECT name, input, output, status_message FROM spans"),
        world.page("sql", saved=saved_id),
    ]
    for app in pages:
        assert not app.exception
        for source in markdown_sources(app):
            for payload in HOSTILE:
                assert payload not in source, f"{payload!r} reached Markdown: {source!r}"
    shown = pages[0].dataframe[0].value
    assert set(HOSTILE) & set(shown["name"]), "the hostile span names are in the table, as text"
