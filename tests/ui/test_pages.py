"""Each page of the UI in Streamlit's AppTest, against a real collector with real traces."""

from __future__ import annotations

from sample import HOSTILE, HOSTILE_TEXT, LONG_LOOP_ITERATIONS
from ui_world import UiWorld, markdown_sources, texts


def test_the_root_url_lands_on_traces_with_every_trace_listed(world: UiWorld) -> None:
    from streamlit.testing.v1 import AppTest
    from ui_world import APP

    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert [title.value for title in app.title] == ["Traces"]
    table = app.dataframe[0].value  # a Styler: errors are highlighted
    assert len(table) == 5
    assert set(table["Name"]) == {"handle_turn", "bulk_check", "hostile"}
    assert sorted(table["Errors"])[-2:] != [0, 0], "the failed and the hostile trace have errors"
    assert (table["Session"] == "chat-1").sum() == 2


def test_trace_filters_come_from_the_url(world: UiWorld) -> None:
    failing = world.page("traces", status="error").dataframe[0].value
    assert len(failing) == 2 and (failing["Errors"] > 0).all()
    session = world.page("traces", session_id="chat-1", kind="retriever").dataframe[0].value
    assert len(session) == 2 and set(session["User"]) == {"ada"}
    found = world.page("traces", text="when will it arrive").dataframe[0].value
    assert len(found) == 1


def test_a_filter_that_matches_nothing_says_so(world: UiWorld) -> None:
    app = world.page("traces", user_id="nobody")
    assert not app.dataframe
    assert [info.value for info in app.info] == ["No traces match."]


def test_a_bad_filter_value_shows_the_api_error(world: UiWorld) -> None:
    app = world.page("traces", min_tokens="lots")
    assert app.error and "min_tokens: Input should be a valid integer" in app.error[0].value.replace("\\", "")


def test_trace_page_shows_tree_waterfall_and_the_chosen_llm_call_as_a_conversation(world: UiWorld) -> None:
    trace_id = world.sample.support[0]
    app = world.page("trace", id=trace_id, span=world.span_id(trace_id, "chat"))
    tree = app.dataframe[0].value
    assert [label.strip("│├ ") for label in tree["Span"]] == [
        "⛓ handle_turn",
        "🤖 support",
        "🔎 search",
        "🔧 lookup_order",
        "💬 chat",
    ]
    assert app.get("vega_lite_chart"), "the waterfall is drawn"
    assert [message.name for message in app.chat_message] == ["assistant", "user", "assistant"]
    shown = texts(app)
    assert "Where is my order A-1?" in shown and "Your order ships tomorrow." in shown
    assert {metric.label: metric.value for metric in app.metric}["Model"].replace("\\", "") == "gpt-4o-mini"


def test_retrieved_documents_are_ranked_cards_with_scores(world: UiWorld) -> None:
    trace_id = world.sample.support[0]
    app = world.page("trace", id=trace_id, span=world.span_id(trace_id, "search"))
    headings = [markdown.value for markdown in app.markdown if markdown.value.startswith("**#")]
    assert headings == ["**#1 · score 0.91**", "**#2 · score 0.42**"]
    assert "Express shipping takes one to two days." in texts(app)


def test_a_failed_span_shows_its_exception_and_stack(world: UiWorld) -> None:
    trace_id = world.sample.failed
    app = world.page("trace", id=trace_id, span=world.span_id(trace_id, "lookup_order"))
    shown = texts(app)
    assert "LookupError: order missing not found" in shown
    assert "Traceback" in shown or 'File "' in shown
    assert any(label.endswith("✖") for label in app.dataframe[0].value["Span"]), "the tree marks the failure"


def test_a_long_agent_loop_is_summarised_and_can_be_shown_whole(world: UiWorld) -> None:
    app = world.page("trace", id=world.sample.long_loop)
    labels = list(app.dataframe[0].value["Span"])
    summaries = [label for label in labels if "⋯" in label]
    hidden = 2 * LONG_LOOP_ITERATIONS - 8  # head 5 and tail 3 of the agent's children stay
    assert len(summaries) == 1 and f"{hidden} more" in summaries[0]
    assert len(labels) == 2 + 8 + 1
    app.toggle[0].set_value(False).run()
    assert len(app.dataframe[0].value) == 2 + 2 * LONG_LOOP_ITERATIONS
    next(box for box in app.selectbox if box.label == "Depth").set_value(1).run()  # one level: the root and the agent
    assert [label.strip("│├ ") for label in app.dataframe[0].value["Span"]] == [
        "⛓ bulk_check",
        f"🤖 order_sweep  [+{2 * LONG_LOOP_ITERATIONS}]",
    ]


def test_an_unknown_trace_says_so(world: UiWorld) -> None:
    app = world.page("trace", id="f" * 32)
    assert app.error and app.error[0].value.startswith("No trace ffff")


def test_sessions_list_and_one_session_as_a_conversation(world: UiWorld) -> None:
    listed = world.page("sessions").dataframe[0].value
    assert set(listed["Session"]) == {"chat-1", "chat-2", world.sample.hostile_session}
    assert int(listed.loc[listed["Session"] == "chat-1", "Turns"].iloc[0]) == 2
    app = world.page("session", id="chat-1")
    assert [message.name for message in app.chat_message] == ["user", "assistant", "user", "assistant"]
    shown = texts(app)
    assert "Where is my order A-1?" in shown and "And when will it arrive?" in shown
    assert len(app.button) == 2, "each turn links to its trace"


def test_overview_counts_every_trace_and_draws_its_charts(world: UiWorld) -> None:
    app = world.page("overview")
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Traces"] == "5"
    assert metrics["Error rate"] == "40.0%"
    assert len(app.get("vega_lite_chart")) >= 4
    by_name = app.dataframe[0].value
    assert {"chat", "lookup_order"} <= set(by_name["name"])


def test_hostile_content_never_reaches_markdown_unescaped(world: UiWorld) -> None:
    trace_id = world.sample.hostile
    pages = [
        world.page("traces"),
        world.page("trace", id=trace_id),
        world.page("sessions"),
        world.page("session", id=world.sample.hostile_session),
    ]
    for name in (HOSTILE[1], HOSTILE[3], HOSTILE[4], HOSTILE[5]):  # the span names
        pages.append(world.page("trace", id=trace_id, span=world.span_id(trace_id, name)))
    for app in pages:
        for source in markdown_sources(app):
            for payload in HOSTILE:
                assert payload not in source, f"{payload!r} reached Markdown: {source!r}"
    assert HOSTILE_TEXT in texts(pages[-1]), "the hostile text is shown, as text"
