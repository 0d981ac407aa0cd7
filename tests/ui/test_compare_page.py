"""The Compare page in AppTest against a real collector: two runs example by example, an
example's two traces span by span and the way back, two traces by URL, and hostile trace
content kept out of Markdown."""

from __future__ import annotations

from sample import HOSTILE
from test_evaluation_pages import clean, click, make_runs, no_errors
from ui_world import UiWorld, markdown_sources

from ui.text import CHANGE_MARKS as MARKS

__all__ = ["clean"]  # a fixture, imported for these tests


def test_two_runs_are_compared_example_by_example(clean: UiWorld) -> None:
    world = clean
    _, (before, after) = make_runs(world)
    app = world.page("compare", run_a=before["id"], run_b=after["id"])
    no_errors(app)
    assert app.subheader[0].value == "prompt v1 → prompt v2"
    scorers, examples = (table.value for table in app.dataframe)
    assert scorers.to_dict("records")[0] | {"p": None} == {
        "Scorer": "exact_match",
        "Pairs": 2,
        "A": 0.5,
        "B": 1.0,
        "Δ (95% CI)": scorers["Δ (95% CI)"].iloc[0],
        "Wins / losses / ties": "1 / 0 / 1",
        "p": None,
        "Test": "wilcoxon",
    }
    assert list(examples["Example"]) == ["q1", "q2"]
    assert list(examples["Verdict"]) == ["", "▲ improved"]  # v1 failed on q2, v2 did not
    assert list(examples["Score changes"]) == ["", "exact_match +1"]

    regressions = app.get("button_group")[0].set_value("regressions").run()
    no_errors(regressions)
    assert [item.value for item in regressions.info] == ["No regressions."]


def test_an_examples_traces_are_diffed_and_the_runs_are_one_click_away(clean: UiWorld) -> None:
    world = clean
    _, (before, after) = make_runs(world)
    first, second = world.sample.support
    app = world.page("compare", run_a=before["id"], run_b=after["id"], a=first, b=second, example="q1")
    no_errors(app)
    summary = app.text[0].value
    assert "answer changed" in summary
    rows = app.dataframe[0].value
    assert rows["Span"].iloc[0].strip() == "handle_turn"
    assert set(rows["Change"]) <= set(MARKS.values())
    assert app.subheader, "the first changed span is shown in full"
    back = click(app, "‹ Back to the runs")
    no_errors(back)
    assert dict(back.query_params) == {"run_a": before["id"], "run_b": after["id"]}


def test_a_trace_diffed_with_itself_and_an_unknown_trace(world: UiWorld) -> None:
    trace = world.sample.support[0]
    same = world.page("compare", a=trace, b=trace)
    no_errors(same)
    assert same.text[0].value == "no difference"
    assert [item.value for item in same.info] == []
    only = same.toggle[0].set_value(True).run()
    assert [item.value for item in only.info] == ["No span changed."]
    unknown = world.page("compare", a=trace, b="0" * 32)
    assert "no trace" in unknown.error[0].value


def test_hostile_content_in_a_trace_diff_stays_out_of_markdown(world: UiWorld) -> None:
    app = world.page("compare", a=world.sample.support[0], b=world.sample.hostile)
    no_errors(app)
    for source in markdown_sources(app):
        for payload in HOSTILE:
            assert payload not in source, f"{payload!r} reached Markdown: {source!r}"
    assert any(payload in str(block.value) for block in app.code for payload in HOSTILE) or any(
        payload in text.value for text in app.text for payload in HOSTILE
    ), "the hostile values are shown, as text"


def test_two_cohorts_by_url_side_by_side_and_hostile_text_kept_out_of_markdown(world: UiWorld) -> None:
    api = world.collector.client
    tagged = len(api.get("/api/v1/traces", params={"tag": "prompt:v1"}).json()["traces"])
    app = world.page("compare", **{"a.tag": "prompt:v1", "b.tag": HOSTILE[2]})
    no_errors(app)
    assert [box.value for box in app.text_input if box.label == "Tag"] == ["prompt:v1", HOSTILE[2]]
    figures, names = (table.value for table in app.dataframe)
    rows = figures.set_index("Figure")
    assert (rows.loc["Traces", "A"], rows.loc["Traces", "B"]) == (str(tagged), "1")
    assert rows.loc["Error rate", "p (A and B differ)"] != ""
    assert "lookup_order" in set(names["Span"]) and HOSTILE[4] in set(names["Span"])  # hostile names, as data
    for source in markdown_sources(app):
        for payload in HOSTILE:
            assert payload not in source, f"{payload!r} reached Markdown: {source!r}"

    refused = world.page("compare", **{"a.colour": "red", "b.tag": "x"})
    assert "a\\.colour\\: Extra inputs are not permitted" in refused.error[0].value  # escaped: it is Markdown


def test_a_filtered_trace_list_offers_to_compare_its_filter(world: UiWorld) -> None:
    app = world.page("traces", tag="prompt:v1")
    no_errors(app)
    [link] = [element for element in app.get("page_link") if "Compare this filter" in str(element.proto.label)]
    assert (link.proto.page, link.proto.query_string) == ("compare", "a.tag=prompt%3Av1")  # the filter is cohort A
